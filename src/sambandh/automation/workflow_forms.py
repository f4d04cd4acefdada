"""The workflow builder form: how its inputs become the ``data`` the service takes, and back.

The form is plain HTML: a trigger with the settings of its type, condition rows (field,
comparison, value) under one "all"/"any" choice, and action rows chosen from the registry
with the settings of their type. Rows are numbered inputs (``c0-field``, ``a1-subject``);
"Add a row", "Remove" and a changed type re-post the form (htmx does it in place) and the
page comes back with the inputs that fit. Each row is checked with the very code the service
uses, so its message stands next to it; the service has the last word.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.automation import workflow_words as words
from sambandh.automation.models import TriggerType, WebhookEndpoint, Workflow
from sambandh.automation.registry import ACTIONS, OBJECT_TYPES
from sambandh.automation.workflows import clean_conditions
from sambandh.core.models import User

MAX_CONDITION_ROWS = 51
MAX_ACTION_ROWS = 21
TRUE_WORDS = {"true", "yes", "1", "on", "हाँ", "हां"}
FALSE_WORDS = {"false", "no", "0", "off", "नहीं"}
# The fields "update a field" may not set: each has its own action.
NOT_UPDATABLE = {"tags", "owner_id", "lifecycle_stage", "id", "created_at", "updated_at"}
EMAIL_INPUTS = ("email_subject_en", "email_text_en", "email_subject_hi", "email_text_hi")
# The settings inputs of each action type, in the order they are shown.
ACTION_INPUTS: dict[str, tuple[str, ...]] = {
    "update_field": ("field", "value"),
    "assign_owner": ("user_ids",),
    "create_task": ("subject", "due_in_days", "priority"),
    "add_tag": ("tag",),
    "remove_tag": ("tag",),
    "set_lifecycle_stage": ("stage",),
    "notify_user": ("user_id", "message"),
    "call_webhook": ("endpoint_id",),
    "send_email": EMAIL_INPUTS,
}
INPUT_LABELS: dict[str, Any] = {
    "field": gettext_lazy("Field"),
    "value": gettext_lazy("Value"),
    "user_ids": gettext_lazy("Users, in turn"),
    "subject": gettext_lazy("Task subject"),
    "due_in_days": gettext_lazy("Due in days"),
    "priority": gettext_lazy("Priority"),
    "tag": gettext_lazy("Tag"),
    "stage": gettext_lazy("Lifecycle stage"),
    "user_id": gettext_lazy("Who"),
    "message": gettext_lazy("Message"),
    "endpoint_id": gettext_lazy("Webhook"),
    "email_subject_en": gettext_lazy("Subject (English)"),
    "email_text_en": gettext_lazy("Text (English)"),
    "email_subject_hi": gettext_lazy("Subject (Hindi)"),
    "email_text_hi": gettext_lazy("Text (Hindi)"),
    "json": gettext_lazy("Settings (JSON)"),
    "trigger_field": gettext_lazy("Field"),
    "trigger_to": gettext_lazy("Changes to (optional)"),
    "stage_id": gettext_lazy("Stage (optional)"),
    "date_field": gettext_lazy("Date"),
    "offset_days": gettext_lazy("Days before (−) or after (+)"),
    "at": gettext_lazy("Time of day (HH:MM)"),
    "days": gettext_lazy("Days without change"),
    "cron": gettext_lazy("Schedule (cron: minute hour day month weekday)"),
}
TRIGGER_INPUTS: dict[str, tuple[str, ...]] = {
    TriggerType.FIELD_CHANGED: ("trigger_field", "trigger_to"),
    TriggerType.STAGE_CHANGED: ("stage_id",),
    TriggerType.DATE: ("date_field", "offset_days", "at"),
    TriggerType.INACTIVITY: ("days",),
    TriggerType.SCHEDULE: ("cron",),
}
TEXTAREAS = {"message", "email_text_en", "email_text_hi", "json"}
NUMBERS = {"due_in_days", "offset_days", "days"}


@dataclass
class ConditionRow:
    field: str = ""
    op: str = "eq"
    value: str = ""
    errors: list[str] = dc_field(default_factory=list)

    @property
    def is_blank(self) -> bool:
        return not self.field


@dataclass
class ActionRow:
    type: str = ""
    settings: dict[str, Any] = dc_field(default_factory=dict)
    errors: list[str] = dc_field(default_factory=list)

    @property
    def is_blank(self) -> bool:
        return not self.type


@dataclass
class Builder:
    """What the builder form shows: the posted (or saved) inputs, as text, and errors."""

    name: str = ""
    description: str = ""
    object_type: str = "contact"
    is_active: bool = False
    trigger: dict[str, str] = dc_field(default_factory=lambda: {"type": TriggerType.RECORD_CREATED})
    match: str = "all"
    conditions: list[ConditionRow] = dc_field(default_factory=list)
    actions: list[ActionRow] = dc_field(default_factory=list)
    # Conditions with nested groups (made through the API): shown read-only and kept,
    # unless the person chooses to replace them with rows.
    nested: dict[str, Any] | None = None
    replace_nested: bool = False
    version: str = ""
    errors: dict[str, list[str]] = dc_field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


# ---------------------------------------------------------------- values as text


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    return str(value)


def coerce(kind: str, text: str) -> Any:
    """A typed value from what was typed for a field of ``kind`` ("bool", "int", "number",
    "text"); numbers that do not read as numbers stay text, for the engine to refuse."""
    text = text.strip()
    if kind == "bool":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind in ("int", "number"):
        try:
            return int(text)
        except ValueError:
            pass
        if kind == "number":
            try:
                return float(text)
            except ValueError:
                pass
    return text


# ---------------------------------------------------------------- from a workflow


def _trigger_inputs(trigger: dict[str, Any]) -> dict[str, str]:
    kind = str(trigger.get("type", ""))
    raw = {"type": kind}
    if kind == TriggerType.FIELD_CHANGED:
        raw["trigger_field"] = str(trigger.get("field", ""))
        raw["trigger_to"] = value_text(trigger.get("to"))
    elif kind == TriggerType.STAGE_CHANGED:
        raw["stage_id"] = value_text(trigger.get("stage_id"))
    elif kind == TriggerType.DATE:
        raw["date_field"] = str(trigger.get("field", ""))
        raw["offset_days"] = value_text(trigger.get("offset_days", 0))
        raw["at"] = str(trigger.get("at", "09:00"))
    elif kind == TriggerType.INACTIVITY:
        raw["days"] = value_text(trigger.get("days"))
    elif kind == TriggerType.SCHEDULE:
        raw["cron"] = str(trigger.get("cron", ""))
    return raw


def _action_row(config: dict[str, Any]) -> ActionRow:
    kind = str(config.get("type", ""))
    rest = {k: v for k, v in config.items() if k != "type"}
    if kind not in ACTION_INPUTS:
        return ActionRow(kind, {"json": json.dumps(rest, ensure_ascii=False)})
    if kind == "send_email":
        subject, text = rest.get("subject") or {}, rest.get("text") or {}
        return ActionRow(
            kind,
            {
                "email_subject_en": str(subject.get("en", "")),
                "email_text_en": str(text.get("en", "")),
                "email_subject_hi": str(subject.get("hi", "")),
                "email_text_hi": str(text.get("hi", "")),
            },
        )
    settings: dict[str, Any] = {}
    for name in ACTION_INPUTS[kind]:
        if name == "user_ids":
            settings[name] = [str(u) for u in rest.get(name) or []]
        else:
            settings[name] = value_text(rest.get(name))
    return ActionRow(kind, settings)


def builder_for(workflow: Workflow | None) -> Builder:
    """The form for ``workflow`` as saved (None: a new one), with a blank row to fill."""
    if workflow is None:
        builder = Builder()
    else:
        tree = workflow.conditions or {}
        builder = Builder(
            name=workflow.name,
            description=workflow.description,
            object_type=workflow.object_type,
            is_active=workflow.is_active,
            trigger=_trigger_inputs(workflow.trigger or {}),
            version=str(workflow.version),
            actions=[_action_row(a) for a in workflow.actions or [] if isinstance(a, dict)],
        )
        if words.is_flat(tree):
            builder.match = "any" if "any" in tree else "all"
            items = next(iter(tree.values())) if tree else []
            builder.conditions = [
                ConditionRow(
                    str(i.get("field", "")), str(i.get("op", "eq")), value_text(i.get("value"))
                )
                for i in items
            ]
        else:
            builder.nested = tree
    with_blank_rows(builder)
    return builder


def with_blank_rows(builder: Builder) -> None:
    """One empty condition row and one empty action row to fill, as long as there is room."""
    if len(builder.conditions) < MAX_CONDITION_ROWS and all(
        not r.is_blank for r in builder.conditions
    ):
        builder.conditions.append(ConditionRow())
    if len(builder.actions) < MAX_ACTION_ROWS and all(not r.is_blank for r in builder.actions):
        builder.actions.append(ActionRow())


# ---------------------------------------------------------------- from the posted form


def _count(post: QueryDict, name: str, most: int) -> int:
    try:
        return max(0, min(int(post.get(name, "0")), most))
    except ValueError:
        return 0


def builder_from_post(post: QueryDict, workflow: Workflow | None) -> Builder:
    """The form as posted. A saved workflow's record type and nested conditions stay its own."""
    object_type = post.get("object_type", "contact")
    if workflow is not None:
        object_type = workflow.object_type
    trigger = {"type": post.get("trigger_type", "")}
    for name in TRIGGER_INPUTS.get(trigger["type"], ()):
        trigger[name] = post.get(name, "")
    builder = Builder(
        name=post.get("name", ""),
        description=post.get("description", ""),
        object_type=object_type,
        is_active=post.get("is_active") == "on",
        trigger=trigger,
        match="any" if post.get("match") == "any" else "all",
        version=post.get("version", ""),
        replace_nested=post.get("replace_nested") == "on",
    )
    if workflow is not None and not words.is_flat(workflow.conditions):
        builder.nested = workflow.conditions
    for i in range(_count(post, "condition_rows", MAX_CONDITION_ROWS)):
        builder.conditions.append(
            ConditionRow(
                post.get(f"c{i}-field", ""), post.get(f"c{i}-op", "eq"), post.get(f"c{i}-value", "")
            )
        )
    for i in range(_count(post, "action_rows", MAX_ACTION_ROWS)):
        kind = post.get(f"a{i}-type", "")
        settings: dict[str, Any] = {}
        for name in ACTION_INPUTS.get(kind, ("json",) if kind else ()):
            if name == "user_ids":
                settings[name] = post.getlist(f"a{i}-{name}")
            else:
                settings[name] = post.get(f"a{i}-{name}", "")
        builder.actions.append(ActionRow(kind, settings))
    return builder


def apply_command(builder: Builder, command: str) -> None:
    """A re-post that changes the form, not the workflow: add or remove a row, or show the
    inputs of a newly chosen type."""
    if command == "add_condition" and len(builder.conditions) < MAX_CONDITION_ROWS:
        builder.conditions.append(ConditionRow())
    elif command == "add_action" and len(builder.actions) < MAX_ACTION_ROWS:
        builder.actions.append(ActionRow())
    elif command.startswith(("remove_condition-", "remove_action-")):
        rows: list[Any] = (
            builder.conditions if command.startswith("remove_condition") else builder.actions
        )
        try:
            index = int(command.rsplit("-", 1)[1])
        except ValueError:
            index = -1
        if 0 <= index < len(rows):
            rows.pop(index)
    with_blank_rows(builder)


# ---------------------------------------------------------------- to the service's data


def _trigger_data(builder: Builder) -> dict[str, Any]:
    raw = builder.trigger
    kind = raw.get("type", "")
    trigger: dict[str, Any] = {"type": kind}
    if kind == TriggerType.FIELD_CHANGED:
        trigger["field"] = raw.get("trigger_field", "")
        if raw.get("trigger_to", "").strip():
            trigger["to"] = raw["trigger_to"].strip()
    elif kind == TriggerType.STAGE_CHANGED:
        if raw.get("stage_id"):
            trigger["stage_id"] = raw["stage_id"]
    elif kind == TriggerType.DATE:
        trigger["field"] = raw.get("date_field", "")
        trigger["offset_days"] = raw.get("offset_days", "").strip() or "0"
        trigger["at"] = raw.get("at", "").strip() or "09:00"
    elif kind == TriggerType.INACTIVITY:
        trigger["days"] = raw.get("days", "").strip()
    elif kind == TriggerType.SCHEDULE:
        trigger["cron"] = raw.get("cron", "")
    return trigger


def _condition_item(object_type: str, row: ConditionRow) -> dict[str, Any]:
    item: dict[str, Any] = {"field": row.field, "op": row.op}
    if row.op in words.NO_VALUE_OPS:
        return item
    kind = words.field_kind(object_type, row.field)
    if row.op in words.LIST_OPS:
        item["value"] = [coerce(kind, p) for p in row.value.split(",") if p.strip()]
    else:
        item["value"] = coerce(kind, row.value)
    return item


def _action_config(object_type: str, row: ActionRow) -> dict[str, Any]:
    s = row.settings
    if row.type not in ACTION_INPUTS:
        try:
            loaded = json.loads(s.get("json") or "{}")
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            raise ValueError(_("Enter the settings as a JSON object."))
        return {**loaded, "type": row.type}
    if row.type == "send_email":
        return {
            "type": row.type,
            "subject": {"en": s.get("email_subject_en", ""), "hi": s.get("email_subject_hi", "")},
            "text": {"en": s.get("email_text_en", ""), "hi": s.get("email_text_hi", "")},
        }
    config: dict[str, Any] = {"type": row.type}
    for name in ACTION_INPUTS[row.type]:
        config[name] = s.get(name, [] if name == "user_ids" else "")
    if row.type == "update_field":
        kind = words.field_kind(object_type, str(config["field"]))
        text = str(config["value"])
        config["value"] = None if not text.strip() and kind != "text" else coerce(kind, text)
    if row.type == "create_task" and not str(config["due_in_days"]).strip():
        config["due_in_days"] = "1"
    if row.type == "notify_user" and not config["user_id"]:
        config["user_id"] = "owner"
    return config


def _check_action(object_type: str, number: int, config: dict[str, Any]) -> None:
    action = ACTIONS.get(str(config.get("type")))
    if action is None or object_type not in action.object_types:
        raise ValueError(_("Action %(n)d: choose an action for this record type.") % {"n": number})
    action.clean(object_type, {k: v for k, v in config.items() if k != "type"})


def builder_data(builder: Builder, *, creating: bool) -> dict[str, Any] | None:
    """The service's ``data``, or None with the rows' errors filled in."""
    ok = True
    data: dict[str, Any] = {
        "name": builder.name,
        "description": builder.description,
        "trigger": _trigger_data(builder),
        "is_active": builder.is_active,
    }
    if creating:
        data["object_type"] = builder.object_type
    if builder.object_type not in OBJECT_TYPES:
        return data  # the service names the record type; rows cannot be checked without it
    filters: list[dict[str, Any]] = []
    for row in builder.conditions:
        if row.is_blank:
            continue
        try:
            item = _condition_item(builder.object_type, row)
            clean_conditions(builder.object_type, {"all": [item]})
        except ValueError as exc:
            row.errors.append(str(exc))
            ok = False
            continue
        filters.append(item)
    if builder.nested is None or builder.replace_nested:
        data["conditions"] = {builder.match: filters} if filters else {}
    configs: list[dict[str, Any]] = []
    for action_row in builder.actions:
        if action_row.is_blank:
            continue
        try:
            config = _action_config(builder.object_type, action_row)
            _check_action(builder.object_type, len(configs) + 1, config)
        except ValueError as exc:
            action_row.errors.append(str(exc))
            ok = False
            continue
        configs.append(config)
    data["actions"] = configs
    return data if ok else None


# ---------------------------------------------------------------- what the template shows


def _option(value: str, label: Any, current: Any) -> dict[str, Any]:
    chosen = value in current if isinstance(current, list) else value == current
    return {"value": value, "label": str(label), "selected": chosen}


@dataclass
class Choices:
    """The options the selects offer, read once per page."""

    object_type: str
    fields: list[tuple[str, str]]
    date_fields: list[tuple[str, str]]
    users: list[tuple[str, str]]
    stages: list[tuple[str, str]]
    lifecycle_stages: list[tuple[str, str]]
    webhooks: list[tuple[str, str]]
    action_types: list[tuple[str, str]]

    @classmethod
    def load(cls, object_type: str) -> Choices:
        from sambandh.contacts.models import LifecycleStage
        from sambandh.sales.models import Stage

        users = User.objects.filter(is_active=True).order_by("first_name", "username")
        stages = Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        )
        return cls(
            object_type=object_type,
            fields=words.field_choices(object_type),
            date_fields=words.date_field_choices(object_type),
            users=[(str(u.pk), u.get_full_name() or u.username) for u in users],
            stages=[(str(s.pk), f"{s.pipeline.label} → {s.label}") for s in stages],
            lifecycle_stages=[
                (s.key, s.label) for s in LifecycleStage.objects.filter(is_active=True)
            ],
            webhooks=[
                (str(e.pk), e.description or e.url) for e in WebhookEndpoint.objects.order_by("id")
            ],
            action_types=[
                (a.key, str(a.label)) for a in ACTIONS.values() if object_type in a.object_types
            ],
        )

    def options_for(self, name: str) -> list[tuple[str, str]] | None:
        empty = [("", "—")]
        if name in ("field", "trigger_field"):
            fields = self.fields
            if name == "field":
                fields = [f for f in fields if f[0] not in NOT_UPDATABLE]
            return empty + fields
        if name == "date_field":
            return self.date_fields
        if name == "user_ids":
            return self.users
        if name == "user_id":
            return [("owner", _("The record's owner")), *self.users]
        if name == "stage_id":
            return [("", _("Any stage")), *self.stages]
        if name == "stage":
            return empty + self.lifecycle_stages
        if name == "endpoint_id":
            return empty + self.webhooks
        if name == "priority":
            return [("low", _("Low")), ("normal", _("Normal")), ("high", _("High"))]
        return None


def _input(name: str, html_name: str, current: Any, choices: Choices) -> dict[str, Any]:
    options = choices.options_for(name)
    if name == "priority" and not current:
        current = "normal"
    kind = "text"
    if options is not None:
        kind = "multi" if name == "user_ids" else "select"
    elif name in TEXTAREAS:
        kind = "textarea"
    elif name in NUMBERS:
        kind = "number"
    shown = current if isinstance(current, list) else str(current or "")
    known = {value for value, _label in options or []}
    if options is not None and isinstance(shown, str) and shown and shown not in known:
        options = [*options, (shown, shown)]  # a value saved earlier stays visible
    if kind == "multi" and isinstance(shown, list):
        # A browser sends the chosen options in the page's order: the chosen users come first,
        # in their turn, so saving the form keeps the round robin's order.
        labels = dict(options or [])
        chosen = [(v, labels[v]) for v in shown if v in labels]
        options = chosen + [(v, label) for v, label in options or [] if v not in shown]
    return {
        "name": html_name,
        "id": "wf-" + html_name,
        "label": str(INPUT_LABELS.get(name, name)),
        "kind": kind,
        "rows": 6 if name.startswith("email_text") else 3,
        "value": shown,
        "options": [_option(v, label, shown) for v, label in options or []],
    }


def view_context(builder: Builder, choices: Choices) -> dict[str, Any]:
    """The builder's rows with their inputs, ready for the template."""
    trigger_type = builder.trigger.get("type", "")
    trigger_inputs = [
        _input(name, name, builder.trigger.get(name, ""), choices)
        for name in TRIGGER_INPUTS.get(trigger_type, ())
    ]
    conditions = [
        {
            "index": i,
            "field": _input("trigger_field", f"c{i}-field", row.field, choices),
            "op": {
                "name": f"c{i}-op",
                "options": [_option(k, label, row.op) for k, label in words.OPS.items()],
            },
            "value": row.value,
            "errors": row.errors,
        }
        for i, row in enumerate(builder.conditions)
    ]
    action_types = list(choices.action_types)
    actions = []
    for i, row in enumerate(builder.actions):
        types = action_types
        if row.type and row.type not in dict(types):
            types = [*types, (row.type, words.action_label(row.type))]
        actions.append(
            {
                "index": i,
                "type": {
                    "name": f"a{i}-type",
                    "options": [_option("", "—", row.type)]
                    + [_option(k, label, row.type) for k, label in types],
                },
                "inputs": [
                    _input(name, f"a{i}-{name}", row.settings.get(name, ""), choices)
                    for name in ACTION_INPUTS.get(row.type, ("json",) if row.type else ())
                ],
                "is_email": row.type == "send_email",
                "errors": row.errors,
            }
        )
    return {
        "b": builder,
        "object_types": [
            _option(k, label, builder.object_type) for k, label in words.object_type_choices()
        ],
        "trigger_types": [_option(k, label, trigger_type) for k, label in TriggerType.choices],
        "trigger_inputs": trigger_inputs,
        "conditions": conditions,
        "actions": actions,
        "nested_text": words.conditions_text(builder.object_type, builder.nested or {}),
        "placeholders": "{first_name} {last_name} {full_name} {owner_name} {company}",
    }
