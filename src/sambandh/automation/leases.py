"""Leasing durable work rows (deliveries, workflow runs, workflow emails) to one worker.

A row is due when it waits and its time has come, or when a worker leased it and the lease
ran out (that worker died): the reaper is part of the claim. Leased rows get this worker's
token; a worker records an outcome only while its token is still on the row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q


def lease(
    model: type[models.Model],
    *,
    waiting: Q,
    working_state: str,
    now: dt.datetime,
    limit: int,
    order: tuple[str, ...] = ("id",),
    also: Q | None = None,
) -> tuple[str, list[int]]:
    """Lease up to ``limit`` due rows of ``model``; returns the token and the leased ids."""
    token = secrets.token_hex(8)
    until = now + dt.timedelta(seconds=settings.SAMBANDH_DELIVERY_LEASE_SECONDS)
    due = waiting | Q(state=working_state, lease_until__lt=now)
    with transaction.atomic():
        rows: Any = model._default_manager.select_for_update(skip_locked=True, of=("self",))
        rows = rows.filter(due)
        if also is not None:
            rows = rows.filter(also)
        ids = list(rows.order_by(*order).values_list("id", flat=True)[:limit])
        if ids:
            model._default_manager.filter(pk__in=ids).update(
                state=working_state,
                lease_token=token,
                lease_until=until,
                attempts=F("attempts") + 1,
            )
    return token, ids
