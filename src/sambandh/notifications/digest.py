"""The daily email digest: once a day, at the hour each user chose in their own time zone,
one email listing their unread notifications that no digest has carried yet.

Safe to run twice, also at once on two workers: before anything is sent, one committed
transaction takes the user's day (``UPDATE ... SET last_digest_on = today WHERE it is not
today``) and their notifications (``UPDATE ... SET emailed_at WHERE emailed_at IS NULL``), so
a second run finds the day taken and sends nothing. A send that fails gives both back, and
those notifications go out with the next digest.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sambandh.core.mail import mail_send
from sambandh.core.models import User
from sambandh.notifications.models import Notification, NotificationPreference
from sambandh.notifications.rendering import notification_text

log = logging.getLogger(__name__)

# An email lists at most this many (the newest); it says how many more wait in the app.
DIGEST_MAX_ITEMS = 50


def _local_hour(zone_name: str, now: dt.datetime) -> int | None:
    try:
        return now.astimezone(zoneinfo.ZoneInfo(zone_name)).hour
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def digest_due_users(*, now: dt.datetime) -> list[User]:
    """Active users with an address and the digest on whose local hour at ``now`` is their
    digest hour. One query for the time zones in use, one for the users: each zone's local
    hour is worked out once, not per user."""
    enabled = NotificationPreference.objects.filter(
        digest_enabled=True, user__is_active=True
    ).exclude(user__email="")
    zones = enabled.order_by().values_list("user__time_zone", flat=True).distinct()
    by_hour: dict[int, list[str]] = defaultdict(list)
    for zone in zones:
        hour = _local_hour(zone, now)
        if hour is not None:
            by_hour[hour].append(zone)
    if not by_hour:
        return []
    match = Q()
    for hour, names in by_hour.items():
        match |= Q(digest_hour=hour, user__time_zone__in=names)
    return [p.user for p in enabled.filter(match).select_related("user").order_by("user_id")]


def _claim(user: User, today: dt.date) -> dt.datetime | None:
    """Take the user's digest of ``today`` (their local date) and mark their unread,
    never-emailed notifications as emailed now; None when today's digest went out already or
    nothing new waits (then nothing is taken)."""
    claimed_at = timezone.now()
    with transaction.atomic():
        day_taken = (
            NotificationPreference.objects.filter(user=user)
            .exclude(last_digest_on=today)
            .update(last_digest_on=today)
        )
        if not day_taken:
            return None
        claimed = Notification.objects.filter(
            recipient=user, read_at__isnull=True, emailed_at__isnull=True
        ).update(emailed_at=claimed_at)
        if not claimed:
            transaction.set_rollback(True)
            return None
    return claimed_at


def _release(user: User, claimed_at: dt.datetime, today: dt.date) -> None:
    with transaction.atomic():
        Notification.objects.filter(recipient=user, emailed_at=claimed_at).update(emailed_at=None)
        NotificationPreference.objects.filter(user=user, last_digest_on=today).update(
            last_digest_on=None
        )


def _absolute(path: str) -> str:
    return f"{settings.SAMBANDH_BASE_URL}{path}" if path else ""


def digest_message(user: User, claimed_at: dt.datetime) -> dict[str, Any]:
    """Subject, text and HTML of the user's digest, in the active language."""
    qs = Notification.objects.filter(recipient=user, emailed_at=claimed_at)
    total = qs.count()  # bounded: what one claim took, the user's own unread
    items = [
        {
            "text": notification_text(n),
            "url": _absolute(n.link),
            "created_at": n.created_at,
        }
        for n in qs.order_by("-id")[:DIGEST_MAX_ITEMS]
    ]
    subject = ngettext(
        "Sambandh: %(n)s new notification", "Sambandh: %(n)s new notifications", total
    ) % {"n": total}
    context = {
        "user": user,
        "items": items,
        "total": total,
        "more": max(0, total - len(items)),
        "list_url": _absolute(reverse("notifications:list")),
        "settings_url": _absolute(reverse("web:settings")),
        "subject": subject,
        "greeting": _("Hello %(name)s,") % {"name": user.first_name or user.get_username()},
    }
    return {
        "subject": subject,
        "text": render_to_string("notifications/digest.txt", context),
        "html": render_to_string("notifications/digest.html", context),
    }


def digest_send(*, user: User, now: dt.datetime | None = None) -> bool:
    """Send ``user`` their digest if it has not gone out today (their day) and anything new
    waits; True when an email went out."""
    zone = _zone(user)
    today = (now or timezone.now()).astimezone(zone).date()
    claimed_at = _claim(user, today)
    if claimed_at is None:
        return False
    try:
        with translation.override(user.language), timezone.override(zone):
            message = digest_message(user, claimed_at)
            mail_send(to=user.email, language=user.language, **message)
    except Exception:
        _release(user, claimed_at, today)
        raise
    return True


def _zone(user: User) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def digest_send_due(*, now: dt.datetime | None = None) -> int:
    """The hourly run: every user whose digest hour it is gets theirs. One user's failing
    mail server answer does not stop the others. Returns how many emails went out."""
    now = now or timezone.now()
    sent = 0
    for user in digest_due_users(now=now):
        try:
            sent += digest_send(user=user, now=now)
        except Exception:
            log.exception("digest for user %s failed; it is retried with the next digest", user.pk)
    return sent
