"""The imports share of the permission matrix (see ``tests/matrix.py``).

The import pages are ``web:`` URLs, so their example paths come from ``tests/web/routes.py``
(the base part's ``html_views``); this part gives their expected statuses and real ids. The
target is a finished import of the target administrator whose one row failed: an import is
its creator's (and every administrator's), so every other role gets 404.

Only fixing a row is in the POST table: it writes records and their audit entry. Uploading,
starting and undoing only queue work for a worker, and the matrix asks every successful POST
for an audit entry; their refusals are in ``tests/dataio/test_import_views.py``.
"""

from __future__ import annotations

import io
from typing import Any

from sambandh.dataio.models import ImportChange, ImportJob, ImportMapping, ImportProblem
from sambandh.dataio.services import import_job_create, import_job_start, import_run, job_path
from tests.matrix import MatrixPart, Targets
from tests.web.routes import IMPORT_ROW

OWN = "200 404 404 404 404 404"  # the creator (an administrator) and other administrators

HTML_GET_MATRIX: dict[str, str] = {
    "web:imports": "200 200 200 200 200 200",
    "web:import_new": "200 200 200 403 200 403",  # may create contacts
    "web:import_detail": OWN,
    "web:import_progress": OWN,
    "web:import_report": OWN,
    "web:import_fix_row": OWN,
    "web:import_undo": OWN,
}
HTML_POST_MATRIX: dict[str, str] = {
    "web:import_fix_row": "302 404 404 404 404 404",
}


def _make_targets(t: Targets) -> None:
    text = "Name,Email\nMatrix Import,not-an-email\n"
    job = import_job_create(
        actor=t.admin, object_type="contact", upload=io.BytesIO(text.encode()), filename="m.csv"
    )
    import_job_start(actor=t.admin, job=job)
    import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.failed_count) == ("completed", 1)
    assert job.problems.get(cells__isnull=False).row == IMPORT_ROW
    # A finished import's pages never read its file: leave nothing in the data folder.
    job_path(job).unlink()
    t.objects["import_job"] = job


def _html_url(name: str, path: str, t: Targets) -> str:
    return path.replace("/imports/1/", f"/imports/{t.import_job.pk}/")


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    return {"cell-0": "Matrix Import", "cell-1": "matrix-import@example.com"}


PART = MatrixPart(
    name="imports",
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[ImportJob, ImportProblem, ImportChange, ImportMapping],
)
