"""A user's notifications and their digest preference.

A notification keeps its message as a ``kind`` plus JSON ``params`` and is worded only when
shown (``rendering.notification_text``), so the same row reads in English for one person and
in Hindi for another, and a fixed translation shows up in old notifications too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    ASSIGNMENT = "assignment", _("Assignment")
    REMINDER = "reminder", _("Reminder")
    WORKFLOW = "workflow", _("Workflow")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook turned off")
    SYSTEM = "system", _("System")


class Notification(models.Model):
    """One message for one user. ``link`` is a path inside the app ("/deals/7/")."""

    # The composite indexes below start with the recipient: no index of its own.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True, default="")
    object_type = models.CharField(_("object type"), max_length=40, blank=True, default="")
    object_id = models.CharField(_("object id"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # Set by callers that may run twice for one event (an at-least-once handler): a second
    # notify() with the same key for the same recipient creates nothing.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The bell (unread count), the unread list and the digest's pick.
            models.Index(fields=["recipient", "read_at", "-id"], name="notification_inbox_idx"),
            # The full list, newest first.
            models.Index(fields=["recipient", "-id"], name="notification_list_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(link="") | models.Q(link__startswith="/"),
                name="notification_link_is_a_path",
            ),
        ]

    def __str__(self) -> str:
        from sambandh.notifications.rendering import notification_text

        return notification_text(self)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """Whether a user wants the daily email digest, and at which hour of their own day."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    digest_enabled = models.BooleanField(_("daily email digest"), default=False)
    digest_hour = models.PositiveSmallIntegerField(_("digest hour"), default=8)
    # The user's local date of the last digest sent: at most one a day, however often the
    # hourly task runs.
    last_digest_on = models.DateField(_("last digest on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        indexes = [
            models.Index(
                fields=["digest_hour"],
                condition=models.Q(digest_enabled=True),
                name="notification_digest_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__gte=0, digest_hour__lte=23),
                name="notification_digest_hour_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.digest_enabled} {self.digest_hour}"
