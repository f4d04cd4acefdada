"""Sending the emails workflow runs queued (``WorkflowEmail``): leased like deliveries,
retried with backoff a few times, then marked failed with the reason."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from sambandh.automation.delivery import backoff_seconds
from sambandh.automation.models import EmailState, WorkflowEmail
from sambandh.core.mail import mail_send

MAX_ATTEMPTS = 5
BATCH = 50


def emails_send(*, limit: int = BATCH, now: dt.datetime | None = None) -> int:
    """Lease and send one batch of due workflow emails; returns how many were tried."""
    now = now or timezone.now()
    token = secrets.token_hex(8)
    lease = dt.timedelta(seconds=settings.SAMBANDH_DELIVERY_LEASE_SECONDS)
    due = Q(state=EmailState.PENDING, next_attempt_at__lte=now) | Q(
        state=EmailState.SENDING, lease_until__lt=now
    )
    with transaction.atomic():
        ids = list(
            WorkflowEmail.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        WorkflowEmail.objects.filter(pk__in=ids).update(
            state=EmailState.SENDING,
            lease_token=token,
            lease_until=now + lease,
            attempts=F("attempts") + 1,
        )
    for email in WorkflowEmail.objects.filter(pk__in=ids, lease_token=token).order_by("id"):
        error = ""
        try:
            mail_send(
                to=email.to,
                subject=email.subject,
                text=email.text,
                language=email.language,
                message_id=f"<workflow-email-{email.pk}@sambandh>",
            )
        except Exception as exc:  # noqa: BLE001 - any failure is retried, then reported
            error = f"{type(exc).__name__}: {exc}"[:300]
        changes: dict[str, object] = {"lease_token": "", "lease_until": None, "error": error}
        if not error:
            changes.update(state=EmailState.SENT, sent_at=timezone.now())
        elif email.attempts >= MAX_ATTEMPTS:
            changes.update(state=EmailState.FAILED)
        else:
            retry_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(email.attempts))
            changes.update(state=EmailState.PENDING, next_attempt_at=retry_at)
        WorkflowEmail.objects.filter(pk=email.pk, lease_token=token).update(**changes)
    return len(ids)
