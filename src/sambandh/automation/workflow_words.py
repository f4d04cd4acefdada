"""Workflows in words, for people: the fields a record type offers to conditions and
triggers, the comparisons, and a workflow's trigger, conditions and actions as sentences in
the reader's language. Nothing here decides anything: the engine (``workflows.py``) does."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sambandh.automation.models import TriggerType
from sambandh.automation.registry import ACTIONS, OBJECT_TYPES, RunContext, model_for
from sambandh.automation.workflows import DATE_FIELDS
from sambandh.core.models import CustomFieldDefinition, User

# The comparisons of a condition, in the order a person looks for them.
OPS: dict[str, Any] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "contains": gettext_lazy("contains"),
    "starts_with": gettext_lazy("starts with"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "gt": gettext_lazy("is more than"),
    "gte": gettext_lazy("is at least"),
    "lt": gettext_lazy("is less than"),
    "lte": gettext_lazy("is at most"),
    "is_empty": gettext_lazy("is empty"),
    "is_set": gettext_lazy("is set"),
}
# The same comparisons in a sentence (word order differs between languages).
OP_SENTENCES: dict[str, Any] = {
    "eq": gettext_lazy("%(field)s is %(value)s"),
    "ne": gettext_lazy("%(field)s is not %(value)s"),
    "contains": gettext_lazy("%(field)s contains %(value)s"),
    "starts_with": gettext_lazy("%(field)s starts with %(value)s"),
    "in": gettext_lazy("%(field)s is one of %(value)s"),
    "not_in": gettext_lazy("%(field)s is none of %(value)s"),
    "gt": gettext_lazy("%(field)s is more than %(value)s"),
    "gte": gettext_lazy("%(field)s is at least %(value)s"),
    "lt": gettext_lazy("%(field)s is less than %(value)s"),
    "lte": gettext_lazy("%(field)s is at most %(value)s"),
    "is_empty": gettext_lazy("%(field)s is empty"),
    "is_set": gettext_lazy("%(field)s is set"),
}
NO_VALUE_OPS = {"is_empty", "is_set"}
LIST_OPS = {"in", "not_in"}
# Columns no condition needs: internals and lists kept as JSON.
SKIPPED = {"custom", "version", "search_text", "other_emails", "other_phones"}
RESULT_STATUS: dict[str, Any] = {
    "done": pgettext_lazy("action result", "Done"),
    "undone": gettext_lazy("Undone (the run failed)"),
    "failed": pgettext_lazy("action result", "Failed"),
    "running": gettext_lazy("Running"),
}


def object_type_label(object_type: str) -> str:
    entry = OBJECT_TYPES.get(object_type)
    return str(entry[2]) if entry else object_type


def object_type_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, (_m, _n, label) in OBJECT_TYPES.items()]


def _custom_fields(object_type: str) -> list[CustomFieldDefinition]:
    return list(
        CustomFieldDefinition.objects.filter(object_type=object_type, is_active=True).order_by(
            "position", "id"
        )
    )


def field_choices(object_type: str) -> list[tuple[str, str]]:
    """(name, label) of every field a condition may look at: the record's own columns,
    ``tags``, and each custom field as ``cf.<key>``."""
    if object_type not in OBJECT_TYPES:
        return []
    model = model_for(object_type)
    choices: list[tuple[str, str]] = []
    for field in model._meta.get_fields():
        if not getattr(field, "concrete", False) or field.many_to_many or field.name in SKIPPED:
            continue
        name = field.name
        if isinstance(field, models.ForeignKey) and name != "lifecycle_stage":
            name = f"{name}_id"
        choices.append((name, capfirst(str(getattr(field, "verbose_name", name)))))
    if hasattr(model, "tags"):
        choices.append(("tags", _("Tags")))
    if object_type == "deal":
        choices += [("is_won", _("Won")), ("is_lost", _("Lost"))]
    choices += [(f"cf.{d.key}", d.label) for d in _custom_fields(object_type)]
    return choices


def date_field_choices(object_type: str) -> list[tuple[str, str]]:
    """The dates a date trigger may count from: birthdays, anniversaries, close dates and
    custom date fields."""
    labels = dict(field_choices(object_type))
    chosen = [(n, labels.get(n, n)) for n in DATE_FIELDS.get(object_type, ())]
    chosen += [
        (f"cf.{d.key}", d.label) for d in _custom_fields(object_type) if d.field_type == "date"
    ]
    return chosen


def field_kind(object_type: str, name: str) -> str:
    """ "bool", "int", "number" or "text": how a value typed for this field is read."""
    if name in ("is_won", "is_lost"):
        return "bool"
    if name.startswith("cf."):
        definition = next((d for d in _custom_fields(object_type) if d.key == name[3:]), None)
        if definition is None:
            return "text"
        return {"number": "number", "boolean": "bool"}.get(definition.field_type, "text")
    if object_type not in OBJECT_TYPES or name in ("tags", "lifecycle_stage"):
        return "text"
    try:
        field = model_for(object_type)._meta.get_field(name.removesuffix("_id"))
    except Exception:  # noqa: BLE001 - FieldDoesNotExist: the engine says so on saving
        return "text"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return "int"
    return "text"


def field_label(object_type: str, name: str) -> str:
    return dict(field_choices(object_type)).get(name, name)


# ---------------------------------------------------------------- sentences


def _quoted(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_quoted(v) for v in value)
    return f"“{value}”"


def _stage_name(stage_id: Any) -> str:
    from sambandh.sales.models import Stage

    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        return f"#{stage_id}"
    return f"{stage.pipeline.label} → {stage.label}"


def trigger_text(object_type: str, trigger: dict[str, Any]) -> str:
    """What starts the workflow, as a sentence."""
    kind = trigger.get("type")
    record = object_type_label(object_type).lower()
    if kind == TriggerType.RECORD_CREATED:
        return _("When a %(record)s is created") % {"record": record}
    if kind == TriggerType.RECORD_UPDATED:
        return _("When a %(record)s is changed") % {"record": record}
    if kind == TriggerType.FIELD_CHANGED:
        field = field_label(object_type, str(trigger.get("field", "")))
        if "to" in trigger:
            return _("When %(field)s changes to %(value)s") % {
                "field": field,
                "value": _quoted(trigger["to"]),
            }
        return _("When %(field)s changes") % {"field": field}
    if kind == TriggerType.STAGE_CHANGED:
        if trigger.get("stage_id"):
            return _("When a deal moves to the stage %(stage)s") % {
                "stage": _stage_name(trigger["stage_id"])
            }
        return _("When a deal changes stage")
    if kind == TriggerType.DATE:
        field = field_label(object_type, str(trigger.get("field", "")))
        days = int(trigger.get("offset_days", 0))
        at = trigger.get("at", "09:00")
        zone = (
            _("in the contact's time zone")
            if object_type == "contact"
            else _("in the organisation's time zone")
        )
        if days < 0:
            return _("%(days)d days before the %(field)s, at %(at)s %(zone)s") % {
                "days": -days,
                "field": field,
                "at": at,
                "zone": zone,
            }
        if days > 0:
            return _("%(days)d days after the %(field)s, at %(at)s %(zone)s") % {
                "days": days,
                "field": field,
                "at": at,
                "zone": zone,
            }
        return _("On the %(field)s, at %(at)s %(zone)s") % {"field": field, "at": at, "zone": zone}
    if kind == TriggerType.INACTIVITY:
        return _("When a %(record)s has not changed for %(days)s days") % {
            "record": record,
            "days": trigger.get("days"),
        }
    if kind == TriggerType.SCHEDULE:
        return _("On the schedule “%(cron)s” (the organisation's time zone)") % {
            "cron": trigger.get("cron", "")
        }
    if kind == TriggerType.MANUAL:
        return _("Only when run by hand")
    return _("Unknown trigger")


def _filter_text(object_type: str, item: dict[str, Any]) -> str:
    field = field_label(object_type, str(item.get("field", "")))
    op = str(item.get("op", "eq"))
    sentence = OP_SENTENCES.get(op)
    if sentence is None:
        return f"{field} {op} {_quoted(item.get('value'))}"
    return str(sentence) % {"field": field, "value": _quoted(item.get("value"))}


def conditions_text(object_type: str, tree: Any) -> str:
    """The conditions as one sentence ("" when every record qualifies); groups in brackets."""
    if not isinstance(tree, dict) or not tree:
        return ""
    if "field" in tree:
        return _filter_text(object_type, tree)
    joiner = "all" if "all" in tree else "any"
    items = tree.get(joiner)
    if not isinstance(items, list):
        return ""
    parts = []
    for item in items:
        text = conditions_text(object_type, item)
        if not text:
            continue
        parts.append(f"({text})" if isinstance(item, dict) and "field" not in item else text)
    glue = f" {_('and')} " if joiner == "all" else f" {_('or')} "
    return glue.join(parts)


def is_flat(tree: Any) -> bool:
    """Whether the form's rows can show these conditions: one group of plain filters."""
    if not isinstance(tree, dict) or not tree:
        return True
    if set(tree) not in ({"all"}, {"any"}):
        return False
    items = next(iter(tree.values()))
    return isinstance(items, list) and all(isinstance(i, dict) and "field" in i for i in items)


def action_label(key: str) -> str:
    action = ACTIONS.get(key)
    return str(action.label) if action else key


def action_text(actor: User, object_type: str, config: dict[str, Any]) -> str:
    """What an action does, as the registry words it (its own label if it cannot)."""
    action = ACTIONS.get(str(config.get("type")))
    if action is None:
        return str(config.get("type"))
    ctx = RunContext(actor, 0, None, object_type, None)
    try:
        return f"{action.label}: {action.describe(ctx, config)}"
    except Exception:  # noqa: BLE001 - a description must never break the page
        return str(action.label)


def definition_words(actor: User, definition: dict[str, Any]) -> dict[str, Any]:
    """A workflow's (or a version's) definition in sentences, for templates."""
    object_type = str(definition.get("object_type", ""))
    actions = definition.get("actions") or []
    return {
        "object_type": object_type_label(object_type),
        "trigger": trigger_text(object_type, definition.get("trigger") or {}),
        "conditions": conditions_text(object_type, definition.get("conditions") or {}),
        "actions": [action_text(actor, object_type, a) for a in actions if isinstance(a, dict)],
    }
