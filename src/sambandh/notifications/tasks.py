"""Huey tasks of notifications: the hourly digest run; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="5"))  # type: ignore[misc,untyped-decorator]
def digest_send_task() -> int:
    """Every hour: the daily email digest of each user whose chosen hour it is (their time)."""
    from sambandh.notifications.digest import digest_send_due

    return digest_send_due()


@db_periodic_task(crontab(minute="*"))  # type: ignore[misc,untyped-decorator]
def reminders_notify_task() -> int:
    """Every minute: reminders that fell due ring their owner's bell."""
    from sambandh.notifications.reminders import reminders_notify

    return reminders_notify()
