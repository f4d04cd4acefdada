"""HTML pages for products, quotes (with the PDF download) and orders. Thin: parse the
request, call a selector or a service, render; domain errors become pages via ``page_view``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.core.errors import NotFound, PermissionDenied, ValidationError
from sambandh.core.models import Action
from sambandh.core.permissions import in_scope
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
    context = {"page": page, "error": error, "q": q, "active": active, "next_url": next_url}
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


def _quote_context(actor: Any, quote: Any) -> dict[str, Any]:
    status = quote_status(quote)
    can_update = in_scope(actor, quote, Action.UPDATE)
    return {
        "quote": quote,
        "status": status,
        "status_label": QuoteStatus(status).label,
        "can_send": can_update and status == "draft",
        "can_decide": can_update and status == "sent",
        "can_revise": can_update and status != "accepted",
        "revisions": selectors.quote_list_for_deal(actor=actor, deal=quote.deal),
    }


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
    path("quotes/<int:pk>/<slug:action>/", quote_transition, name="quote_transition"),
    path("orders/", order_list, name="order_list"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
]
