"""The lead settings forms: which fields each settings page shows (territories, lead forms,
scoring rules, assignment rules), how a posted form becomes a service's data, and how a
stored object is shown in a list cell or a form field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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

MAX_OPTIONS = 500


@dataclass(frozen=True)
class Input:
    """One field of a settings form. ``widget``: text, list, select, checkbox, number, json."""

    name: str
    label: str | Promise
    widget: str = "text"
    help: str | Promise = ""
    options: Callable[[], list[tuple[str, str]]] = list


def _options(rows: Iterable[Any], label: Callable[[Any], str]) -> list[tuple[str, str]]:
    """A select's choices: the empty one first, then one a row (by primary key)."""
    return [("", "—"), *((str(row.pk), label(row)) for row in rows)]


def _teams() -> list[tuple[str, str]]:
    return _options(Team.objects.order_by("name")[:MAX_OPTIONS], lambda t: t.name)


def _users() -> list[tuple[str, str]]:
    return _options(User.objects.filter(is_active=True).order_by("username")[:MAX_OPTIONS], str)


def _territories() -> list[tuple[str, str]]:
    return _options(Territory.objects.order_by("name")[:MAX_OPTIONS], lambda t: t.name)


def _stages() -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in LifecycleStage.objects.filter(is_active=True)]


def _choices(pairs: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [("", "—"), *((str(k), str(v)) for k, v in pairs.items())]


NAME = Input("name", gettext_lazy("Name"))
IS_ACTIVE = Input("is_active", gettext_lazy("Is active"), "checkbox")
ANY_LIST = gettext_lazy("Comma-separated. Empty: any.")
# Column headings that are not the label of a form field of the same name (or ``<name>_id``).
COLUMN_LABELS: dict[str, str | Promise] = {"summary": gettext_lazy("Rule")}


def _form(*inputs: Input) -> tuple[Input, ...]:
    """Every settings form: the name first, the fields of its kind, "is active" last."""
    return (NAME, *inputs, IS_ACTIVE)


@dataclass(frozen=True)
class SettingsKind:
    """One kind of lead settings record and the services that write it.

    The services take the record under the keyword ``arg`` (``territory``, ``form``, ``rule``);
    ``create``, ``update`` and ``delete`` call them the same way for every kind.
    """

    key: str
    model: type[models.Model]
    object_type: str
    title: str | Promise
    singular: str | Promise
    inputs: tuple[Input, ...]
    arg: str
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., None]
    items: Callable[..., list[Any]]
    column_names: tuple[str, ...] = field(default=())
    delete_note: str | Promise = ""  # what deleting one does beyond removing it

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"sales:{self.key}_{name}", args=args)

    def create(self, *, actor: User, data: dict[str, Any]) -> Any:
        return self.create_service(actor=actor, data=data)

    def update(self, *, actor: User, obj: Any, data: dict[str, Any], version: int) -> Any:
        return self.update_service(actor=actor, data=data, version=version, **{self.arg: obj})

    def delete(self, *, actor: User, obj: Any) -> None:
        self.delete_service(actor=actor, **{self.arg: obj})

    @property
    def columns(self) -> tuple[tuple[str, str | Promise], ...]:
        """(name, heading) of the list's columns; headings are the form's labels."""
        labels = {item.name: item.label for item in self.inputs}
        return tuple(
            (name, COLUMN_LABELS.get(name) or labels.get(name) or labels[f"{name}_id"])
            for name in self.column_names
        )


KINDS: dict[str, SettingsKind] = {
    kind.key: kind
    for kind in (
        SettingsKind(
            key="territory",
            model=Territory,
            object_type=ObjectType.TERRITORY,
            title=gettext_lazy("Territories"),
            singular=gettext_lazy("Territory"),
            inputs=_form(
                Input(
                    "parent_id", gettext_lazy("Parent territory"), "select", options=_territories
                ),
                Input(
                    "countries",
                    gettext_lazy("Countries"),
                    "list",
                    gettext_lazy("Two-letter codes, comma-separated, e.g. IN, NP. Empty: any."),
                ),
                Input("states", gettext_lazy("States / regions"), "list", ANY_LIST),
                Input("industries", gettext_lazy("Industries"), "list", ANY_LIST),
                Input(
                    "size_bands", gettext_lazy("Company sizes"), "list", ", ".join(SizeBand.values)
                ),
                Input("team_id", gettext_lazy("Team"), "select", options=_teams),
                Input("default_owner_id", gettext_lazy("Default owner"), "select", options=_users),
                Input("position", gettext_lazy("Position"), "number"),
            ),
            arg="territory",
            create_service=territories.territory_create,
            update_service=territories.territory_update,
            delete_service=territories.territory_delete,
            delete_note=gettext_lazy(
                "Its contacts and companies are matched to the territories again. A territory "
                "with sub-territories cannot be deleted: move or delete them first."
            ),
            items=selectors.territory_list,
            column_names=(
                "name",
                "parent",
                "countries",
                "states",
                "team",
                "default_owner",
                "is_active",
            ),
        ),
        SettingsKind(
            key="lead_form",
            model=LeadForm,
            object_type=ObjectType.LEAD_FORM,
            title=gettext_lazy("Lead forms"),
            singular=gettext_lazy("Lead form"),
            inputs=_form(
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
                    "lifecycle_stage_key",
                    gettext_lazy("Lifecycle stage"),
                    "select",
                    options=_stages,
                ),
            ),
            arg="form",
            create_service=leads.lead_form_create,
            update_service=leads.lead_form_update,
            delete_service=leads.lead_form_delete,
            delete_note=gettext_lazy(
                "The form stops accepting leads and its submission log goes with it; the "
                "contacts it captured stay."
            ),
            items=selectors.lead_form_list,
            column_names=("name", "slug", "source", "is_active"),
        ),
        SettingsKind(
            key="scoring_rule",
            model=ScoringRule,
            object_type=ObjectType.LEAD_RULE,
            title=gettext_lazy("Lead scoring rules"),
            singular=gettext_lazy("Scoring rule"),
            inputs=_form(
                Input(
                    "kind",
                    gettext_lazy("Kind"),
                    "select",
                    options=_choices(dict(ScoringRuleKind.choices)),
                ),
                Input(
                    "field",
                    gettext_lazy("Field"),
                    "select",
                    options=_choices(scoring.ATTRIBUTE_FIELDS),
                ),
                Input(
                    "operator",
                    gettext_lazy("Operator"),
                    "select",
                    options=_choices(scoring.OPERATORS),
                ),
                Input(
                    "value",
                    gettext_lazy("Value"),
                    help=gettext_lazy("For “is one of”: comma-separated."),
                ),
                Input(
                    "event",
                    gettext_lazy("Behaviour"),
                    "select",
                    options=_choices(scoring.BEHAVIOURS),
                ),
                Input("points", gettext_lazy("Points"), "number"),
                Input(
                    "decay_days",
                    gettext_lazy("Points fade over (days)"),
                    "number",
                    gettext_lazy("Behaviour points fade linearly to 0. Empty: never."),
                ),
            ),
            arg="rule",
            create_service=scoring.scoring_rule_create,
            update_service=scoring.scoring_rule_update,
            delete_service=scoring.scoring_rule_delete,
            delete_note=gettext_lazy(
                "The points it gave are taken back and lead scores are computed again."
            ),
            items=selectors.scoring_rule_list,
            column_names=("name", "kind", "summary", "points", "decay_days", "is_active"),
        ),
        SettingsKind(
            key="assignment_rule",
            model=AssignmentRule,
            object_type=ObjectType.LEAD_RULE,
            title=gettext_lazy("Lead assignment rules"),
            singular=gettext_lazy("Assignment rule"),
            inputs=_form(
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
            ),
            arg="rule",
            create_service=assignment.assignment_rule_create,
            update_service=assignment.assignment_rule_update,
            delete_service=assignment.assignment_rule_delete,
            delete_note=gettext_lazy("The contacts it assigned keep their owner."),
            items=selectors.assignment_rule_list,
            column_names=("position", "name", "strategy", "team", "conditions", "is_active"),
        ),
    )
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
