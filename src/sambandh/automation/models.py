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


class TriggerType(models.TextChoices):
    RECORD_CREATED = "record_created", _("Record created")
    RECORD_UPDATED = "record_updated", _("Record updated")
    FIELD_CHANGED = "field_changed", _("A field changed")
    STAGE_CHANGED = "deal_stage_changed", _("Deal stage changed")
    FORM_SUBMITTED = "form_submitted", _("Web form submitted")
    DATE = "date", _("A date comes round")
    INACTIVITY = "inactivity", _("No change for some days")
    SCHEDULE = "schedule", _("On a schedule")
    MANUAL = "manual", _("Run by hand")


class Workflow(models.Model):
    """A rule: when its trigger fires for a record that meets its conditions, its actions
    run, as its owner (whose permissions hold). Each change is kept as a numbered version;
    runs record the version they ran."""

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    object_type = models.CharField(_("record type"), max_length=40)
    trigger: models.JSONField[Any, Any] = models.JSONField(_("trigger"), default=dict)
    conditions: models.JSONField[Any, Any] = models.JSONField(
        _("conditions"), default=dict, blank=True
    )
    actions: models.JSONField[Any, Any] = models.JSONField(_("actions"), default=list)
    is_active = models.BooleanField(_("active"), default=False)
    template_key = models.CharField(max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("runs as"),
        on_delete=models.PROTECT,
        related_name="workflows",
    )
    # Trigger-specific bookkeeping (the last cron minute or day evaluated).
    state: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        indexes = [
            models.Index(
                fields=["object_type"],
                name="workflow_active_idx",
                condition=models.Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(models.Model):
    """The definition of a workflow as it stood at one version."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition: models.JSONField[Any, Any] = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.number}"


class RunState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class WorkflowRun(models.Model):
    """One firing of a workflow for one record. ``trigger_key`` makes a firing happen once
    (an event id, or a date trigger's record and day): a dispatcher that runs twice or two
    schedulers at once make one run. ``chain`` lists the workflows whose actions led here,
    for loop protection."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    version = models.PositiveIntegerField()
    trigger_key = models.CharField(max_length=120)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    chain: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=12, choices=RunState, default=RunState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    results: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "trigger_key"], name="workflow_run_once")
        ]
        indexes = [
            models.Index(fields=["workflow", "-id"], name="workflow_run_history_idx"),
            models.Index(
                fields=["id"],
                name="workflow_run_due_idx",
                condition=models.Q(state__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} #{self.pk} ({self.state})"


class EmailState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WorkflowEmail(models.Model):
    """An email a workflow run decided to send, written in the run's transaction and sent by
    a worker after it commits: a run that is undone sends nothing. Its Message-ID is fixed, so
    a copy sent again after a worker died mid-send can be recognised."""

    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="emails")
    contact_id = models.BigIntegerField()
    to = models.CharField(max_length=254)
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    state = models.CharField(max_length=10, choices=EmailState, default=EmailState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="workflow_email_due_idx",
                condition=models.Q(state__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.contact_id} ({self.state})"
