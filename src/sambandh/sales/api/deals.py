"""API routes for pipelines (read only: administrators configure them in the admin) and deals:
list, create, read, change, delete, move between stages, stage history, contacts with roles
and line items. Thin: parse, call a selector or a service, shape the response."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from sambandh.core.api import actor_of, body_of
from sambandh.core.errors import ValidationError
from sambandh.core.models import User
from sambandh.core.schemas import ERRORS, Id
from sambandh.sales.models import Deal, DealContact, DealLineItem, Pipeline, Stage
from sambandh.sales.schemas_deals import (
    DealContactOut,
    DealContactsIn,
    DealCreateIn,
    DealDetailOut,
    DealMoveIn,
    DealPageOut,
    DealPatchIn,
    LineItemOut,
    LineItemsIn,
    PipelineOut,
    StageSpanOut,
)
from sambandh.sales.selectors import deals as selectors
from sambandh.sales.services import deals as services

router = Router(tags=["deals"])

RESERVED = ("limit", "cursor", "sort")
MAX_QUERY_VALUE = 1000


def stage_out(s: Stage) -> dict[str, Any]:
    return {
        "id": s.pk,
        "label": s.label,
        "label_en": s.label_en,
        "label_hi": s.label_hi,
        "position": s.position,
        "probability": s.probability,
        "is_won": s.is_won,
        "is_lost": s.is_lost,
        "rot_days": s.rot_days,
    }


def pipeline_out(p: Pipeline) -> dict[str, Any]:
    return {
        "id": p.pk,
        "label": p.label,
        "label_en": p.label_en,
        "label_hi": p.label_hi,
        "position": p.position,
        "is_default": p.is_default,
        "is_active": p.is_active,
        "stages": [stage_out(s) for s in p.stages.all()],
    }


def deal_out(d: Deal) -> dict[str, Any]:
    """A deal as the API shows it; money as a decimal string plus currency."""
    stage = d.stage
    return {
        "id": d.pk,
        "version": d.version,
        "name": d.name,
        "pipeline_id": d.pipeline_id,
        "stage_id": d.stage_id,
        "stage": stage.label,
        "is_open": not stage.is_closed,
        "is_won": stage.is_won,
        "is_lost": stage.is_lost,
        "account_id": d.account_id,
        "owner_id": d.owner_id,
        "team_id": d.team_id,
        "territory_id": d.territory_id,
        "amount": f"{d.amount:.2f}",
        "currency": d.currency,
        "expected_close_on": d.expected_close_on,
        "probability": d.probability,
        "is_probability_manual": d.is_probability_manual,
        "forecast_category": d.forecast_category,
        "source": d.source,
        "next_step": d.next_step,
        "next_step_on": d.next_step_on,
        "lost_reason": d.lost_reason,
        "stage_entered_at": d.stage_entered_at,
        "closed_on": d.closed_on,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def contact_role_out(dc: DealContact) -> dict[str, Any]:
    return {"contact_id": dc.contact_id, "name": str(dc.contact), "role": dc.role}


def line_item_out(li: DealLineItem) -> dict[str, Any]:
    return {
        "id": li.pk,
        "product_id": li.product_id,
        "description": li.description,
        "quantity": f"{li.quantity:.2f}",
        "unit_price": f"{li.unit_price:.2f}",
        "discount_percent": f"{li.discount_percent:.2f}",
        "tax_rate": f"{li.tax_rate:.2f}",
        "position": li.position,
    }


def _detail(actor: User, pk: int) -> dict[str, Any]:
    deal = selectors.deal_detail(actor=actor, pk=pk)
    return {
        **deal_out(deal),
        "contacts": [contact_role_out(c) for c in selectors.deal_contacts(actor=actor, deal=deal)],
        "line_items": [line_item_out(li) for li in selectors.deal_line_items(deal=deal)],
    }


def _query(request: HttpRequest) -> tuple[dict[str, str], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    filters: dict[str, str] = {}
    reserved: dict[str, Any] = {"limit": None}
    for key in request.GET:
        value = request.GET.get(key, "")
        if "\x00" in value or "\x00" in key or len(value) > MAX_QUERY_VALUE:
            errors[key] = [_("Enter a valid value.")]
        elif key == "limit":
            try:
                reserved["limit"] = int(value) if value else None
            except ValueError:
                errors["limit"] = [_("Enter a whole number.")]
        elif key in RESERVED:
            reserved[key] = value or None
        else:
            filters[key] = value
    if errors:
        raise ValidationError(errors)
    return filters, reserved


def _list_parameters() -> list[dict[str, Any]]:
    def param(name: str, description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": {"type": "string"},
        }

    params = [
        param("limit", "Page size (default 50, at most 200)."),
        param("cursor", "The `next_cursor` of the previous page."),
        param("sort", "name, expected_close_on, updated_at or id; `-` for descending."),
        param("q", "Only deals whose name contains this."),
        param("status", "open, won or lost."),
        param("contact_id", "Only deals this contact is on."),
        param("close_month", "Only deals expected to close in this month (YYYY-MM)."),
    ]
    for name in selectors.DEAL_FILTERS:
        params.append(param(name, f"Only deals whose `{name}` equals this."))
        params.append(param(f"{name}__in", f"`{name}` is one of these (comma-separated)."))
    for name in ("expected_close_on", "closed_on", "updated_at"):
        params.append(param(f"{name}__gte", f"`{name}` is at least this."))
        params.append(param(f"{name}__lte", f"`{name}` is at most this."))
    return params


# ---------------------------------------------------------------- pipelines


@router.get(
    "/pipelines",
    response={200: list[PipelineOut], **ERRORS},
    summary="List pipelines with their stages",
)
def pipelines_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [pipeline_out(p) for p in selectors.pipeline_list(actor=actor_of(request))]


@router.get(
    "/pipelines/{id}", response={200: PipelineOut, **ERRORS}, summary="One pipeline with stages"
)
def pipelines_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return pipeline_out(selectors.pipeline_get(actor=actor_of(request), pk=id))


# ---------------------------------------------------------------- deals


@router.get(
    "/deals",
    response={200: DealPageOut, **ERRORS},
    summary="List deals",
    description="One page of the deals you may see, keyset-paginated. An unknown filter is a 400.",
    openapi_extra={"parameters": _list_parameters()},
)
def deals_list(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    filters, r = _query(request)
    page = selectors.deal_list(
        actor=actor, filters=filters, sort=r.get("sort"), cursor=r.get("cursor"), limit=r["limit"]
    )
    return {"items": [deal_out(d) for d in page.items], "next_cursor": page.next_cursor}


@router.post("/deals", response={201: DealDetailOut, **ERRORS}, summary="Create a deal")
def deals_create(request: HttpRequest, payload: DealCreateIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    deal = services.deal_create(actor=actor, data=body_of(payload))
    return Status(201, _detail(actor, deal.pk))


@router.get("/deals/{id}", response={200: DealDetailOut, **ERRORS}, summary="One deal")
def deals_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return _detail(actor_of(request), id)


@router.patch("/deals/{id}", response={200: DealDetailOut, **ERRORS}, summary="Change a deal")
def deals_patch(request: HttpRequest, id: Id, payload: DealPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    services.deal_update(actor=actor, deal=deal, data=body_of(payload), version=payload.version)
    return _detail(actor, id)


@router.delete("/deals/{id}", response={204: None, **ERRORS}, summary="Delete a deal")
def deals_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.deal_delete(actor=actor, deal=selectors.deal_get(actor=actor, pk=id))
    return Status(204, None)


@router.post(
    "/deals/{id}/move",
    response={200: DealDetailOut, **ERRORS},
    summary="Move a deal to another stage of its pipeline",
    description="A lost stage needs `lost_reason`. A won stage creates the deal's order.",
)
def deals_move(request: HttpRequest, id: Id, payload: DealMoveIn) -> dict[str, Any]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    services.deal_move_stage(
        actor=actor,
        deal=deal,
        stage=payload.stage_id,
        version=payload.version,
        lost_reason=payload.lost_reason,
    )
    return _detail(actor, id)


@router.get(
    "/deals/{id}/stage-history",
    response={200: list[StageSpanOut], **ERRORS},
    summary="The stages a deal went through, with the time spent in each",
)
def deals_stage_history(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    deal = selectors.deal_get(actor=actor_of(request), pk=id)
    return [
        {
            "stage_id": s.stage.pk,
            "stage": s.stage.label,
            "entered_at": s.entered_at,
            "left_at": s.left_at,
            "seconds": s.seconds,
            "is_current": s.is_current,
            "changed_by_id": s.changed_by.pk if s.changed_by else None,
        }
        for s in selectors.deal_stage_history(deal=deal)
    ]


@router.get(
    "/deals/{id}/contacts",
    response={200: list[DealContactOut], **ERRORS},
    summary="The people on a deal, with their roles",
)
def deals_contacts(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    return [contact_role_out(c) for c in selectors.deal_contacts(actor=actor, deal=deal)]


@router.post(
    "/deals/{id}/contacts",
    response={200: DealDetailOut, **ERRORS},
    summary="Replace the people on a deal",
)
def deals_contacts_set(request: HttpRequest, id: Id, payload: DealContactsIn) -> dict[str, Any]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    services.deal_set_contacts(
        actor=actor,
        deal=deal,
        contacts=[c.model_dump() for c in payload.contacts],
        version=payload.version,
    )
    return _detail(actor, id)


@router.get(
    "/deals/{id}/line-items",
    response={200: list[LineItemOut], **ERRORS},
    summary="A deal's line items",
)
def deals_line_items(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    deal = selectors.deal_get(actor=actor_of(request), pk=id)
    return [line_item_out(li) for li in selectors.deal_line_items(deal=deal)]


@router.post(
    "/deals/{id}/line-items",
    response={200: DealDetailOut, **ERRORS},
    summary="Replace a deal's line items",
)
def deals_line_items_set(request: HttpRequest, id: Id, payload: LineItemsIn) -> dict[str, Any]:
    actor = actor_of(request)
    deal = selectors.deal_get(actor=actor, pk=id)
    services.deal_line_items_set(
        actor=actor,
        deal=deal,
        items=[i.model_dump(exclude_unset=True) for i in payload.items],
        version=payload.version,
    )
    return _detail(actor, id)
