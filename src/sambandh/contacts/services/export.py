"""The record of an export: who took which selection of which records, in what format."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sambandh.core.audit import audit_record
from sambandh.core.errors import PermissionDenied
from sambandh.core.models import Action, User
from sambandh.core.permissions import has_grant


def export_started(*, actor: User, object_type: str, selection: dict[str, Any]) -> None:
    """Check the export grant and append the audit entry, before the first row leaves.

    ``selection`` says what was asked for (format, filters, search, tag, sort); the rows are
    read afterwards, through the export scope, as the download streams.
    """
    if not has_grant(actor, object_type, Action.EXPORT):
        raise PermissionDenied()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            object_type=object_type,
            changes={"selection": selection},
        )
