"""HTML pages for products, quotes (with the PDF download) and orders. Thin: parse the
request, call a selector or a service, render; domain errors become pages via ``page_view``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import has_grant, in_scope
from sambandh.sales import forms_catalog as forms
from sambandh.sales import pdf
from sambandh.sales.models import OrderStatus, Quote, QuoteStatus
from sambandh.sales.selectors import catalog as selectors
from sambandh.sales.services import quotes as quote_services
from sambandh.sales.services.quotes import quote_status
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

TRANSITIONS = {
    "send": quote_services.quote_send,
    "accept": quote_services.quote_accept,
    "reject": quote_services.quote_reject,
}


@page_view
@require_http_methods(["GET"])
def product_list(request: HtmxRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:200]
    active = request.GET.get("active", "")
    error = None
    try:
        page = selectors.product_list(
            actor=actor, q=q, active=active, cursor=request.GET.get("cursor") or None
        )
    except ValidationError as exc:
        page, error = None, exc
    next_url = None
    if page is not None and page.next_cursor:
        next_url = "?" + urlencode({"q": q, "active": active, "cursor": page.next_cursor})
    # Products are configuration (every record in scope or none): the grant says it all.
    can_update = has_grant(actor, ObjectType.PRODUCT, Action.UPDATE)
    context = {
        "page": page,
        "error": error,
        "q": q,
        "active": active,
        "next_url": next_url,
        "can_create": has_grant(actor, ObjectType.PRODUCT, Action.CREATE),
        "can_update": can_update,
        "columns": 5 if can_update else 4,
    }
    template = "sales/catalog/products.html" + ("#rows" if wants_fragment(request) else "")
    return fragment_or_page(
        request, render(request, template, context, status=400 if error else 200)
    )


@page_view
@require_http_methods(["GET", "POST"])
def quote_create(request: HtmxRequest, pk: int) -> HttpResponse:
    """Confirm (GET) and create (POST) a quote from a deal's line items."""
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=pk)
    error = None
    if request.method == "POST":
        data = {
            k: v
            for k, v in {
                "currency": request.POST.get("currency", "").strip(),
                "valid_until": request.POST.get("valid_until", "").strip(),
                "discount_percent": request.POST.get("discount_percent", "").strip(),
                "language": request.POST.get("language", "").strip(),
                "terms": request.POST.get("terms", ""),
            }.items()
            if v
        }
        try:
            quote = quote_services.quote_create_from_deal(actor=actor, deal=deal, data=data)
        except ValidationError as exc:
            error = exc
        else:
            messages.success(request, _("Quote %(number)s created.") % {"number": quote.number})
            return redirect("sales:quote_detail", quote.pk)
    elif not in_scope(actor, Quote(deal=deal), Action.CREATE):
        raise PermissionDenied()
    context = {
        "deal": deal,
        "lines": list(deal.line_items.select_related("product")),
        "quotes": selectors.quote_list_for_deal(actor=actor, deal=deal),
        "error": error,
        "form": {
            "currency": deal.currency,
            "discount_percent": "",
            "valid_until": "",
            "terms": "",
            **(
                {
                    k: request.POST.get(k, "")
                    for k in ("currency", "discount_percent", "valid_until", "terms")
                }
                if error
                else {}
            ),
        },
    }
    return render(request, "sales/catalog/quote_create.html", context, status=400 if error else 200)


@page_view
@require_http_methods(["GET"])
def quote_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    quote = selectors.quote_detail(actor=actor, pk=pk)
    return render(request, "sales/catalog/quote_detail.html", _quote_context(actor, quote))


def _quote_context(
    actor: User, quote: Quote, editor: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The quote page; a draft the actor may change also gets its lines form (``editor``
    carries what a refused POST showed, else the form starts from the stored lines)."""
    status = quote_status(quote)
    can_update = in_scope(actor, quote, Action.UPDATE)
    context: dict[str, Any] = {
        "quote": quote,
        "status": status,
        "status_label": QuoteStatus(status).label,
        "can_send": can_update and status == "draft",
        "can_decide": can_update and status == "sent",
        "can_revise": can_update and status != "accepted",
        "can_edit_lines": can_update and status == "draft",
        "revisions": selectors.quote_list_for_deal(actor=actor, deal=quote.deal),
    }
    if editor is not None and not context["can_edit_lines"]:
        # Refused because the quote is no longer a draft: say why, above the read-only lines.
        context["lines_refused"] = editor["errors"]
    elif context["can_edit_lines"]:
        context["editor"] = {
            "rows": forms.line_rows(quote),
            "discount_percent": f"{quote.discount_percent:f}",
            "version": quote.version,
            "errors": [],
            "discount_errors": [],
            "conflict": False,
            **(editor or {}),
        }
        context["product_options"] = forms.product_options(
            selectors.product_choices(actor=actor), quote
        )
    return context


class _Refused(Exception):
    """Raised inside the lines transaction to roll back whatever one service already wrote."""


@page_view
@require_http_methods(["POST"])
def quote_lines(request: HtmxRequest, pk: int) -> HttpResponse:
    """Save a draft's lines and overall discount in one go, or write nothing.

    Both services run in one transaction with the version the form was built from (the
    second gets the version the first left); any refusal rolls both back and shows the form
    again with every message next to its row.
    """
    actor = actor_of(request)
    quote = selectors.quote_get(actor=actor, pk=pk)
    rows = forms.with_blank_row(forms.posted_rows(request.POST))
    lines, row_of = forms.lines_data(rows)
    discount = request.POST.get("discount_percent", "").strip() or "0"
    version_text = request.POST.get("version", "")
    version = int(version_text) if version_text.isdigit() else -1
    general: list[str] = []
    discount_errors: list[str] = []
    status = 200
    try:
        with transaction.atomic():
            try:
                updated = quote_services.quote_lines_set(
                    actor=actor, quote=quote, lines=lines, version=version
                )
            except ValidationError as exc:
                forms.file_line_errors(exc, rows, row_of, general)
                status, updated = exc.status, quote
            else:
                version = updated.version
            try:
                quote_services.quote_update(
                    actor=actor,
                    quote=updated,
                    data={"discount_percent": discount},
                    version=version,
                )
            except ValidationError as exc:
                discount_errors = exc.fields.get("discount_percent", [])
                forms.file_line_errors(exc, rows, row_of, general)
                status = exc.status
            if status != 200:
                raise _Refused()
    except _Refused:
        pass
    except Conflict as exc:
        general, status = [exc.message], exc.status
    if status == 200:
        messages.success(request, _("Quote updated."))
        return redirect("sales:quote_detail", pk)
    editor = {
        "rows": rows,
        "discount_percent": request.POST.get("discount_percent", ""),
        "version": request.POST.get("version", ""),
        "errors": list(dict.fromkeys(general)),
        "discount_errors": discount_errors,
        "conflict": status == 409,
    }
    quote = selectors.quote_detail(actor=actor, pk=pk)
    return render(
        request,
        "sales/catalog/quote_detail.html",
        _quote_context(actor, quote, editor),
        status=status,
    )


@page_view
@require_http_methods(["POST"])
def quote_transition(request: HtmxRequest, pk: int, action: str) -> HttpResponse:
    """Send, accept, reject or revise (POST only)."""
    actor = actor_of(request)
    quote = selectors.quote_get(actor=actor, pk=pk)
    version_text = request.POST.get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    if action == "revise":
        new = quote_services.quote_revise(actor=actor, quote=quote, version=version)
        messages.success(request, _("Revision %(n)d created.") % {"n": new.revision})
        return redirect("sales:quote_detail", new.pk)
    if action not in TRANSITIONS:
        raise NotFound()
    TRANSITIONS[action](actor=actor, quote=quote, version=version)
    messages.success(request, _("Quote updated."))
    return redirect("sales:quote_detail", quote.pk)


@page_view
@require_http_methods(["GET"])
def quote_pdf(request: HtmxRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_detail(actor=actor_of(request), pk=pk)
    response = HttpResponse(pdf.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}-r{quote.revision}.pdf"'
    return response


@page_view
@require_http_methods(["GET"])
def order_list(request: HtmxRequest) -> HttpResponse:
    actor = actor_of(request)
    status = request.GET.get("status", "")
    error = None
    try:
        page = selectors.order_list(
            actor=actor, status=status or None, cursor=request.GET.get("cursor") or None
        )
    except ValidationError as exc:
        page, error = None, exc
    next_url = None
    if page is not None and page.next_cursor:
        next_url = "?" + urlencode({"status": status, "cursor": page.next_cursor})
    context = {
        "page": page,
        "error": error,
        "status": status,
        "statuses": OrderStatus.choices,
        "next_url": next_url,
    }
    template = "sales/catalog/orders.html" + ("#rows" if wants_fragment(request) else "")
    return fragment_or_page(
        request, render(request, template, context, status=400 if error else 200)
    )


@page_view
@require_http_methods(["GET"])
def order_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    order = selectors.order_detail(actor=actor_of(request), pk=pk)
    return render(request, "sales/catalog/order_detail.html", {"order": order})


urlpatterns = [
    path("products/", product_list, name="product_list"),
    path("deals/<int:pk>/quotes/new/", quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/pdf/", quote_pdf, name="quote_pdf"),
    # Before the transition pattern, which would take "lines" for an action.
    path("quotes/<int:pk>/lines/", quote_lines, name="quote_lines"),
    path("quotes/<int:pk>/<slug:action>/", quote_transition, name="quote_transition"),
    path("orders/", order_list, name="order_list"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
]
