"""HTML pages and htmx fragments for deals: the list, a deal's page, its form, and the board.

Thin: parse the request, call a selector or a service, render. Domain errors become pages or
fragments through ``page_view``. The board moves deals with htmx (drag and drop through our
own ``web/board.js``, or the "Move to" form on every card, which needs no mouse and no script).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from sambandh.contacts.models import Contact
from sambandh.core.errors import Conflict, PermissionDenied, ValidationError
from sambandh.core.models import Action, ObjectType, Team, User
from sambandh.core.permissions import has_grant, in_scope, visible
from sambandh.sales import forms_deals as forms
from sambandh.sales.models import Deal, DealContactRole, Pipeline, Product
from sambandh.sales.selectors import deals as selectors
from sambandh.sales.services import deals as services
from sambandh.sales.views import board_cards
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

PAGE_SIZE = 50
# Query-string name -> selector filter name.
LIST_FILTERS = {
    "pipeline": "pipeline_id",
    "stage": "stage_id",
    "owner": "owner_id",
    "team": "team_id",
    "account": "account_id",
    "contact": "contact_id",
    "status": "status",
    "close_month": "close_month",
    "q": "q",
}
BOARD_FILTERS = {"owner": "owner_id", "team": "team_id", "close_month": "close_month"}


def _filters(params: QueryDict, names: dict[str, str]) -> dict[str, str]:
    return {
        selector: params.get(name, "").strip()[:200]
        for name, selector in names.items()
        if params.get(name, "").strip()
    }


def _version(post: QueryDict) -> int:
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


def _people(actor: User) -> dict[str, Any]:
    return {
        "owners": list(visible(actor, User).filter(is_active=True).order_by("username")[:500]),
        "teams": list(visible(actor, Team).order_by("name")),
    }


# ---------------------------------------------------------------- list


@require_http_methods(["GET"])
@page_view
def deal_list(request: HtmxRequest) -> HttpResponse:
    """Deals the user may see, filtered, 50 at a time ("load more" follows the cursor)."""
    actor = actor_of(request)
    params = request.GET
    sort = params.get("sort") or "-updated_at"
    error = None
    try:
        page = selectors.deal_list(
            actor=actor,
            filters=_filters(params, LIST_FILTERS),
            sort=sort,
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationError as exc:
        page, error = None, exc
    next_url = None
    if page is not None and page.next_cursor:
        query = params.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{reverse('sales:deal_list')}?{query.urlencode()}"
    context: dict[str, Any] = {
        "page": page,
        "error": error,
        "next_url": next_url,
        "params": params,
        "sort": sort,
        "can_create": has_grant(actor, ObjectType.DEAL, Action.CREATE),
    }
    status = 400 if error is not None else 200
    if wants_fragment(request):
        return fragment_or_page(
            request, render(request, "sales/deals/list.html#rows", context, status=status)
        )
    context.update(_people(actor))
    context["pipelines"] = selectors.pipeline_list(actor=actor)
    return fragment_or_page(
        request, render(request, "sales/deals/list.html", context, status=status)
    )


# ---------------------------------------------------------------- detail


def _detail_context(actor: User, deal: Deal) -> dict[str, Any]:
    history = selectors.deal_stage_history(deal=deal)
    can_update = in_scope(actor, deal, Action.UPDATE)
    contacts = selectors.deal_contacts(actor=actor, deal=deal)
    context: dict[str, Any] = {
        "deal": deal,
        "contacts": contacts,
        "line_items": selectors.deal_line_items(deal=deal),
        "history": [
            {"span": s, "duration": forms.duration_text(s.seconds)} for s in reversed(history)
        ],
        "rotting": selectors.is_rotting(deal, deal.stage, timezone.now()),
        "can_update": can_update,
        "can_delete": in_scope(actor, deal, Action.DELETE),
        "stages": list(deal.pipeline.stages.all()),
        "roles": DealContactRole.choices,
    }
    if can_update:
        on_deal = {c.contact_id for c in contacts}
        context["contact_options"] = [
            c
            for c in visible(actor, Contact).order_by("last_name", "first_name", "id")[:500]
            if c.pk not in on_deal
        ]
        context["products"] = list(
            visible(actor, Product).filter(is_active=True).order_by("name_en", "id")[:500]
        )
    return context


@require_http_methods(["GET"])
@page_view
def deal_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """A deal: its fields, people, lines, stage history with time spent, and a move form."""
    actor = actor_of(request)
    deal = selectors.deal_detail(actor=actor, pk=pk)
    return render(request, "sales/deals/detail.html", _detail_context(actor, deal))


# ---------------------------------------------------------------- create and edit


def _form_context(
    actor: User, deal: Deal | None, values: dict[str, str], errors: dict[str, list[str]]
) -> dict[str, Any]:
    pipelines = selectors.pipeline_list(actor=actor)
    inputs = [
        {
            "field": f,
            "value": values.get(f.name, ""),
            "options": forms.options(actor, f.name, deal),
            "errors": errors.get(f.name, [])
            + (errors.get("pipeline_id", []) if f.name == "stage_id" else []),
        }
        for f in forms.FIELDS
    ]
    return {
        "deal": deal,
        "inputs": inputs,
        "stage_groups": forms.stage_options(pipelines),
        "form_errors": errors.get("", []),
        "version": deal.version if deal is not None else None,
    }


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    known = {f.name for f in forms.FIELDS} | {"pipeline_id"}
    errors: dict[str, list[str]] = {"": [exc.message]}
    for name, msgs in exc.fields.items():
        errors.setdefault(name if name in known else "", []).extend(msgs)
    return errors


@require_http_methods(["GET", "POST"])
@page_view
def deal_create(request: HtmxRequest) -> HttpResponse:
    """A new deal; the service's per-field errors are shown next to the fields."""
    actor = actor_of(request)
    if not has_grant(actor, ObjectType.DEAL, Action.CREATE):
        raise PermissionDenied()
    first_team = actor.teams.order_by("id").first()
    values = {
        "owner_id": str(actor.pk),
        "team_id": str(first_team.pk) if first_team else "",
        "account_id": request.GET.get("account", ""),
        "forecast_category": "pipeline",
    }
    default = selectors.default_pipeline(actor=actor)
    first_open = next((s for s in default.stages.all() if not s.is_closed), None)
    values["stage_id"] = str(first_open.pk) if first_open else ""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = forms.submitted(request.POST)
        try:
            deal = services.deal_create(actor=actor, data=forms.form_data(request.POST, None))
        except ValidationError as exc:
            errors, status = _field_errors(exc), exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:deal_detail", deal.pk)
    context = _form_context(actor, None, values, errors)
    return render(request, "sales/deals/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page_view
def deal_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    """Edit a deal with the version the form was built from (a stale one is 409)."""
    actor = actor_of(request)
    deal = selectors.deal_detail(actor=actor, pk=pk)
    if not in_scope(actor, deal, Action.UPDATE):
        raise PermissionDenied()
    values = forms.initial(deal)
    errors: dict[str, list[str]] = {}
    status = 200
    version = deal.version
    if request.method == "POST":
        values = forms.submitted(request.POST)
        version = _version(request.POST)
        try:
            services.deal_update(
                actor=actor, deal=deal, data=forms.form_data(request.POST, deal), version=version
            )
        except ValidationError as exc:
            errors, status = _field_errors(exc), exc.status
        except Conflict as exc:
            errors, status = {"": [exc.message]}, exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:deal_detail", deal.pk)
    context = _form_context(actor, deal, values, errors)
    context["version"] = version
    context["conflict"] = status == 409
    return render(request, "sales/deals/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page_view
def deal_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    """Ask first (GET), delete on POST."""
    actor = actor_of(request)
    deal = selectors.deal_detail(actor=actor, pk=pk)
    if not in_scope(actor, deal, Action.DELETE):
        raise PermissionDenied()
    if request.method == "POST":
        services.deal_delete(actor=actor, deal=deal)
        messages.success(request, _("Deleted."))
        return redirect("sales:deal_list")
    return render(request, "sales/deals/confirm_delete.html", {"deal": deal})


# ---------------------------------------------------------------- contacts and lines


@require_http_methods(["GET", "POST"])
@page_view
def deal_contacts(request: HtmxRequest, pk: int) -> HttpResponse:
    """The people section; POST adds (``add``) or removes (``remove``) one person."""
    actor = actor_of(request)
    deal = selectors.deal_detail(actor=actor, pk=pk)
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if not in_scope(actor, deal, Action.UPDATE):
            raise PermissionDenied()
        current = [
            {"contact_id": c.contact_id, "role": c.role}
            for c in deal.deal_contacts.all().only("contact_id", "role")
        ]
        remove = request.POST.get("remove", "")
        if remove:
            new = [c for c in current if str(c["contact_id"]) != remove]
        else:
            new = [
                *current,
                {
                    "contact_id": request.POST.get("contact_id", ""),
                    "role": request.POST.get("role", ""),
                },
            ]
        try:
            deal = services.deal_set_contacts(
                actor=actor, deal=deal, contacts=new, version=_version(request.POST)
            )
        except (ValidationError, Conflict) as exc:
            status = exc.status
            fields = exc.fields if isinstance(exc, ValidationError) else {}
            errors = [m for msgs in fields.values() for m in msgs] or [exc.message]
        deal = selectors.deal_detail(actor=actor, pk=pk)
        if not wants_fragment(request) and status == 200:
            return redirect("sales:deal_detail", pk)
    context = {**_detail_context(actor, deal), "contact_errors": errors}
    return render(request, "sales/deals/detail.html#people", context, status=status)


@require_http_methods(["GET", "POST"])
@page_view
def deal_line_items(request: HtmxRequest, pk: int) -> HttpResponse:
    """The lines section; POST adds (``add``) or removes (``remove`` = position) one line."""
    actor = actor_of(request)
    deal = selectors.deal_detail(actor=actor, pk=pk)
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if not in_scope(actor, deal, Action.UPDATE):
            raise PermissionDenied()
        keys = (
            "product_id",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_rate",
        )
        current: list[dict[str, Any]] = [
            {
                "product_id": li.product_id,
                "description": li.description,
                "quantity": str(li.quantity),
                "unit_price": str(li.unit_price),
                "discount_percent": str(li.discount_percent),
                "tax_rate": str(li.tax_rate),
            }
            for li in selectors.deal_line_items(deal=deal)
        ]
        remove = request.POST.get("remove", "")
        if remove:
            new = [line for n, line in enumerate(current) if str(n) != remove]
        else:
            line = {k: request.POST.get(k, "").strip() or None for k in keys}
            new = [*current, {k: v for k, v in line.items() if v is not None}]
        try:
            services.deal_line_items_set(
                actor=actor, deal=deal, items=new, version=_version(request.POST)
            )
        except (ValidationError, Conflict) as exc:
            status = exc.status
            fields = exc.fields if isinstance(exc, ValidationError) else {}
            errors = [m for msgs in fields.values() for m in msgs] or [exc.message]
        deal = selectors.deal_detail(actor=actor, pk=pk)
        if not wants_fragment(request) and status == 200:
            return redirect("sales:deal_detail", pk)
    context = {**_detail_context(actor, deal), "line_errors": errors}
    return render(request, "sales/deals/detail.html#lines", context, status=status)


# ---------------------------------------------------------------- the board


def _pipeline_for(actor: User, raw: str) -> Pipeline:
    if raw:
        return selectors.pipeline_get(actor=actor, pk=raw)
    default = selectors.default_pipeline(actor=actor)
    return selectors.pipeline_get(actor=actor, pk=default.pk)


def _board_context(request: HtmxRequest, params: QueryDict) -> dict[str, Any]:
    actor = actor_of(request)
    pipeline = _pipeline_for(actor, params.get("pipeline", "").strip())
    filters = _filters(params, BOARD_FILTERS)
    board = selectors.deal_board(actor=actor, pipeline=pipeline, filters=filters)
    query = {k: params.get(k, "") for k in ("owner", "team", "close_month") if params.get(k)}
    query["pipeline"] = str(pipeline.pk)
    board_query = urlencode(query)
    cards = [d for c in board.columns for d in c.cards]
    board_cards.render_cards(
        request,
        cards,
        stages=list(pipeline.stages.all()),
        rotting=board.rotting,
        movable={d.pk for d in cards if in_scope(actor, d, Action.UPDATE)},
        board_query=board_query,
    )
    return {"board": board, "board_query": board_query, "params": params}


@require_http_methods(["GET"])
@page_view
def board(request: HtmxRequest) -> HttpResponse:
    """A pipeline's board: a column per stage, totals in the base currency, filters."""
    actor = actor_of(request)
    context = _board_context(request, request.GET)
    if wants_fragment(request):
        return fragment_or_page(request, render(request, "sales/deals/board.html#board", context))
    context.update(_people(actor))
    context["pipelines"] = selectors.pipeline_list(actor=actor)
    context["can_create"] = has_grant(actor, ObjectType.DEAL, Action.CREATE)
    return fragment_or_page(request, render(request, "sales/deals/board.html", context))


@require_http_methods(["GET"])
@page_view
def board_column(request: HtmxRequest, stage_pk: int) -> HttpResponse:
    """More cards of one column (the "more" link), after ``cursor``."""
    actor = actor_of(request)
    pipeline = _pipeline_for(actor, request.GET.get("pipeline", "").strip())
    stage = selectors.stage_of(pipeline, stage_pk)
    page = selectors.board_column_page(
        actor=actor,
        pipeline=pipeline,
        stage=stage,
        filters=_filters(request.GET, BOARD_FILTERS),
        cursor=request.GET.get("cursor") or None,
    )
    now = timezone.now()
    for deal in page.items:
        deal.stage, deal.pipeline = stage, pipeline
    query = request.GET.copy()
    more_url = None
    if page.next_cursor:
        query["cursor"] = page.next_cursor
        more_url = f"{reverse('sales:board_column', args=[stage.pk])}?{query.urlencode()}"
    board_cards.render_cards(
        request,
        page.items,
        stages=list(pipeline.stages.all()),
        rotting={d.pk for d in page.items if selectors.is_rotting(d, stage, now)},
        movable={d.pk for d in page.items if in_scope(actor, d, Action.UPDATE)},
        board_query=urlencode(
            {k: request.GET.get(k, "") for k in ("pipeline", "owner", "team", "close_month")}
        ),
    )
    context = {"cards": page.items, "more_url": more_url}
    return render(request, "sales/deals/board.html#more-cards", context)


def _safe_next(request: HtmxRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
@page_view
def deal_move(request: HtmxRequest, pk: int) -> HttpResponse:
    """Move a deal (board drag and drop, the card's "Move to" form, the deal page).

    GET: the move form (asks for the reason when the chosen stage is a lost one). POST: move;
    from the board (``from=board``) answer with the refreshed board, and when a lost reason is
    missing answer with the form in the board's dialog instead.
    """
    actor = actor_of(request)
    deal = selectors.deal_detail(actor=actor, pk=pk)
    if not in_scope(actor, deal, Action.UPDATE):
        raise PermissionDenied()
    stages = list(deal.pipeline.stages.all())
    source = request.POST.get("from") or request.GET.get("from") or ""
    board_query = request.POST.get("board_query") or request.GET.get("board_query") or ""
    chosen = request.POST.get("stage_id") or request.GET.get("stage") or str(deal.stage_id)
    errors: dict[str, list[str]] = {}
    status = 200
    reason = request.POST.get("lost_reason", "")
    if request.method == "POST":
        try:
            services.deal_move_stage(
                actor=actor,
                deal=deal,
                stage=int(chosen) if chosen.isdigit() else 0,
                version=_version(request.POST),
                lost_reason=reason if "lost_reason" in request.POST else None,
            )
        except (ValidationError, Conflict) as exc:
            status = exc.status
            errors = dict(exc.fields) if isinstance(exc, ValidationError) else {}
            if not errors:
                errors[""] = [exc.message]
        else:
            if source == "board" and wants_fragment(request):
                context = _board_context(request, QueryDict(board_query))
                response = render(request, "sales/deals/board.html#board", context)
                return trigger_client_event(response, "boardChanged")
            messages.success(request, _("Moved."))
            fallback = (
                f"{reverse('sales:board')}?{board_query}"
                if source == "board"
                else reverse("sales:deal_detail", args=[pk])
            )
            return redirect(_safe_next(request, fallback))
        deal = selectors.deal_detail(actor=actor, pk=pk)
    context = {
        "deal": deal,
        "stages": stages,
        "chosen": chosen,
        "lost_stage_ids": {s.pk for s in stages if s.is_lost},
        "errors": errors,
        "reason": reason,
        "source": source,
        "board_query": board_query,
    }
    if wants_fragment(request) and source == "board":
        response = render(request, "sales/deals/move.html#dialog", context, status=status)
        response = reswap(retarget(response, "#board-dialog-body"), "innerHTML")
        return trigger_client_event(response, "openBoardDialog")
    return render(request, "sales/deals/move.html", context, status=status)


urlpatterns = [
    path("deals/", deal_list, name="deal_list"),
    path("deals/new/", deal_create, name="deal_create"),
    path("deals/<int:pk>/", deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deal_edit, name="deal_edit"),
    path("deals/<int:pk>/delete/", deal_delete, name="deal_delete"),
    path("deals/<int:pk>/move/", deal_move, name="deal_move"),
    path("deals/<int:pk>/contacts/", deal_contacts, name="deal_contacts"),
    path("deals/<int:pk>/line-items/", deal_line_items, name="deal_line_items"),
    path("board/", board, name="board"),
    path("board/stages/<int:stage_pk>/", board_column, name="board_column"),
]
