"""Companies (accounts), contacts, tags, lifecycle stages and notes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from sambandh.core.models import Bilingual, ObjectType, Record, Scope, Team
from sambandh.core.permissions import owned_in_scope, owned_scope_q


def owner_field(*, db_index: bool = True) -> Any:
    """An owned record's owner. ``db_index=False`` where a composite (owner, id) index
    already serves the foreign key (on SQLite a one-column index IS (owner, rowid))."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=db_index,
    )


def team_field(*, db_index: bool = True) -> Any:
    """An owned record's team; ``db_index`` as in ``owner_field``."""
    return models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=db_index,
    )


class Owned(Record):
    """A record with an owner and a team: the two things scopes look at."""

    owner = owner_field()
    team = team_field()
    custom: models.JSONField[Any, Any] = models.JSONField(
        _("custom fields"), default=dict, blank=True
    )

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, actor: Any, scope: str, team_ids: frozenset[int]) -> models.Q:
        return owned_scope_q(actor, scope, team_ids)

    def in_scope(self, actor: Any, scope: str, team_ids: frozenset[int]) -> bool:
        return owned_in_scope(self, actor, scope, team_ids)


class Address(models.Model):
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    state = models.CharField(_("state / region"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        abstract = True


class Tag(models.Model):
    permission_type = ObjectType.TAG

    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, actor: Any, scope: str, team_ids: frozenset[int]) -> models.Q:
        return models.Q()

    def in_scope(self, actor: Any, scope: str, team_ids: frozenset[int]) -> bool:
        return True


class LifecycleStage(Bilingual):
    """The configurable list of lifecycle stages (subscriber, lead, ... churned, reactivated)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("lifecycle stage")
        verbose_name_plural = _("lifecycle stages")


class AccountType(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    PARTNER = "partner", _("Partner")
    RESELLER = "reseller", _("Reseller")
    VENDOR = "vendor", _("Vendor")
    COMPETITOR = "competitor", _("Competitor")
    NON_PROFIT = "non_profit", _("Non-profit")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    S1 = "1-10", _("1–10 employees")
    S2 = "11-50", _("11–50 employees")
    S3 = "51-200", _("51–200 employees")
    S4 = "201-1000", _("201–1,000 employees")
    S5 = "1001-5000", _("1,001–5,000 employees")
    S6 = "5000+", _("More than 5,000 employees")


class Account(Owned, Address):
    permission_type = ObjectType.ACCOUNT

    # Each foreign key below that is filtered in lists has a composite (key, id) index in
    # Meta: that index serves the key's lookups and deletes, so the key has no index of its
    # own (one index fewer to write for every company created).
    owner = owner_field(db_index=False)
    team = team_field(db_index=False)

    name = models.CharField(_("name"), max_length=200)
    # The record's id in the system it was imported from: updates and re-imports find it by this.
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    website = models.CharField(_("website"), max_length=500, blank=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    size_band = models.CharField(_("size"), max_length=20, choices=SizeBand.choices, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    annual_revenue_currency = models.CharField(_("currency"), max_length=3, blank=True)
    type = models.CharField(
        _("type"), max_length=20, choices=AccountType.choices, default=AccountType.PROSPECT
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="accounts")
    territory = models.ForeignKey(
        "sales.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        db_index=False,
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["name", "id"], name="account_name_idx"),
            models.Index(fields=["domain", "id"], name="account_domain_idx"),
            models.Index(fields=["external_id"], name="account_external_id_idx"),
            # Imports find a contact's company by its name, whatever its case.
            models.Index(Lower("name"), name="account_name_lower_idx"),
            models.Index(fields=["owner", "id"], name="account_owner_idx"),
            models.Index(fields=["team", "id"], name="account_team_idx"),
            models.Index(fields=["created_at", "id"], name="account_created_idx"),
            models.Index(fields=["updated_at", "id"], name="account_updated_idx"),
            models.Index(fields=["country", "id"], name="account_country_idx"),
            models.Index(fields=["type", "id"], name="account_type_idx"),
            models.Index(fields=["industry", "id"], name="account_industry_idx"),
            models.Index(fields=["territory", "id"], name="account_territory_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(Owned, Address):
    permission_type = ObjectType.CONTACT

    # As for Account: the composite (key, id) indexes in Meta serve these foreign keys.
    owner = owner_field(db_index=False)
    team = team_field(db_index=False)

    salutation = models.CharField(_("salutation"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    other_emails: models.JSONField[Any, Any] = models.JSONField(
        _("other emails"), default=list, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    other_phones: models.JSONField[Any, Any] = models.JSONField(
        _("other phones"), default=list, blank=True
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        db_index=False,
    )
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    anniversary = models.DateField(_("anniversary"), null=True, blank=True)
    lifecycle_stage = models.ForeignKey(
        LifecycleStage,
        verbose_name=_("lifecycle stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=60, blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")
    territory = models.ForeignKey(
        "sales.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        db_index=False,
    )
    lead_score = models.IntegerField(_("lead score"), default=0)
    assigned_by_rule = models.ForeignKey(
        "sales.AssignmentRule",
        verbose_name=_("assigned by rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["email", "id"], name="contact_email_idx"),
            models.Index(fields=["external_id"], name="contact_external_id_idx"),
            # Exact duplicates group by lower(email) (sambandh.dedup.exact).
            models.Index(Lower("email"), name="contact_email_lower_idx"),
            models.Index(fields=["last_name", "first_name", "id"], name="contact_name_idx"),
            models.Index(fields=["first_name", "id"], name="contact_first_name_idx"),
            models.Index(fields=["owner", "id"], name="contact_owner_idx"),
            models.Index(fields=["team", "id"], name="contact_team_idx"),
            models.Index(fields=["account", "id"], name="contact_account_idx"),
            models.Index(fields=["created_at", "id"], name="contact_created_idx"),
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
            models.Index(fields=["country", "id"], name="contact_country_idx"),
            models.Index(fields=["city", "id"], name="contact_city_idx"),
            models.Index(fields=["lifecycle_stage", "id"], name="contact_stage_idx"),
            models.Index(fields=["phone"], name="contact_phone_idx"),
            models.Index(fields=["preferred_language", "id"], name="contact_language_idx"),
            models.Index(fields=["source", "id"], name="contact_source_idx"),
            models.Index(fields=["territory", "id"], name="contact_territory_idx"),
            models.Index(fields=["lead_score", "id"], name="contact_lead_score_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Note(Record):
    """A note on a contact or a company. Visible to whoever can see the record it is on."""

    permission_type = ObjectType.NOTE

    body = models.TextField(_("note"))
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["contact", "-created_at", "-id"], name="note_contact_idx"),
            models.Index(fields=["account", "-created_at", "-id"], name="note_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(account__isnull=False),
                name="note_has_parent",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]

    @classmethod
    def scope_q(cls, actor: Any, scope: str, team_ids: frozenset[int]) -> models.Q:
        # ``own`` notes are the ones the actor wrote; ``team`` adds notes on team records.
        own = models.Q(created_by_id=actor.pk)
        if scope == Scope.TEAM:
            return (
                own
                | models.Q(contact__owner_id=actor.pk)
                | models.Q(contact__team_id__in=team_ids)
                | models.Q(account__owner_id=actor.pk)
                | models.Q(account__team_id__in=team_ids)
            )
        return own

    def in_scope(self, actor: Any, scope: str, team_ids: frozenset[int]) -> bool:
        if self.created_by_id == actor.pk:
            return True
        if scope != Scope.TEAM:
            return False
        parent = self.contact if self.contact_id else self.account
        return parent is not None and owned_in_scope(parent, actor, scope, team_ids)
