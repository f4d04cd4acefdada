"""Tasks, calls, meetings and logged emails: one table, so a timeline is one indexed scan."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Account, Contact, Owned
from sambandh.core.models import ObjectType


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    LEFT_VOICEMAIL = "left_voicemail", _("Left a voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class Activity(Owned):
    """Something done or to do with a customer. ``owner`` is the person responsible.

    ``occurred_at`` orders the timeline: a task's due time, a call's or email's time, a
    meeting's start.
    """

    permission_type = ObjectType.ACTIVITY

    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("details"), blank=True)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Tasks
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    reminder_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminder_dismissed_at = models.DateTimeField(_("reminder dismissed at"), null=True, blank=True)
    # Calls and emails
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, blank=True
    )
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices, blank=True)
    # Meetings
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    location = models.CharField(_("place"), max_length=300, blank=True)
    meeting_url = models.URLField(_("meeting link"), max_length=500, blank=True)
    ical_uid = models.CharField(_("calendar id"), max_length=120, blank=True)
    ical_sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    # Emails
    email_from = models.CharField(_("from"), max_length=254, blank=True)
    email_to: models.JSONField[Any, Any] = models.JSONField(_("to"), default=list, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="activity_contact_idx"),
            models.Index(fields=["account", "-occurred_at", "-id"], name="activity_account_idx"),
            models.Index(fields=["deal", "-occurred_at", "-id"], name="activity_deal_idx"),
            models.Index(fields=["owner", "status", "due_at"], name="activity_my_day_idx"),
            models.Index(fields=["owner", "kind", "occurred_at"], name="activity_owner_kind_idx"),
            models.Index(fields=["status", "reminder_at"], name="activity_reminder_idx"),
            # The activities list: its default order, and one per filter it offers.
            models.Index(fields=["-occurred_at", "-id"], name="activity_when_idx"),
            # "Mine" (and every list of a user whose scope is their own) in the default order.
            models.Index(fields=["owner", "-occurred_at", "-id"], name="activity_owner_when_idx"),
            models.Index(fields=["kind", "-occurred_at", "-id"], name="activity_kind_when_idx"),
            models.Index(fields=["status", "-occurred_at", "-id"], name="activity_status_when_idx"),
            models.Index(fields=["due_at", "id"], name="activity_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False)
                | models.Q(account__isnull=False)
                | models.Q(deal__isnull=False),
                name="activity_has_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("occurred_at")),
                name="activity_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class AttendeeResponse(models.TextChoices):
    NEEDS_ACTION = "needs_action", _("No answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    TENTATIVE = "tentative", _("Tentative")


class MeetingAttendee(models.Model):
    """Someone invited to a meeting: a contact, a user, or just an address."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendees")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    response = models.CharField(
        _("response"),
        max_length=20,
        choices=AttendeeResponse.choices,
        default=AttendeeResponse.NEEDS_ACTION,
    )

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [
            models.UniqueConstraint(fields=["activity", "email"], name="attendee_unique_email")
        ]

    def __str__(self) -> str:
        return self.name or self.email
