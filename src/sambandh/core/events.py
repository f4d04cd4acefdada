"""Domain events: written to the outbox in the caller's transaction, delivered by workers later.

After the transaction commits, the apps that deliver events (``automation``) are woken once
per transaction through ``WAKERS``; core does not know who they are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from sambandh.core.context import current_request_id
from sambandh.core.models import OutboxEvent, User

log = logging.getLogger(__name__)

# Called after a commit that wrote events; each must be cheap and must not raise.
WAKERS: list[Callable[[], None]] = []


def _wake() -> None:
    for waker in WAKERS:
        try:
            waker()
        except Exception:  # the minute task delivers what a lost wake would have
            log.warning("waking the event workers failed", exc_info=True)


def events_written() -> None:
    """Wake the event workers once the current transaction commits (once per transaction)."""
    if not WAKERS:
        return
    if connection.in_atomic_block and any(entry[1] is _wake for entry in connection.run_on_commit):
        return
    transaction.on_commit(_wake)


def event_emit(
    *,
    name: str,
    actor: User | None,
    object_type: str = "",
    object_id: object = "",
    payload: dict[str, Any] | None = None,
) -> OutboxEvent:
    """Record ``name`` (e.g. ``contact.created``); nothing is published if the transaction rolls back."""
    event = OutboxEvent.objects.create(
        name=name,
        object_type=object_type,
        object_id=str(object_id),
        payload=json.loads(json.dumps(payload or {}, default=str)),
        actor_id=actor.pk if actor is not None else None,
        request_id=current_request_id(),
    )
    events_written()
    return event
