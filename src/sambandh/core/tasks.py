"""Huey tasks of core: housekeeping that runs on a schedule; each is safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="40"))  # type: ignore[misc,untyped-decorator]
def idempotency_purge_task() -> int:
    """Every day: forget the answers kept for idempotency keys whose 24 hours have passed."""
    from sambandh.core.idempotency import idempotency_purge

    return idempotency_purge()
