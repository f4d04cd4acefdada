"""The deals and pipelines share of the permission matrix (see ``tests/matrix.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.core.models import User
from sambandh.sales.models import Deal, DealContact, DealLineItem, DealStageChange, Pipeline, Stage
from sambandh.sales.services.deals import deal_create
from tests.matrix import MatrixPart, Targets

# (method, path): expected status per role: Administrator, Sales manager, Sales rep,
# Support agent, Marketer, Read-only. The target deal is an administrator's, in no team.
API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/pipelines"): "200 200 200 200 200 200",
    ("GET", "/api/v1/pipelines/{id}"): "200 200 200 200 200 200",
    ("GET", "/api/v1/deals"): "200 200 200 200 200 200",
    ("POST", "/api/v1/deals"): "201 201 201 403 403 403",
    ("GET", "/api/v1/deals/{id}"): "200 200 404 200 200 200",
    ("PATCH", "/api/v1/deals/{id}"): "200 200 404 403 403 403",
    ("DELETE", "/api/v1/deals/{id}"): "204 204 404 403 403 403",
    ("POST", "/api/v1/deals/{id}/move"): "200 200 404 403 403 403",
    ("GET", "/api/v1/deals/{id}/stage-history"): "200 200 404 200 200 200",
    ("GET", "/api/v1/deals/{id}/contacts"): "200 200 404 200 200 200",
    ("POST", "/api/v1/deals/{id}/contacts"): "200 200 404 403 403 403",
    ("GET", "/api/v1/deals/{id}/line-items"): "200 200 404 200 200 200",
    ("POST", "/api/v1/deals/{id}/line-items"): "200 200 404 403 403 403",
}

HTML_GET_MATRIX: dict[str, str] = {
    "sales:deal_list": "200 200 200 200 200 200",
    "sales:deal_create": "200 200 200 403 403 403",
    "sales:deal_detail": "200 200 404 200 200 200",
    "sales:deal_edit": "200 200 404 403 403 403",
    "sales:deal_delete": "200 200 404 403 403 403",
    "sales:deal_move": "200 200 404 403 403 403",
    "sales:deal_contacts": "200 200 404 200 200 200",
    "sales:deal_line_items": "200 200 404 200 200 200",
    "sales:board": "200 200 200 200 200 200",
    "sales:board_column": "200 200 200 200 200 200",
}
HTML_POST_MATRIX: dict[str, str] = {
    "sales:deal_create": "302 302 302 403 403 403",
    "sales:deal_edit": "302 302 404 403 403 403",
    "sales:deal_delete": "302 302 404 403 403 403",
    "sales:deal_move": "302 302 404 403 403 403",
    "sales:deal_contacts": "302 302 404 403 403 403",
    "sales:deal_line_items": "302 302 404 403 403 403",
}


def _proposal() -> Stage:
    return Stage.objects.get(pipeline__is_default=True, label_en="Proposal")


def _make_targets(t: Targets) -> None:
    t.objects.update(
        deal=deal_create(actor=t.admin, data={"name": "Target deal", "amount": "500"}),
        pipeline=Pipeline.objects.get(is_default=True),
    )


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    if method not in {"POST", "PATCH"}:
        return None
    version = t.deal.version
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/deals"): {"name": "New deal"},
        ("PATCH", "/api/v1/deals/{id}"): {"next_step": "Call them", "version": version},
        ("POST", "/api/v1/deals/{id}/move"): {"stage_id": _proposal().pk, "version": version},
        ("POST", "/api/v1/deals/{id}/contacts"): {
            "contacts": [{"contact_id": t.contact.pk, "role": "user"}],
            "version": version,
        },
        ("POST", "/api/v1/deals/{id}/line-items"): {
            "items": [{"description": "Setup", "unit_price": "100"}],
            "version": version,
        },
    }
    return bodies[(method, path)]


def _html_views() -> list[tuple[str, str]]:
    views = [
        (name, reverse(name)) for name in ("sales:deal_list", "sales:deal_create", "sales:board")
    ]
    views.append(("sales:board_column", reverse("sales:board_column", args=[1])))
    for suffix in ("detail", "edit", "delete", "move", "contacts", "line_items"):
        name = f"sales:deal_{suffix}"
        views.append((name, reverse(name, args=[1])))
    return views


def _html_url(name: str, path: str, t: Targets) -> str:
    if name == "sales:board_column":
        return path.replace("/1/", f"/{_proposal().pk}/")
    return path.replace("/1/", f"/{t.deal.pk}/")


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    version = str(t.deal.version)
    if name == "sales:deal_create":
        return {"name": "Matrix deal", "stage_id": str(_proposal().pk), "amount": "10"}
    if name == "sales:deal_edit":
        return {
            "version": version,
            "name": "Matrix renamed",
            "stage_id": str(t.deal.stage_id),
            "amount": "500.00",
            "currency": "INR",
            "forecast_category": "pipeline",
        }
    if name == "sales:deal_move":
        return {"version": version, "stage_id": str(_proposal().pk)}
    if name == "sales:deal_contacts":
        return {"version": version, "contact_id": str(t.contact.pk), "role": "user"}
    if name == "sales:deal_line_items":
        return {"version": version, "description": "Setup", "unit_price": "100"}
    return {}


PART = MatrixPart(
    name="deals and pipelines",
    api=API_MATRIX,
    api_ids=[("/api/v1/deals/", "deal"), ("/api/v1/pipelines/", "pipeline")],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=_html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[Deal, DealContact, DealLineItem, DealStageChange],
)
