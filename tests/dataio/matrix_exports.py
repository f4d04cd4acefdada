"""The exports' share of the permission matrix (see ``tests/matrix.py``).

The export of each list needs that kind's export grant (the role seeds: deals for managers
and reps, their own; orders for managers and marketers; activities for managers). A
background export is its creator's alone, administrators included: the target is a finished
export of the target administrator, which every role, another administrator too, gets as a
404. ``web:exports`` and ``web:export_download`` take their example paths from
``tests/web/routes.py``; the list exports of deals, orders and activities are declared here.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.dataio.exports.models import ExportJob, ExportStatus
from tests.matrix import MatrixPart, Targets

NOBODY_ELSE = "404 404 404 404 404 404"
DEALS = "200 200 200 403 403 403"
ORDERS = "200 200 403 403 200 403"
ACTIVITIES = "200 200 403 403 403 403"

API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/deals/export"): DEALS,
    ("GET", "/api/v1/orders/export"): ORDERS,
    ("GET", "/api/v1/activities/export"): ACTIVITIES,
    ("GET", "/api/v1/exports"): "200 200 200 200 200 200",
    ("GET", "/api/v1/exports/{id}"): NOBODY_ELSE,
    ("GET", "/api/v1/exports/{id}/file"): NOBODY_ELSE,
}
HTML_GET_MATRIX: dict[str, str] = {
    "web:exports": "200 200 200 200 200 200",
    "web:export_download": NOBODY_ELSE,
    "sales:deal_export": "405 405 405 405 405 405",
    "sales:order_export": "405 405 405 405 405 405",
    "activities:export": "405 405 405 405 405 405",
}
# An export writes its audit entry: the matrix asks every successful POST for one.
HTML_POST_MATRIX: dict[str, str] = {
    "sales:deal_export": DEALS,
    "sales:order_export": ORDERS,
    "activities:export": ACTIVITIES,
}


def _make_targets(t: Targets) -> None:
    # A row only: nobody may download it, so no file is needed.
    t.objects["export_job"] = ExportJob.objects.create(
        object_type="contact",
        file_format="csv",
        file_name="contacts-matrix.csv",
        stored_name="matrix-missing.csv",
        status=ExportStatus.COMPLETED,
        created_by=t.admin,
    )


def _html_views() -> list[tuple[str, str]]:
    return [
        (name, reverse(name))
        for name in ("sales:deal_export", "sales:order_export", "activities:export")
    ]


def _html_url(name: str, path: str, t: Targets) -> str:
    return path.replace("/exports/1/", f"/exports/{t.export_job.pk}/")


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    return {"format": "csv"}


PART = MatrixPart(
    name="exports",
    api=API_MATRIX,
    api_ids=[("/api/v1/exports/", "export_job")],
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=_html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[ExportJob],
)
