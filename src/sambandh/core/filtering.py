"""Turning list filters from a URL or an API query into safe ORM lookups.

Only declared fields filter; values are parsed by the field itself, so a bad value is a
400 with a message, never a 500. Custom fields filter as ``cf.<key>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from sambandh.core.custom_fields import definitions, field_name
from sambandh.core.errors import ValidationError
from sambandh.core.models import CustomFieldType, User
from sambandh.core.permissions import can_read_field
from sambandh.core.validation import clean_lookup_value

RANGE_TYPES = (models.DateField, models.DateTimeField, models.DecimalField, models.IntegerField)
MAX_IN = 100


def parse_value(field: models.Field[Any, Any], raw: str) -> Any:
    """A filter's text as the value ``field`` is filtered by (DjangoValidationError, ValueError
    or TypeError when it is not one)."""
    if isinstance(field, models.BooleanField):
        lowered = raw.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        raise DjangoValidationError("bad boolean")
    if isinstance(field, models.ForeignKey):
        return clean_lookup_value(field.target_field.to_python(raw))
    return clean_lookup_value(field.to_python(raw))


def apply_filters(
    queryset: models.QuerySet[Any],
    *,
    actor: User,
    object_type: str,
    filters: Mapping[str, str],
    fields: Mapping[str, str],
) -> models.QuerySet[Any]:
    """Filter by ``name`` (exact), ``name__in`` (comma-separated), ``name__gte`` / ``name__lte``.

    ``fields`` maps a public filter name to a model field path (``"owner_id": "owner"``).
    """
    model = queryset.model
    errors: dict[str, list[str]] = {}
    # Only a custom-field filter needs the definitions (a query, outside a request).
    custom_defs = (
        {d.key: d for d in definitions(object_type)}
        if any(key.startswith("cf.") for key in filters)
        else {}
    )
    for key, raw in filters.items():
        if raw is None or raw == "":
            continue
        if key.startswith("cf."):
            queryset = _custom_filter(queryset, actor, object_type, key, raw, custom_defs, errors)
            continue
        name, _sep, op = key.partition("__")
        path = fields.get(name)
        if path is None or op not in {"", "in", "gte", "lte"}:
            errors[key] = [_("Unknown filter.")]
            continue
        field = model._meta.get_field(path.split("__")[0])
        if path.endswith("__key"):
            field = field.related_model._meta.get_field("key")  # type: ignore[union-attr]
        if op in {"gte", "lte"} and not isinstance(field, RANGE_TYPES):
            errors[key] = [_("This field cannot be filtered by range.")]
            continue
        try:
            if op == "in":
                values = [parse_value(field, part) for part in raw.split(",")[:MAX_IN]]
                queryset = queryset.filter(**{f"{path}__in": values})
            else:
                value = parse_value(field, raw)
                lookup = path if not op else f"{path}__{op}"
                queryset = queryset.filter(**{lookup: value})
        except (DjangoValidationError, ValueError, TypeError):
            errors[key] = [_("Enter a valid value.")]
    if errors:
        raise ValidationError(errors)
    return queryset


def _custom_filter(
    queryset: models.QuerySet[Any],
    actor: User,
    object_type: str,
    key: str,
    raw: str,
    custom_defs: Mapping[str, Any],
    errors: dict[str, list[str]],
) -> models.QuerySet[Any]:
    definition = custom_defs.get(key[3:])
    # A sensitive field the actor may not read must not be probed through filters either.
    if definition is None or (
        definition.is_sensitive and not can_read_field(actor, object_type, field_name(definition))
    ):
        errors[key] = [_("Unknown filter.")]
        return queryset
    path = f"custom__{definition.key}"
    ftype = definition.field_type
    try:
        if ftype == CustomFieldType.NUMBER:
            number = float(raw)
            # nan, inf and 1e999 parse as floats but are not JSON: the database would choke.
            if not math.isfinite(number):
                raise ValueError(raw)
            return queryset.filter(**{path: int(number) if number.is_integer() else number})
        if ftype == CustomFieldType.BOOLEAN:
            return queryset.filter(**{path: raw.strip().lower() in {"true", "1", "yes"}})
        if ftype == CustomFieldType.MONEY:
            return queryset.filter(**{f"{path}__amount": raw})
        if ftype == CustomFieldType.MULTI_CHOICE:
            if connection.vendor == "postgresql":
                return queryset.filter(**{f"{path}__contains": [raw]})
            table = queryset.model._meta.db_table
            # The table name is the model's; the key passed the definition's [a-z0-9_] check.
            sql = f'EXISTS (SELECT 1 FROM json_each("{table}"."custom", %s) WHERE value = %s)'  # noqa: S608
            return queryset.filter(
                RawSQL(  # noqa: S611
                    sql,
                    [f'$."{definition.key}"', raw],
                    output_field=models.BooleanField(),
                )
            )
        return queryset.filter(**{path: raw})
    except (ValueError, TypeError):
        errors[key] = [_("Enter a valid value.")]
        return queryset
