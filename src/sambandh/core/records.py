"""Helpers every service shares: version checks, field diffs, the audit+event pair."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.core.audit import audit_record
from sambandh.core.errors import Conflict, NotFound, ValidationError
from sambandh.core.events import event_emit
from sambandh.core.models import User

M = TypeVar("M", bound=models.Model)


def lock_for_update(model: type[M], pk: Any, *, version: int | None) -> M:
    """Re-read a record under a row lock and refuse a stale ``version`` (409, never overwrite)."""
    try:
        obj = model._default_manager.select_for_update().get(pk=pk)
    except model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise NotFound() from exc
    if version is not None and getattr(obj, "version") != version:  # noqa: B009
        raise Conflict()
    return obj


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def apply_values(obj: models.Model, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set attributes; return ``{field: [before, after]}`` for those that changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [jsonable(old), jsonable(new)]
            setattr(obj, name, new)
    return changes


def save_changed(obj: Any, changes: Mapping[str, Any], extra_fields: Iterable[str] = ()) -> None:
    obj.version += 1
    obj.updated_at = timezone.now()
    fields = {*(f.split(".")[0] for f in changes), *extra_fields, "version", "updated_at"}
    # Custom-field changes are recorded as cf.<key> but stored in the ``custom`` column.
    fields = {"custom" if f == "cf" else f for f in fields}
    obj.save(update_fields=sorted(fields))


def record_change(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
    event: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """The audit entry and the domain event that every write leaves behind."""
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=obj.pk,
        object_repr=str(obj),
        changes=dict(changes or {}),
    )
    if event:
        event_emit(
            name=event,
            actor=actor,
            object_type=object_type,
            object_id=obj.pk,
            payload=payload
            if payload is not None
            else {"id": obj.pk, "changes": dict(changes or {})},
        )


def collect(errors: dict[str, list[str]], name: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)``, filing its ValueError under ``name``; returns None on error."""
    try:
        return fn(*args)
    except ValueError as exc:
        errors.setdefault(name, []).append(str(exc))
        return None


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)
