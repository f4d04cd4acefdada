"""Activity reminders in the notification centre: each reminder whose time has come leaves its
owner one notification (also in the digest). The "My day" badge still reads reminders live;
this only makes them reach the bell and the email digest."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from sambandh.activities.models import Activity, ActivityStatus
from sambandh.notifications.services import notify

# Each minute looks back this far (so a late or missed tick loses nothing); a reminder seen
# again is not notified again. Reminders older than this (the workers were down) stay in
# "My day" but do not ring the bell late.
WINDOW = dt.timedelta(minutes=10)


def reminders_notify(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Notify the owners of reminders that fell due within ``WINDOW``; safe to run again (each
    reminder time of an activity notifies once). Returns how many were looked at."""
    now = now or timezone.now()
    due = (
        Activity.objects.filter(
            status=ActivityStatus.OPEN,
            reminder_at__lte=now,
            reminder_at__gt=now - WINDOW,
            reminder_dismissed_at__isnull=True,
            owner__isnull=False,
        )
        .only("pk", "subject", "owner_id", "reminder_at")
        .order_by("reminder_at", "id")[:limit]
    )
    seen = 0
    for activity in due:
        seen += 1
        if activity.reminder_at is None or activity.owner_id is None:  # filtered out above
            continue
        notify(
            recipient=activity.owner_id,
            kind="reminder",
            params={"record": activity.subject},
            link=reverse("activities:detail", args=[activity.pk]),
            object_type="activity",
            object_id=activity.pk,
            dedupe_key=f"reminder:{activity.pk}:{activity.reminder_at.isoformat()}",
        )
    return seen
