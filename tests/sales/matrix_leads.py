"""The leads and territories share of the permission matrix (see ``tests/matrix.py``).

Roles in order: Administrator, Sales manager, Sales rep, Support agent, Marketer, Read-only.
Territories are configured by administrators and sales managers; lead forms, scoring and
assignment rules also by marketers. The target contact is an administrator's, in no team.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.contacts.models import Contact
from sambandh.core.models import User
from sambandh.sales.models import (
    AssignmentRule,
    LeadForm,
    LeadFormSubmission,
    LeadScoreEvent,
    ScoringRule,
    Territory,
)
from sambandh.sales.services.assignment import assignment_rule_create
from sambandh.sales.services.leads import form_token, lead_form_create
from sambandh.sales.services.scoring import scoring_rule_create
from sambandh.sales.services.territories import territory_create
from tests.matrix import MatrixPart, Targets

ALL_200 = "200 200 200 200 200 200"
SETTINGS_WRITE = {  # managers and administrators; marketers too for lead settings
    "territory": ("201 201 403 403 403 403", "200 200 403 403 403 403", "204 204 403 403 403 403"),
    "lead": ("201 201 403 403 201 403", "200 200 403 403 200 403", "204 204 403 403 204 403"),
}
PATHS = {
    "territories": "territory",
    "lead-forms": "lead",
    "scoring-rules": "lead",
    "assignment-rules": "lead",
}

API_MATRIX: dict[tuple[str, str], str] = {}
for _path, _group in PATHS.items():
    _create, _update, _delete = SETTINGS_WRITE[_group]
    API_MATRIX.update(
        {
            ("GET", f"/api/v1/{_path}"): ALL_200,
            ("POST", f"/api/v1/{_path}"): _create,
            ("GET", f"/api/v1/{_path}/{{id}}"): ALL_200,
            ("PATCH", f"/api/v1/{_path}/{{id}}"): _update,
            ("DELETE", f"/api/v1/{_path}/{{id}}"): _delete,
        }
    )
API_MATRIX.update(
    {
        ("POST", "/api/v1/leads"): "201 201 201 403 201 403",
        ("GET", "/api/v1/contacts/{id}/score"): "200 200 404 200 200 200",
        ("POST", "/api/v1/contacts/{id}/qualify"): "201 201 404 403 403 403",
    }
)

HTML_GET_MATRIX: dict[str, str] = {
    "sales:lead_form_public": ALL_200,
    "sales:lead_form_embed": ALL_200,
    "sales:lead_panel": "200 200 404 200 200 200",
    "sales:lead_qualify": "200 200 404 403 403 403",
}
HTML_POST_MATRIX: dict[str, str] = {
    "sales:lead_form_public": ALL_200,
    "sales:lead_qualify": "302 302 404 403 403 403",
}
SETTINGS_KINDS = {
    "territory": "territory",
    "lead_form": "lead",
    "scoring_rule": "lead",
    "assignment_rule": "lead",
}
for _key, _group in SETTINGS_KINDS.items():
    # Create, edit and delete need the same roles (configuration: an "all" scope or none).
    _write = "200 200 403 403 403 403" if _group == "territory" else "200 200 403 403 200 403"
    _post = _write.replace("200", "302")
    HTML_GET_MATRIX.update(
        {
            f"sales:{_key}_list": ALL_200,
            f"sales:{_key}_create": _write,
            f"sales:{_key}_edit": _write,
            f"sales:{_key}_delete": _write,
        }
    )
    HTML_POST_MATRIX.update(
        {f"sales:{_key}_create": _post, f"sales:{_key}_edit": _post, f"sales:{_key}_delete": _post}
    )

TARGET_SLUG = "target-form"


def _make_targets(t: Targets) -> None:
    admin = t.admin
    t.objects.update(
        territory=territory_create(
            actor=admin, data={"name": "Target territory", "countries": ["NP"]}
        ),
        lead_form=lead_form_create(actor=admin, data={"name": "Target form", "slug": TARGET_SLUG}),
        scoring_rule=scoring_rule_create(
            actor=admin,
            data={"name": "Target rule", "kind": "behaviour", "event": "email_opened", "points": 1},
        ),
        assignment_rule=assignment_rule_create(
            actor=admin,
            data={
                "name": "Target assignment",
                "strategy": "territory",
                "conditions": {"source": "never"},
            },
        ),
    )


def _version(obj: Any) -> int:
    return int(type(obj).objects.values_list("version", flat=True).get(pk=obj.pk))


def _api_body(method: str, path: str, t: Targets, actor: User) -> dict[str, Any] | None:
    if method not in {"POST", "PATCH"}:
        return None
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/territories"): {"name": "New territory", "countries": ["IN"]},
        ("PATCH", "/api/v1/territories/{id}"): {
            "states": ["Bagmati"],
            "version": _version(t.territory),
        },
        ("POST", "/api/v1/lead-forms"): {"name": "New form", "slug": "new-form"},
        ("PATCH", "/api/v1/lead-forms/{id}"): {"name": "Renamed", "version": _version(t.lead_form)},
        ("POST", "/api/v1/scoring-rules"): {
            "name": "New rule",
            "kind": "attribute",
            "field": "country",
            "operator": "equals",
            "value": "IN",
            "points": 5,
        },
        ("PATCH", "/api/v1/scoring-rules/{id}"): {"points": 2, "version": _version(t.scoring_rule)},
        ("POST", "/api/v1/assignment-rules"): {"name": "New", "strategy": "territory"},
        ("PATCH", "/api/v1/assignment-rules/{id}"): {
            "name": "Renamed",
            "version": _version(t.assignment_rule),
        },
        ("POST", "/api/v1/leads"): {"email": "new-lead@example.com", "first_name": "New"},
        ("POST", "/api/v1/contacts/{id}/qualify"): {
            "create_account_name": "Qualified Ltd",
            "deal": {"name": "Qualified deal", "amount": "1000"},
            "version": _version(t.contact),
        },
    }
    return bodies[(method, path)]


def _html_views() -> list[tuple[str, str]]:
    views = [("sales:lead_form_public", reverse("sales:lead_form_public", args=[TARGET_SLUG]))]
    for key in SETTINGS_KINDS:
        views.append((f"sales:{key}_list", reverse(f"sales:{key}_list")))
        views.append((f"sales:{key}_create", reverse(f"sales:{key}_create")))
        views.append((f"sales:{key}_edit", reverse(f"sales:{key}_edit", args=[1])))
        views.append((f"sales:{key}_delete", reverse(f"sales:{key}_delete", args=[1])))
    for name in ("sales:lead_form_embed", "sales:lead_panel", "sales:lead_qualify"):
        views.append((name, reverse(name, args=[1])))
    return views


VIEWS = ("edit", "delete")  # the settings views of one record


def _html_url(name: str, path: str, t: Targets) -> str:
    targets = {
        **{f"sales:{key}_{view}": getattr(t, key) for key in SETTINGS_KINDS for view in VIEWS},
        "sales:lead_form_embed": t.lead_form,
        "sales:lead_panel": t.contact,
        "sales:lead_qualify": t.contact,
    }
    target = targets.get(name)
    return path.replace("/1/", f"/{target.pk}/") if target is not None else path


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    forms: dict[str, dict[str, Any]] = {
        "sales:lead_form_public": {
            "email": "web-lead@example.com",
            "first_name": "Web",
            "token": form_token(t.lead_form),
        },
        "sales:lead_qualify": {
            "create_account_name": "Qualified Ltd",
            "deal.name": "Qualified deal",
            "deal.amount": "1000",
            "version": str(_version(t.contact)),
        },
        "sales:territory_create": {
            "name": "Matrix territory",
            "countries": "IN",
            "is_active": "on",
        },
        "sales:territory_edit": {
            "name": "Renamed territory",
            "countries": "NP",
            "version": str(_version(t.territory)),
        },
        "sales:lead_form_create": {
            "name": "Matrix form",
            "slug": "matrix-form",
            "fields": "email, first_name",
            "lifecycle_stage_key": "lead",
        },
        "sales:lead_form_edit": {
            "name": "Renamed form",
            "slug": TARGET_SLUG,
            "fields": "email",
            "lifecycle_stage_key": "lead",
            "version": str(_version(t.lead_form)),
        },
        "sales:scoring_rule_create": {
            "name": "Matrix rule",
            "kind": "behaviour",
            "event": "email_opened",
            "points": "5",
        },
        "sales:scoring_rule_edit": {
            "name": "Renamed rule",
            "kind": "behaviour",
            "event": "email_opened",
            "points": "2",
            "version": str(_version(t.scoring_rule)),
        },
        "sales:assignment_rule_create": {"name": "Matrix assignment", "strategy": "territory"},
        "sales:assignment_rule_edit": {
            "name": "Renamed assignment",
            "strategy": "territory",
            "version": str(_version(t.assignment_rule)),
        },
        **{f"sales:{key}_delete": {} for key in SETTINGS_KINDS},  # a confirmed delete: no fields
    }
    return forms[name]


PART = MatrixPart(
    name="leads and territories",
    api=API_MATRIX,
    api_ids=[
        ("/api/v1/territories/", "territory"),
        ("/api/v1/lead-forms/", "lead_form"),
        ("/api/v1/scoring-rules/", "scoring_rule"),
        ("/api/v1/assignment-rules/", "assignment_rule"),
    ],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=_html_views,
    html_url=_html_url,
    html_form=_html_form,
    anonymous_open={"sales:lead_form_public"},
    make_targets=_make_targets,
    state_models=[
        Territory,
        LeadForm,
        LeadFormSubmission,
        ScoringRule,
        LeadScoreEvent,
        AssignmentRule,
        Contact,
    ],
)
