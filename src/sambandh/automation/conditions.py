"""Workflow conditions: AND/OR groups of filters on any field of a record, custom fields
(``cf.<key>``) and tags included, compiled to one ``Q``. The same ``Q`` decides for one record
(an event's) and for many (test mode, date and schedule triggers), so both agree.

A condition tree is ``{"all": [...]}`` or ``{"any": [...]}`` whose items are groups or
filters ``{"field": "lifecycle_stage", "op": "eq", "value": "customer"}``; ``{}`` is true.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from sambandh.automation.registry import model_for

OPS = {
    "eq",
    "ne",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "is_empty",
    "is_set",
}
MAX_DEPTH = 4
MAX_FILTERS = 50
# Fields a condition may not look at: secrets and internals.
HIDDEN = {"search_text", "version"}


def field_path(object_type: str, name: str) -> str:
    """The ORM lookup path of a condition field; raises ValueError for an unknown one."""
    model = model_for(object_type)
    if name.startswith("cf."):
        key = name[3:]
        if not key.isidentifier():
            raise ValueError(_("“%(name)s” is not a field of this record.") % {"name": name})
        return f"custom__{key}"
    if name == "tags":
        return "tags__name"
    if name == "lifecycle_stage" and hasattr(model, "lifecycle_stage"):
        return "lifecycle_stage__key"
    if name in ("is_won", "is_lost") and hasattr(model, "stage"):
        return f"stage__{name}"  # a deal is won or lost by its stage
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends
        raise ValueError(_("“%(name)s” is not a field of this record.") % {"name": name}) from None
    if name in HIDDEN or not getattr(field, "concrete", False) or field.many_to_many:
        raise ValueError(_("“%(name)s” is not a field of this record.") % {"name": name})
    if isinstance(field, models.ForeignKey):
        return f"{field.name}_id"
    return field.name


def _storable(value: Any) -> bool:
    """A scalar a database can compare with: numbers beyond 64 bits overflow the drivers."""
    if isinstance(value, bool | str | float):
        return True
    return isinstance(value, int) and -(2**63) <= value < 2**63


def _filter_q(object_type: str, item: dict[str, Any]) -> Q:
    path = field_path(object_type, str(item.get("field", "")))
    op = item.get("op", "eq")
    value = item.get("value")
    if not isinstance(op, str) or op not in OPS:
        raise ValueError(_("“%(op)s” is not a comparison.") % {"op": op})
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValueError(_("Give a list of values."))
        if not all(_storable(v) for v in value):
            raise ValueError(_("A condition's value does not suit its field."))
        q = Q(**{f"{path}__in": value})
        return ~q if op == "not_in" else q
    if op == "is_empty":
        return Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
    if op == "is_set":
        return ~(Q(**{f"{path}__isnull": True}) | Q(**{path: ""}))
    if value is None or isinstance(value, dict | list):
        raise ValueError(_("Give a value to compare with."))
    if not _storable(value):
        raise ValueError(_("A condition's value does not suit its field."))
    lookup = {
        "eq": "iexact" if isinstance(value, str) else "exact",
        "ne": "iexact" if isinstance(value, str) else "exact",
        "contains": "icontains",
        "starts_with": "istartswith",
        "gt": "gt",
        "gte": "gte",
        "lt": "lt",
        "lte": "lte",
    }[op]
    q = Q(**{f"{path}__{lookup}": value})
    return ~q if op == "ne" else q


def compile_conditions(object_type: str, tree: Any, *, depth: int = 0) -> Q:
    """The ``Q`` of a condition tree; raises ValueError (translated) for a bad tree."""
    if tree in (None, {}):
        return Q()
    if not isinstance(tree, dict) or depth > MAX_DEPTH:
        raise ValueError(_("Conditions are groups of “all” or “any” with filters in them."))
    if "field" in tree:
        return _filter_q(object_type, tree)
    keys = set(tree)
    if keys not in ({"all"}, {"any"}) or not isinstance(tree[next(iter(keys))], list):
        raise ValueError(_("Conditions are groups of “all” or “any” with filters in them."))
    joiner = "all" if "all" in tree else "any"
    parts = [compile_conditions(object_type, item, depth=depth + 1) for item in tree[joiner]]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if joiner == "all" else combined | part
    return combined


def count_filters(tree: Any) -> int:
    if not isinstance(tree, dict):
        return 0
    if "field" in tree:
        return 1
    return sum(
        count_filters(item) for value in tree.values() if isinstance(value, list) for item in value
    )


def matching(object_type: str, tree: Any, ids: list[Any]) -> set[str]:
    """Of the records ``ids``, those that meet ``tree`` (one query)."""
    model = model_for(object_type)
    q = compile_conditions(object_type, tree)
    found = model._default_manager.filter(q, pk__in=ids).values_list("pk", flat=True).distinct()
    return {str(pk) for pk in found}
