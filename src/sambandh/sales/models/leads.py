"""Territories, lead capture forms, lead scoring and assignment rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Contact
from sambandh.core.models import AllScoped, ObjectType, Record, Team


class Territory(AllScoped, Record):
    """A sales region. Rules are lists (empty means any); the most specific match wins."""

    permission_type = ObjectType.TERRITORY

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent territory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    countries: models.JSONField[Any, Any] = models.JSONField(
        _("countries"), default=list, blank=True
    )
    states: models.JSONField[Any, Any] = models.JSONField(
        _("states / regions"), default=list, blank=True
    )
    industries: models.JSONField[Any, Any] = models.JSONField(
        _("industries"), default=list, blank=True
    )
    size_bands: models.JSONField[Any, Any] = models.JSONField(
        _("company sizes"), default=list, blank=True
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self) -> str:
        return self.name


class LeadForm(AllScoped, Record):
    """A public, embeddable web form that captures leads for a source or campaign."""

    permission_type = ObjectType.LEAD_FORM

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    source = models.CharField(_("source"), max_length=60, blank=True)
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    fields: models.JSONField[Any, Any] = models.JSONField(
        _("fields"), default=list, blank=True, help_text=_("Contact fields the form asks for.")
    )
    thank_you_en = models.CharField(_("thank-you message (English)"), max_length=300, blank=True)
    thank_you_hi = models.CharField(_("thank-you message (Hindi)"), max_length=300, blank=True)
    lifecycle_stage_key = models.CharField(_("lifecycle stage"), max_length=40, default="lead")
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")

    def __str__(self) -> str:
        return self.name


class LeadFormSubmission(models.Model):
    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="submissions")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="form_submissions"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    was_new_contact = models.BooleanField(_("created a new contact"), default=False)
    client_key = models.CharField(
        _("client key"), max_length=64, blank=True, help_text=_("Hash of the sender's address.")
    )
    data: models.JSONField[Any, Any] = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        indexes = [
            models.Index(fields=["form", "-submitted_at"], name="lead_submission_form_idx"),
            models.Index(fields=["client_key", "submitted_at"], name="lead_submission_rate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} {self.submitted_at:%Y-%m-%d %H:%M}"


class ScoringRuleKind(models.TextChoices):
    ATTRIBUTE = "attribute", _("Attribute")
    BEHAVIOUR = "behaviour", _("Behaviour")


class ScoringRule(AllScoped, Record):
    """Points for who a lead is (attribute) or what they did (behaviour, which decays)."""

    permission_type = ObjectType.LEAD_RULE

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=ScoringRuleKind.choices)
    field = models.CharField(_("field"), max_length=60, blank=True)
    operator = models.CharField(_("operator"), max_length=20, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    event = models.CharField(_("behaviour"), max_length=60, blank=True)
    points = models.IntegerField(_("points"))
    decay_days = models.PositiveIntegerField(
        _("points fade over (days)"), null=True, blank=True, help_text=_("Empty: never.")
    )
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self) -> str:
        return self.name


class LeadScoreEvent(models.Model):
    """A behaviour that earned points (form submitted, email opened, meeting held, ...)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="score_events")
    rule = models.ForeignKey(ScoringRule, on_delete=models.CASCADE, related_name="+")
    points = models.IntegerField(_("points"))
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("score event")
        verbose_name_plural = _("score events")
        indexes = [
            models.Index(fields=["contact", "-occurred_at"], name="lead_score_event_contact_idx")
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.reason}"


class AssignmentStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin within a team")
    TERRITORY = "territory", _("By territory")
    LOWEST_LOAD = "lowest_load", _("Lowest open load")


class AssignmentRule(AllScoped, Record):
    """Who gets a new lead. Rules are tried in ``position`` order; the first that matches assigns."""

    permission_type = ObjectType.LEAD_RULE

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    strategy = models.CharField(_("strategy"), max_length=20, choices=AssignmentStrategy.choices)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    conditions: models.JSONField[Any, Any] = models.JSONField(
        _("conditions"), default=dict, blank=True
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name
