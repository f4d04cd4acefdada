"""The lead settings forms: which fields each settings page shows (territories, lead forms,
scoring rules, assignment rules), how a posted form becomes a service's data, and how a
stored object is shown in a list cell or a form field."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.contacts.models import LifecycleStage, SizeBand
from sambandh.core.models import ObjectType, Team, User
from sambandh.sales.models import (
    AssignmentRule,
    AssignmentStrategy,
    LeadForm,
    ScoringRule,
    ScoringRuleKind,
    Territory,
)
from sambandh.sales.selectors import leads as selectors
from sambandh.sales.services import assignment, leads, scoring, territories


@dataclass(frozen=True)
class Input:
    """One field of a settings form. ``widget``: text, list, select, checkbox, number, json."""

    name: str
    label: str | Promise
    widget: str = "text"
    help: str | Promise = ""
    options: Callable[[], list[tuple[str, str]]] = list


def _teams() -> list[tuple[str, str]]:
    return [("", "—"), *((str(t.pk), t.name) for t in Team.objects.order_by("name")[:500])]


def _users() -> list[tuple[str, str]]:
    users = User.objects.filter(is_active=True).order_by("username")[:500]
    return [("", "—"), *((str(u.pk), str(u)) for u in users)]


def _territories() -> list[tuple[str, str]]:
    return [("", "—"), *((str(t.pk), t.name) for t in Territory.objects.order_by("name")[:500])]


def _stages() -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in LifecycleStage.objects.filter(is_active=True)]


def _choices(pairs: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [("", "—"), *((str(k), str(v)) for k, v in pairs.items())]


@dataclass(frozen=True)
class SettingsKind:
    key: str
    model: type[models.Model]
    object_type: str
    title: str | Promise
    singular: str | Promise
    inputs: tuple[Input, ...]
    create: Callable[..., Any]
    update: Callable[..., Any]
    items: Callable[..., list[Any]]
    columns: tuple[tuple[str, str | Promise], ...] = field(default=())

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"sales:{self.key}_{name}", args=args)


KINDS: dict[str, SettingsKind] = {
    "territory": SettingsKind(
        key="territory",
        model=Territory,
        object_type=ObjectType.TERRITORY,
        title=gettext_lazy("Territories"),
        singular=gettext_lazy("Territory"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input("parent_id", gettext_lazy("Parent territory"), "select", options=_territories),
            Input(
                "countries",
                gettext_lazy("Countries"),
                "list",
                gettext_lazy("Two-letter codes, comma-separated, e.g. IN, NP. Empty: any."),
            ),
            Input(
                "states",
                gettext_lazy("States / regions"),
                "list",
                gettext_lazy("Comma-separated. Empty: any."),
            ),
            Input(
                "industries",
                gettext_lazy("Industries"),
                "list",
                gettext_lazy("Comma-separated. Empty: any."),
            ),
            Input("size_bands", gettext_lazy("Company sizes"), "list", ", ".join(SizeBand.values)),
            Input("team_id", gettext_lazy("Team"), "select", options=_teams),
            Input("default_owner_id", gettext_lazy("Default owner"), "select", options=_users),
            Input("position", gettext_lazy("Position"), "number"),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: territories.territory_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: territories.territory_update(
            actor=actor, territory=obj, data=data, version=version
        ),
        items=selectors.territory_list,
        columns=(
            ("name", gettext_lazy("Name")),
            ("parent", gettext_lazy("Parent territory")),
            ("countries", gettext_lazy("Countries")),
            ("states", gettext_lazy("States / regions")),
            ("team", gettext_lazy("Team")),
            ("default_owner", gettext_lazy("Default owner")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
    "lead_form": SettingsKind(
        key="lead_form",
        model=LeadForm,
        object_type=ObjectType.LEAD_FORM,
        title=gettext_lazy("Lead forms"),
        singular=gettext_lazy("Lead form"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input(
                "slug",
                gettext_lazy("Address"),
                help=gettext_lazy("Letters, digits and hyphens: /sales/forms/<address>/"),
            ),
            Input("source", gettext_lazy("Source")),
            Input("campaign", gettext_lazy("Campaign")),
            Input("fields", gettext_lazy("Fields"), "list", ", ".join(leads.CAPTURE_FIELDS)),
            Input("thank_you_en", gettext_lazy("Thank-you message (English)")),
            Input("thank_you_hi", gettext_lazy("Thank-you message (Hindi)")),
            Input(
                "lifecycle_stage_key", gettext_lazy("Lifecycle stage"), "select", options=_stages
            ),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: leads.lead_form_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: leads.lead_form_update(
            actor=actor, form=obj, data=data, version=version
        ),
        items=selectors.lead_form_list,
        columns=(
            ("name", gettext_lazy("Name")),
            ("slug", gettext_lazy("Address")),
            ("source", gettext_lazy("Source")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
    "scoring_rule": SettingsKind(
        key="scoring_rule",
        model=ScoringRule,
        object_type=ObjectType.LEAD_RULE,
        title=gettext_lazy("Lead scoring rules"),
        singular=gettext_lazy("Scoring rule"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input(
                "kind",
                gettext_lazy("Kind"),
                "select",
                options=_choices(dict(ScoringRuleKind.choices)),
            ),
            Input(
                "field", gettext_lazy("Field"), "select", options=_choices(scoring.ATTRIBUTE_FIELDS)
            ),
            Input(
                "operator", gettext_lazy("Operator"), "select", options=_choices(scoring.OPERATORS)
            ),
            Input(
                "value",
                gettext_lazy("Value"),
                help=gettext_lazy("For “is one of”: comma-separated."),
            ),
            Input(
                "event", gettext_lazy("Behaviour"), "select", options=_choices(scoring.BEHAVIOURS)
            ),
            Input("points", gettext_lazy("Points"), "number"),
            Input(
                "decay_days",
                gettext_lazy("Points fade over (days)"),
                "number",
                gettext_lazy("Behaviour points fade linearly to 0. Empty: never."),
            ),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: scoring.scoring_rule_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: scoring.scoring_rule_update(
            actor=actor, rule=obj, data=data, version=version
        ),
        items=selectors.scoring_rule_list,
        columns=(
            ("name", gettext_lazy("Name")),
            ("kind", gettext_lazy("Kind")),
            ("summary", gettext_lazy("Rule")),
            ("points", gettext_lazy("Points")),
            ("decay_days", gettext_lazy("Points fade over (days)")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
    "assignment_rule": SettingsKind(
        key="assignment_rule",
        model=AssignmentRule,
        object_type=ObjectType.LEAD_RULE,
        title=gettext_lazy("Lead assignment rules"),
        singular=gettext_lazy("Assignment rule"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input("position", gettext_lazy("Position"), "number"),
            Input(
                "strategy",
                gettext_lazy("Strategy"),
                "select",
                options=_choices(dict(AssignmentStrategy.choices)),
            ),
            Input("team_id", gettext_lazy("Team"), "select", options=_teams),
            Input(
                "conditions",
                gettext_lazy("Conditions"),
                "json",
                gettext_lazy(
                    'JSON, e.g. {"country": ["IN", "NP"], "source": "web"}. Empty: every lead.'
                ),
            ),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: assignment.assignment_rule_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: assignment.assignment_rule_update(
            actor=actor, rule=obj, data=data, version=version
        ),
        items=selectors.assignment_rule_list,
        columns=(
            ("position", gettext_lazy("Position")),
            ("name", gettext_lazy("Name")),
            ("strategy", gettext_lazy("Strategy")),
            ("team", gettext_lazy("Team")),
            ("conditions", gettext_lazy("Conditions")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
}


def cell(obj: Any, name: str) -> str:
    if name == "summary":
        if obj.kind == ScoringRuleKind.BEHAVIOUR:
            return str(scoring.BEHAVIOURS.get(obj.event, obj.event))
        label = scoring.ATTRIBUTE_FIELDS.get(obj.field, obj.field)
        return f"{label} {scoring.OPERATORS.get(obj.operator, obj.operator)} {obj.value}"
    value = getattr(obj, name)
    if name in ("kind", "strategy"):
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return "" if value is None else str(value)


def initial(kind: SettingsKind, obj: Any | None) -> dict[str, str]:
    if obj is None:
        return {"is_active": "on"}
    out: dict[str, str] = {}
    for item in kind.inputs:
        value = getattr(obj, item.name)
        if item.widget == "checkbox":
            out[item.name] = "on" if value else ""
        elif item.widget == "list":
            out[item.name] = ", ".join(str(v) for v in value or [])
        elif item.widget == "json":
            out[item.name] = json.dumps(value, ensure_ascii=False) if value else ""
        else:
            out[item.name] = "" if value is None else str(value)
    return out


def posted(post: QueryDict) -> dict[str, str]:
    """What was submitted, to show again with the errors."""
    return {k: str(post.get(k, "")) for k in post if k != "csrfmiddlewaretoken"}


def parse(kind: SettingsKind, post: QueryDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's values as a service expects them; a field the form leaves empty is sent
    empty (so it can be cleared), a checkbox absent is False."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in kind.inputs:
        raw = post.get(item.name, "")
        if item.widget == "checkbox":
            data[item.name] = item.name in post
        elif item.widget == "json":
            if raw.strip():
                try:
                    data[item.name] = json.loads(raw)
                except ValueError:
                    errors[item.name] = [_("Enter valid JSON.")]
            else:
                data[item.name] = {}
        elif item.widget == "number":
            data[item.name] = raw.strip() or None
        else:
            data[item.name] = raw
    # An empty number that the model requires (position) falls back to its default.
    if data.get("position") is None and "position" in data:
        data["position"] = 0
    return data, errors
