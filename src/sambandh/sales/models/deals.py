"""Pipelines, their stages, deals, the people on a deal, its line items and its stage history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Account, Contact, Owned
from sambandh.core.models import AllScoped, Bilingual, ObjectType, Record, Scope
from sambandh.core.permissions import owned_in_scope


class Pipeline(AllScoped, Bilingual, Record):
    """A sales process: an ordered list of stages that deals move through."""

    permission_type = ObjectType.PIPELINE

    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("is default"), default=False)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")


class Stage(Bilingual):
    """One column of a pipeline's board. Won and lost stages close the deal."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    is_won = models.BooleanField(_("is won"), default=False)
    is_lost = models.BooleanField(_("is lost"), default=False)
    rot_days = models.PositiveIntegerField(
        _("days before a deal rots"), null=True, blank=True, help_text=_("Empty: never.")
    )

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_max_100"
            ),
            models.CheckConstraint(
                condition=~(models.Q(is_won=True) & models.Q(is_lost=True)),
                name="stage_not_won_and_lost",
            ),
        ]

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", _("Closed")
    OMITTED = "omitted", _("Omitted")


class Deal(Owned):
    """A possible sale to a company or a person, moving through a pipeline's stages."""

    permission_type = ObjectType.DEAL

    name = models.CharField(_("name"), max_length=200)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        Contact, through="DealContact", verbose_name=_("contacts"), related_name="deals"
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    is_probability_manual = models.BooleanField(_("probability set by hand"), default=False)
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    source = models.CharField(_("source"), max_length=60, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    lost_reason = models.TextField(_("lost reason"), blank=True)
    territory = models.ForeignKey(
        "sales.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["pipeline", "stage", "id"], name="deal_board_idx"),
            models.Index(fields=["owner", "id"], name="deal_owner_idx"),
            models.Index(fields=["team", "id"], name="deal_team_idx"),
            models.Index(fields=["account", "id"], name="deal_account_idx"),
            models.Index(fields=["expected_close_on", "id"], name="deal_close_idx"),
            models.Index(fields=["closed_on", "id"], name="deal_closed_idx"),
            models.Index(fields=["territory", "id"], name="deal_territory_idx"),
            models.Index(fields=["name", "id"], name="deal_name_idx"),
            models.Index(fields=["updated_at", "id"], name="deal_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="deal_probability_max_100"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_neg"),
        ]

    def __str__(self) -> str:
        return self.name


class DealContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    INFLUENCER = "influencer", _("Influencer")
    CHAMPION = "champion", _("Champion")
    TECHNICAL_BUYER = "technical_buyer", _("Technical buyer")
    USER = "user", _("User")
    OTHER = "other", _("Other")


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deal_roles")
    role = models.CharField(
        _("role"), max_length=20, choices=DealContactRole.choices, default=DealContactRole.OTHER
    )

    class Meta:
        verbose_name = _("contact on a deal")
        verbose_name_plural = _("contacts on deals")
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique")
        ]
        indexes = [models.Index(fields=["contact", "deal"], name="deal_contact_contact_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} ({self.role})"


class LineItem(models.Model):
    """A priced line: the shape deals, quotes and orders share."""

    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class DealLineItem(LineItem):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")

    class Meta(LineItem.Meta):
        verbose_name = _("line item")
        verbose_name_plural = _("line items")

    def __str__(self) -> str:
        return self.description or f"#{self.pk}"


class DealStageChange(models.Model):
    """One move of a deal; consecutive rows give the time spent in each stage."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds_in_from_stage = models.PositiveBigIntegerField(
        _("seconds in the previous stage"), null=True, blank=True
    )

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["deal", "changed_at", "id"], name="deal_stage_change_idx")]

    def __str__(self) -> str:
        return f"{self.from_stage_id} -> {self.to_stage_id}"


class DealScoped:
    """Records that belong to a deal are seen by whoever may see the deal."""

    @classmethod
    def scope_q(cls, actor: Any, scope: str, team_ids: frozenset[int]) -> models.Q:
        own = models.Q(deal__owner_id=actor.pk)
        if scope == Scope.TEAM:
            return own | models.Q(deal__team_id__in=team_ids)
        return own

    def in_scope(self, actor: Any, scope: str, team_ids: frozenset[int]) -> bool:
        deal = self.deal  # type: ignore[attr-defined]
        return owned_in_scope(deal, actor, scope, team_ids)
