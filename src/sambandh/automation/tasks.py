"""Huey tasks of the automation app. The database rows are the truth; these only wake
workers: after a commit that wrote events, at the time the next retry falls due, and every
minute as a safety net (a wake lost with a killed worker costs at most a minute)."""

from __future__ import annotations

import time

from django.core.cache import cache
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sambandh.automation.delivery import next_wake_in, pump

# Wakes further away than this are left to the minute task.
SCHEDULE_HORIZON_SECONDS = 60.0


@db_task()  # type: ignore[misc,untyped-decorator]
def outbox_pump_task() -> dict[str, int]:
    """Dispatch outbox events and send due deliveries; then make sure someone wakes next."""
    totals = pump()
    wait = next_wake_in()
    if wait is not None and wait <= SCHEDULE_HORIZON_SECONDS:
        # One scheduled wake per second of due time, however many pumps see it.
        due = int(time.time() + wait)
        if cache.add(f"automation:wake:{due}", 1, timeout=int(wait) + 2):
            outbox_pump_task.schedule(delay=wait + 0.1)
    return totals


@db_periodic_task(crontab(minute="*"))  # type: ignore[misc,untyped-decorator]
def outbox_pump_every_minute() -> dict[str, int]:
    """Every minute: the timed workflow triggers (dates, inactivity, schedules), then the
    safety net for events, runs and retries no wake reached."""
    from sambandh.automation.workflows import workflows_tick

    fired = workflows_tick()
    return {**pump(budget_seconds=50.0), "fired": fired}


@db_periodic_task(crontab(hour="4", minute="10"))  # type: ignore[misc,untyped-decorator]
def deliveries_purge_task() -> int:
    """Every day: forget delivered messages and dispatched events older than 30 days."""
    from sambandh.automation.services import deliveries_purge

    return deliveries_purge()


def wake_workers() -> None:
    """Ask a worker to pump now (called after a commit that wrote events)."""
    outbox_pump_task()
