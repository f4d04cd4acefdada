"""Writes to notes on contacts and companies."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.contacts.models import (
    Account,
    Contact,
    Note,
)
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import require
from sambandh.core.records import (
    apply_values,
    lock_for_update,
    raise_if,
    record_change,
    save_changed,
)

# ---------------------------------------------------------------- notes


def note_create(
    *, actor: User, body: Any, contact: Contact | None = None, account: Account | None = None
) -> Note:
    """Add a note to a contact or a company the actor can see."""
    require(actor, ObjectType.NOTE, Action.CREATE)
    if (contact is None) == (account is None):
        raise ValidationError({"": [_("A note belongs to one contact or one company.")]})
    parent: Contact | Account = contact if contact is not None else account  # type: ignore[assignment]
    require(actor, parent.permission_type, Action.READ, parent)
    errors: dict[str, list[str]] = {}
    try:
        text = validation.clean_text(body, max_length=20000, required=True)
    except ValueError as exc:
        errors["body"] = [str(exc)]
    raise_if(errors)
    with transaction.atomic():
        note = Note.objects.create(body=text, contact=contact, account=account, created_by=actor)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.NOTE,
            obj=note,
            changes={"body": [None, text]},
            event="note.created",
            payload={"id": note.pk, "contact_id": note.contact_id, "account_id": note.account_id},
        )
    return note


def note_update(*, actor: User, note: Note, body: Any, version: int | None) -> Note:
    """Change a note's text."""
    require(actor, ObjectType.NOTE, Action.UPDATE, note)
    try:
        text = validation.clean_text(body, max_length=20000, required=True)
    except ValueError as exc:
        raise ValidationError({"body": [str(exc)]}) from exc
    with transaction.atomic():
        note = lock_for_update(Note, note.pk, version=version)
        changes = apply_values(note, {"body": text})
        if changes:
            save_changed(note, changes)
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.NOTE,
                obj=note,
                changes=changes,
                event="note.updated",
            )
    return note


def note_delete(*, actor: User, note: Note) -> None:
    """Delete a note."""
    require(actor, ObjectType.NOTE, Action.DELETE, note)
    with transaction.atomic():
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.NOTE,
            obj=note,
            changes={"body": [note.body, None]},
            event="note.deleted",
            payload={"id": note.pk},
        )
        note.delete()
