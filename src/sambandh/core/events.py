"""Domain events: written to the outbox in the caller's transaction, delivered by workers later."""

from __future__ import annotations

import json
from typing import Any

from sambandh.core.context import current_request_id
from sambandh.core.models import OutboxEvent, User


def event_emit(
    *,
    name: str,
    actor: User | None,
    object_type: str = "",
    object_id: object = "",
    payload: dict[str, Any] | None = None,
) -> OutboxEvent:
    """Record ``name`` (e.g. ``contact.created``); nothing is published if the transaction rolls back."""
    return OutboxEvent.objects.create(
        name=name,
        object_type=object_type,
        object_id=str(object_id),
        payload=json.loads(json.dumps(payload or {}, default=str)),
        actor_id=actor.pk if actor is not None else None,
        request_id=current_request_id(),
    )
