"""Writes to tags."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.contacts.models import (
    Tag,
)
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import require
from sambandh.core.records import (
    apply_values,
    raise_if,
    record_change,
)

# ---------------------------------------------------------------- tags


def tag_create(*, actor: User, name: Any, color: Any = None) -> Tag:
    """Create a tag; names are unique regardless of case."""
    require(actor, ObjectType.TAG, Action.CREATE)
    errors: dict[str, list[str]] = {}
    try:
        clean = validation.clean_text(name, max_length=60, required=True)
    except ValueError as exc:
        errors["name"] = [str(exc)]
    clean_color = _color(color, errors)
    raise_if(errors)
    with transaction.atomic():
        if Tag.objects.filter(name__iexact=clean).exists():
            raise ValidationError({"name": [_("A tag with this name exists already.")]})
        tag = Tag.objects.create(name=clean, color=clean_color or "#64748b")
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.TAG,
            obj=tag,
            changes={"name": [None, clean]},
            event="tag.created",
        )
    return tag


def _color(value: Any, errors: dict[str, list[str]]) -> str:
    if value in (None, ""):
        return ""
    if (
        not isinstance(value, str)
        or len(value) != 7
        or value[0] != "#"
        or not all(c in "0123456789abcdefABCDEF" for c in value[1:])
    ):
        errors["color"] = [_("Enter a colour such as #1d4ed8.")]
        return ""
    return value.lower()


def tag_update(*, actor: User, tag: Tag, name: Any = None, color: Any = None) -> Tag:
    """Rename or recolour a tag."""
    require(actor, ObjectType.TAG, Action.UPDATE, tag)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if name is not None:
        try:
            values["name"] = validation.clean_text(name, max_length=60, required=True)
        except ValueError as exc:
            errors["name"] = [str(exc)]
    if color is not None:
        values["color"] = _color(color, errors) or tag.color
    raise_if(errors)
    with transaction.atomic():
        if (
            "name" in values
            and Tag.objects.filter(name__iexact=values["name"]).exclude(pk=tag.pk).exists()
        ):
            raise ValidationError({"name": [_("A tag with this name exists already.")]})
        changes = apply_values(tag, values)
        if changes:
            tag.save()
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.TAG,
                obj=tag,
                changes=changes,
                event="tag.updated",
            )
    return tag


def tag_delete(*, actor: User, tag: Tag) -> None:
    """Delete a tag and remove it from every record."""
    require(actor, ObjectType.TAG, Action.DELETE, tag)
    with transaction.atomic():
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.TAG,
            obj=tag,
            changes={"name": [tag.name, None]},
            event="tag.deleted",
        )
        tag.delete()
