"""Sending the emails workflow runs queued (``WorkflowEmail``): leased like deliveries,
retried with backoff a few times, then marked failed with the reason."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from sambandh.automation.delivery import backoff_seconds
from sambandh.automation.leases import lease
from sambandh.automation.models import EmailState, WorkflowEmail
from sambandh.core.mail import mail_send

MAX_ATTEMPTS = 5
BATCH = 50


def emails_send(*, limit: int = BATCH, now: dt.datetime | None = None) -> int:
    """Lease and send one batch of due workflow emails; returns how many were tried."""
    now = now or timezone.now()
    token, ids = lease(
        WorkflowEmail,
        waiting=Q(state=EmailState.PENDING, next_attempt_at__lte=now),
        working_state=EmailState.SENDING,
        now=now,
        limit=limit,
        order=("next_attempt_at", "id"),
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
