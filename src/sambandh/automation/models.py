"""Webhook endpoints, their deliveries (the durable work items of the outbox dispatcher) and
each delivery's attempts, plus the networks an administrator lets outbound requests reach."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEndpoint(models.Model):
    """An address that receives the events it subscribes to, signed with its own secret."""

    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Event names ("deal.won") or prefixes ("deal.*"); "*" is every event.
    event_types: models.JSONField[Any, Any] = models.JSONField(_("events"), default=list)
    # Equality filters on the event's payload: {"stage": "won"}; a list value means any of them.
    filters: models.JSONField[Any, Any] = models.JSONField(_("filters"), default=dict, blank=True)
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.description or self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERING = "delivering", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    DEAD = "dead", _("Failed for good")


class Delivery(models.Model):
    """One message to one endpoint. The row is the truth: a worker leases it, sends it and
    records the outcome only while its lease holds; a lease that runs out (the worker died)
    is taken again. ``msg_id`` is the ``webhook-id`` header, the same on every retry."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField()
    event_name = models.CharField(max_length=80)
    msg_id = models.CharField(max_length=64)
    body = models.TextField()
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    state = models.CharField(max_length=12, choices=DeliveryState, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            # The dispatcher may run twice over one event (a worker died after fanning out):
            # it makes each (event, endpoint) delivery once.
            models.UniqueConstraint(
                fields=["event_id", "endpoint"],
                condition=models.Q(replay_of__isnull=True),
                name="delivery_once_per_event",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=models.Q(state__in=["pending", "delivering"]),
            ),
            models.Index(fields=["endpoint", "-id"], name="delivery_endpoint_idx"),
            models.Index(
                fields=["-id"], name="delivery_dead_idx", condition=models.Q(state="dead")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → {self.endpoint_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """What one try sent and what came back, for the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    request_headers: models.JSONField[Any, Any] = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers: models.JSONField[Any, Any] = models.JSONField(default=dict)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivery", "-id"], name="attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"#{self.number} {self.response_status or self.error}"


class AllowedNetwork(models.Model):
    """A private or loopback network that outbound webhook requests may reach anyway."""

    network = models.CharField(_("network"), max_length=64, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("allowed network")
        verbose_name_plural = _("allowed networks")

    def __str__(self) -> str:
        return self.network
