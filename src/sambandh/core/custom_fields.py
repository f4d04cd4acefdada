"""Custom-field definitions and the validation of their values (kept in a JSON column)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sambandh.core import prepared, validation
from sambandh.core.context import request_cache
from sambandh.core.errors import PermissionDenied
from sambandh.core.models import CustomFieldDefinition, CustomFieldType, User
from sambandh.core.permissions import can_read_field, can_write_field

TEXT_MAX = 2000


def _active(object_type: str) -> Any:
    return CustomFieldDefinition.objects.filter(object_type=object_type, is_active=True)


# In the model's order; every column, to build the definitions.
_DEFINITIONS = prepared.PreparedValues(
    lambda object_type: (
        _active(object_type)
        .order_by("position", "id")
        .values(*prepared.concrete_paths(CustomFieldDefinition))
    ),
    1,
)
# What every API list page needs of them: their keys and which are sensitive.
_SENSITIVITY = prepared.PreparedValues(
    lambda object_type: _active(object_type).values("key", "is_sensitive"), 1
)


def definitions(object_type: str) -> list[CustomFieldDefinition]:
    """Active definitions, read once per request (a list page must not ask once per row)."""
    cache = request_cache()
    key = f"custom_fields:{object_type}"
    if cache is not None and key in cache:
        return list(cache[key])
    # Every API request reads these: a query compiled once per process skips the ORM's
    # compiling, most of the cost of this one-table read.
    using = CustomFieldDefinition.objects.db
    found = [
        prepared.instance(CustomFieldDefinition, row, "", using)
        for row in _DEFINITIONS.rows(object_type, using=using)
    ]
    if cache is not None:
        cache[key] = found
    return found


def forget_definitions() -> None:
    """Called by every write to a definition, so the same request sees the change."""
    cache = request_cache()
    if cache is not None:
        for key in [k for k in cache if k.startswith("custom_fields:")]:
            del cache[key]


def field_name(definition: CustomFieldDefinition) -> str:
    return f"cf.{definition.key}"


def _readable(actor: User, object_type: str, key: str, sensitive: bool) -> bool:
    return not sensitive or can_read_field(actor, object_type, f"cf.{key}")


def readable_definitions(actor: User, object_type: str) -> list[CustomFieldDefinition]:
    return [
        d for d in definitions(object_type) if _readable(actor, object_type, d.key, d.is_sensitive)
    ]


def readable_keys(actor: User, object_type: str) -> set[str]:
    """Keys of the active definitions the actor may read (without building the definitions
    when this request has not read them yet: a list page needs only keys and sensitivity)."""
    cache = request_cache()
    if cache is not None and f"custom_fields:{object_type}" in cache:
        return {d.key for d in readable_definitions(actor, object_type)}
    rows = _SENSITIVITY.rows(object_type, using=CustomFieldDefinition.objects.db)
    return {
        row["key"] for row in rows if _readable(actor, object_type, row["key"], row["is_sensitive"])
    }


def visible_values(actor: User, object_type: str, values: dict[str, Any]) -> dict[str, Any]:
    """The custom values an actor may read: those of active definitions, sensitive ones only
    with a field grant. An allow-list: values of a deactivated or deleted definition stay in the
    JSON but are shown to nobody (a retired sensitive field must not become readable by all)."""
    readable = readable_keys(actor, object_type)
    return {k: v for k, v in values.items() if k in readable}


def clean_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """The stored JSON form of one value, or ValueError with a translated message."""
    ftype = definition.field_type
    if value is None or value == "" or value == []:
        return None
    if ftype == CustomFieldType.TEXT:
        return validation.clean_text(value, max_length=definition.max_length or TEXT_MAX)
    if ftype == CustomFieldType.NUMBER:
        number = validation.clean_decimal(
            value, min_value=definition.min_value, max_value=definition.max_value, places=4
        )
        if number is None:
            return None
        normalized = number.normalize()
        return int(normalized) if normalized == normalized.to_integral() else float(normalized)
    if ftype == CustomFieldType.MONEY:
        if not isinstance(value, dict):
            raise ValueError(_("Enter an amount and a currency."))
        unknown = set(value) - {"amount", "currency"}
        if unknown:
            raise ValueError(_("Enter an amount and a currency."))
        amount = validation.clean_decimal(
            value.get("amount"), min_value=definition.min_value, max_value=definition.max_value
        )
        currency = validation.clean_currency(value.get("currency"), required=True)
        if amount is None:
            raise ValueError(_("Enter an amount and a currency."))
        return {"amount": str(amount), "currency": currency}
    if ftype == CustomFieldType.DATE:
        parsed = validation.clean_date(value)
        return parsed.isoformat() if parsed else None
    if ftype == CustomFieldType.CHOICE:
        if not isinstance(value, str) or value not in definition.choice_values():
            raise ValueError(_("Choose one of the offered values."))
        return value
    if ftype == CustomFieldType.MULTI_CHOICE:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        allowed = definition.choice_values()
        if not isinstance(value, list) or any(
            not isinstance(v, str) or v.strip() not in allowed for v in value
        ):
            raise ValueError(_("Choose only offered values."))
        return sorted({v.strip() for v in value}, key=allowed.index)
    if ftype == CustomFieldType.BOOLEAN:
        return validation.clean_bool(value)
    if ftype == CustomFieldType.URL:
        return validation.clean_url(value)
    raise ValueError(_("Unknown field type."))  # pragma: no cover


def clean_custom_values(
    *,
    actor: User,
    object_type: str,
    incoming: dict[str, Any],
    existing: dict[str, Any],
    errors: dict[str, list[str]],
    creating: bool,
) -> dict[str, Any]:
    """Merge ``incoming`` into ``existing``; field errors go into ``errors`` as ``cf.<key>``.

    Writing a sensitive field without a grant is PermissionDenied: the actor asked for
    something they may not do, which is not a matter of correcting a value.
    """
    defs = {d.key: d for d in definitions(object_type)}
    result = dict(existing)
    if not isinstance(incoming, dict):
        errors.setdefault("custom", []).append(_("Enter an object of custom field values."))
        return result
    for key, raw in incoming.items():
        definition = defs.get(key)
        name = f"cf.{key}"
        if definition is None:
            errors.setdefault(name, []).append(_("Unknown field."))
            continue
        if definition.is_sensitive and not can_write_field(
            actor, object_type, field_name(definition)
        ):
            raise PermissionDenied(
                _("You may not change the field “%(f)s”.") % {"f": definition.label}
            )
        try:
            value = clean_value(definition, raw)
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    for key, definition in defs.items():
        if (
            definition.is_required
            and result.get(key) in (None, "", [])
            and (creating or key in incoming)
        ):
            errors.setdefault(f"cf.{key}", []).append(_("This field is required."))
    return result
