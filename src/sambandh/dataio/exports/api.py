"""API routes of exports: ``GET /deals/export``, ``/orders/export`` and ``/activities/export``
(the contacts' and companies' are in ``contacts.api``, answered the same way), and the user's
background exports: ``GET /exports``, ``/exports/{id}`` (its status) and
``/exports/{id}/file``.

Mounted before the sales and activities routers, whose ``/deals/{id}`` and
``/activities/{id}`` would otherwise take ``export`` for an id.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Router
from pydantic import Field

from sambandh.core.api import actor_of
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType
from sambandh.core.pagination import SortKey, paginate
from sambandh.core.schemas import ERRORS, Id
from sambandh.dataio.exports.answers import api_answer, job_out
from sambandh.dataio.exports.kinds import ACTIVITY_FILTERS, TABULAR, Selection
from sambandh.dataio.exports.schemas import (
    QUEUED_NOTE,
    ExportJobOut,
    ExportJobPageOut,
    export_responses,
)
from sambandh.dataio.exports.services import export_begin, export_job_file, export_job_get
from sambandh.dataio.exports.services import export_jobs as jobs_of
from sambandh.sales.api.deals import _list_parameters as deal_list_parameters

router = Router()

MAX_QUERY_VALUE = 1000
PageSize = Annotated[int, Field(ge=1, le=200)]
BY_ID = SortKey("id", ("id",))


def _parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


FORMAT_PARAMETER = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "File format (default `csv`).",
    "schema": {"type": "string", "enum": list(TABULAR)},
}


def _selection(request: HttpRequest, *, sortable: bool) -> tuple[str, Selection]:
    """The format and the selection from the query string: ``format``, ``sort`` (where the
    list sorts) and every other name a filter, checked by the list's selector."""
    errors: dict[str, list[str]] = {}
    filters: dict[str, str] = {}
    fmt, sort = "csv", None
    for key in request.GET:
        value = request.GET.get(key, "")
        # NUL cannot be stored or compared in PostgreSQL text; say so instead of failing.
        if "\x00" in value or "\x00" in key or len(value) > MAX_QUERY_VALUE:
            errors[key] = [_("Enter a valid value.")]
        elif key == "format":
            fmt = value
        elif key == "sort" and sortable:
            sort = value or None
        else:
            filters[key] = value
    if errors:
        raise ValidationError(errors)
    return fmt, Selection(filters=filters, sort=sort)


def _export(request: HttpRequest, object_type: str, *, sortable: bool) -> HttpResponseBase:
    fmt, selection = _selection(request, sortable=sortable)
    outcome = export_begin(
        actor=actor_of(request), object_type=object_type, fmt=fmt, selection=selection
    )
    return api_answer(request, outcome)


# ---------------------------------------------------------------- the lists


@router.get(
    "/deals/export",
    response={202: ExportJobOut, **ERRORS},
    tags=["deals"],
    summary="Export deals",
    description="Every deal of the selection you may export (the filters and sort of `GET "
    "/deals`), as CSV, XLSX or JSON, with the pipeline, company and owner names beside their "
    "ids." + QUEUED_NOTE,
    openapi_extra={
        "parameters": [
            FORMAT_PARAMETER,
            *(p for p in deal_list_parameters() if p["name"] not in ("limit", "cursor")),
        ],
        "responses": export_responses(TABULAR),
    },
)
def deals_export(request: HttpRequest) -> HttpResponseBase:
    return _export(request, ObjectType.DEAL, sortable=True)


@router.get(
    "/orders/export",
    response={202: ExportJobOut, **ERRORS},
    tags=["orders"],
    summary="Export orders",
    description="Every order of the selection you may export, newest first, as CSV, XLSX or "
    "JSON (JSON with each order's lines)." + QUEUED_NOTE,
    openapi_extra={
        "parameters": [
            FORMAT_PARAMETER,
            _parameter("contact_id", "Only this contact's orders."),
            _parameter("account_id", "Only this company's orders."),
            _parameter("status", "Only orders in this status."),
        ],
        "responses": export_responses(TABULAR),
    },
)
def orders_export(request: HttpRequest) -> HttpResponseBase:
    return _export(request, ObjectType.ORDER, sortable=False)


@router.get(
    "/activities/export",
    response={202: ExportJobOut, **ERRORS},
    tags=["activities"],
    summary="Export activities",
    description="Every activity of the selection you may export (the filters and sort of "
    "`GET /activities`), as CSV, XLSX or JSON (JSON with each meeting's attendees), with the "
    "owner's name and the names of the records each is on." + QUEUED_NOTE,
    openapi_extra={
        "parameters": [
            FORMAT_PARAMETER,
            _parameter("sort", "occurred_at, due_at or id; `-` for descending."),
            *(
                _parameter(name, f"Only activities whose `{name}` is this.")
                for name in ACTIVITY_FILTERS
                if name not in ("due_from", "due_to")
            ),
            _parameter("due_from", "Due (or starting) at or after this time."),
            _parameter("due_to", "Due (or starting) before this time."),
        ],
        "responses": export_responses(TABULAR),
    },
)
def activities_export(request: HttpRequest) -> HttpResponseBase:
    return _export(request, ObjectType.ACTIVITY, sortable=True)


# ---------------------------------------------------------------- the user's exports


@router.get(
    "/exports",
    response={200: ExportJobPageOut, **ERRORS},
    tags=["exports"],
    summary="List my background exports",
    description="Your background exports, newest first, keyset-paginated: pass "
    "`next_cursor` back as `cursor`. Each is kept for 7 days after it finishes.",
)
def exports_list(
    request: HttpRequest, cursor: str | None = None, limit: PageSize = 50
) -> dict[str, Any]:
    page = paginate(
        jobs_of(actor=actor_of(request)), sort=BY_ID, descending=True, cursor=cursor, limit=limit
    )
    return {"items": [job_out(job) for job in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/exports/{id}",
    response={200: ExportJobOut, **ERRORS},
    tags=["exports"],
    summary="One background export: its status",
    description="An export is its creator's alone: anyone else's is a 404.",
)
def exports_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return job_out(export_job_get(actor=actor_of(request), pk=id))


@router.get(
    "/exports/{id}/file",
    response={**ERRORS},
    tags=["exports"],
    summary="The file of a finished background export",
    description="409 while the export is not `completed`; anyone else's export is a 404.",
    openapi_extra={"responses": {"200": export_responses(("csv", "xlsx", "json", "vcf"))["200"]}},
)
def exports_file(request: HttpRequest, id: Id) -> HttpResponseBase:
    return export_job_file(actor=actor_of(request), pk=id)
