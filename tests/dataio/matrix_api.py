"""The imports API's share of the permission matrix (see ``tests/matrix.py``).

The targets are two imports of the target administrator: one being mapped and one finished.
An import is its creator's (and every administrator's), so every other role gets 404 for it.
Uploading and bulk jobs need the right to create the records they load.
"""

from __future__ import annotations

from typing import Any

from sambandh.core.models import IdempotencyRecord, User
from sambandh.dataio.models import ImportJob, ImportStatus
from tests.matrix import MatrixPart, Targets

OWN = "200 404 404 404 404 404"  # the creator (an administrator) and other administrators
QUEUED = "202 404 404 404 404 404"

API_MATRIX: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/imports"): "201 201 201 403 201 403",  # may create contacts
    ("GET", "/api/v1/imports"): "200 200 200 200 200 200",
    ("GET", "/api/v1/imports/{id}"): OWN,
    ("PUT", "/api/v1/imports/{id}/settings"): OWN,
    ("POST", "/api/v1/imports/{id}/check"): QUEUED,
    ("POST", "/api/v1/imports/{id}/start"): QUEUED,
    ("POST", "/api/v1/imports/{id}/undo"): QUEUED,
    ("GET", "/api/v1/imports/{id}/problems"): OWN,
    ("POST", "/api/v1/contacts/bulk-jobs"): "202 202 202 403 202 403",
    ("POST", "/api/v1/accounts/bulk-jobs"): "202 202 202 403 403 403",
}


def _make_targets(t: Targets) -> None:
    # Rows only: nothing here reads the file (the work is queued, never run, in the matrix).
    common: dict[str, Any] = {
        "object_type": "contact",
        "stored_name": "matrix-missing.csv",
        "headers": ["Name", "Email"],
        "mapping": ["full_name", "email"],
        "created_by": t.admin,
    }
    t.objects["api_import"] = ImportJob.objects.create(file_name="matrix-new.csv", **common)
    t.objects["api_finished_import"] = ImportJob.objects.create(
        file_name="matrix-done.csv", status=ImportStatus.COMPLETED, **common
    )


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/imports"): {
            "object_type": "contact",
            "file_name": "matrix.csv",
            "text": "Name,Email\nMatrix Person,matrix@example.com\n",
        },
        ("PUT", "/api/v1/imports/{id}/settings"): {"mapping": ["full_name", None]},
        ("POST", "/api/v1/contacts/bulk-jobs"): {"records": [{"first_name": "Bulk"}]},
        ("POST", "/api/v1/accounts/bulk-jobs"): {"records": [{"name": "Bulk Ltd"}]},
    }
    return bodies.get((method, path), {})


PART = MatrixPart(
    name="imports API",
    api=API_MATRIX,
    api_ids=[
        ("/api/v1/imports/{id}/undo", "api_finished_import"),
        ("/api/v1/imports/", "api_import"),
    ],
    api_body=_api_body,
    api_query={("GET", "/api/v1/imports/{id}/problems"): "?run=import"},
    make_targets=_make_targets,
    state_models=[ImportJob, IdempotencyRecord],
)
