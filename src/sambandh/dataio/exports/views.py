"""HTML pages of exports: the user's background exports with their downloads, and the export
forms of the deals, orders and activities lists (the contacts' and companies' are in
``contacts.views``, answered the same way).

An export form posts to its list's export URL with the list's query string: the selection is
read exactly as the list page reads it. A POST, because an export writes its audit entry.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sambandh.activities import views as activity_views
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType
from sambandh.core.pagination import SortKey, paginate
from sambandh.dataio.exports.answers import page_answer
from sambandh.dataio.exports.kinds import KINDS, Selection
from sambandh.dataio.exports.models import ExportError
from sambandh.dataio.exports.services import (
    FILE_KEEP_DAYS,
    export_begin,
    export_job_file,
    export_jobs,
)
from sambandh.sales.views import deals as deal_views
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

PAGE_SIZE = 50
BY_ID = SortKey("id", ("id",))


@page_view
@require_GET
def exports(request: HtmxRequest) -> HttpResponse:
    """The user's background exports, newest first, a page at a time. While one on the first
    page is still being written, its rows poll themselves every two seconds."""
    actor = actor_of(request)
    cursor = request.GET.get("cursor") or None
    page = paginate(
        export_jobs(actor=actor), sort=BY_ID, descending=True, cursor=cursor, limit=PAGE_SIZE
    )
    next_url = f"{reverse('web:exports')}?cursor={page.next_cursor}" if page.next_cursor else ""
    context = {
        "jobs": page.items,
        "is_first_page": cursor is None,
        "polling": cursor is None and any(job.is_active for job in page.items),
        "next_url": next_url,
        "labels": {key: kind.label for key, kind in KINDS.items()},
        "errors": dict(ExportError.choices),
        "keep_days": FILE_KEEP_DAYS,
    }
    template = "dataio/exports/list.html"
    if wants_fragment(request):
        template += "#rows" if cursor else "#table"
    return fragment_or_page(request, render(request, template, context))


@page_view
@require_GET
def export_download(request: HtmxRequest, pk: int) -> HttpResponse:
    """The file of one of the user's finished exports; anyone else's is a 404."""
    return _download(export_job_file(actor=actor_of(request), pk=pk))


# ---------------------------------------------------------------- the lists' export forms


def _download(response: HttpResponseBase) -> HttpResponse:
    # ``page_view`` is typed for HttpResponse; a file download is its sibling class.
    return cast(HttpResponse, response)


def _begin(request: HtmxRequest, object_type: str, selection: Selection) -> HttpResponse:
    outcome = export_begin(
        actor=actor_of(request),
        object_type=object_type,
        fmt=request.POST.get("format", "csv"),
        selection=selection,
    )
    return _download(page_answer(request, outcome))


@page_view
@require_http_methods(["POST"])
def deal_export(request: HtmxRequest) -> HttpResponse:
    """The deals list's selection (its query string) as a file in the posted format."""
    params = request.GET
    selection = Selection(
        filters=deal_views._filters(params, deal_views.LIST_FILTERS),
        sort=params.get("sort") or "-updated_at",
    )
    return _begin(request, ObjectType.DEAL, selection)


@page_view
@require_http_methods(["POST"])
def order_export(request: HtmxRequest) -> HttpResponse:
    """The orders list's selection (its status filter) as a file in the posted format."""
    status = request.GET.get("status", "").strip()
    return _begin(
        request, ObjectType.ORDER, Selection(filters={"status": status} if status else {})
    )


@page_view
@require_http_methods(["POST"])
def activity_export(request: HtmxRequest) -> HttpResponse:
    """The activities list's selection (kind, status, owner, due dates in the user's days,
    sort) as a file in the posted format."""
    actor = actor_of(request)
    params = request.GET
    errors: dict[str, list[str]] = {}
    chosen = activity_views._list_filters(actor, params, errors)
    sort = params.get("sort", "") or activity_views.LIST_SORTS[0][0]
    if sort not in dict(activity_views.LIST_SORTS):
        errors["sort"] = [_("Choose one of the offered values.")]
    if errors:
        raise ValidationError(errors)
    filters = {
        "kind": chosen.kind or "",
        "status": chosen.status or "",
        **{name: str(value) for name, value in (chosen.ids or {}).items()},
        "due_from": chosen.due_from or "",
        "due_to": chosen.due_to or "",
    }
    selection = Selection(filters={k: v for k, v in filters.items() if v}, sort=sort)
    return _begin(request, ObjectType.ACTIVITY, selection)
