"""Users, teams, roles and grants, organisation settings, custom fields, audit, outbox, tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sambandh.core.ratelimit import validate_rate

# Two readings of the clock closer than this are the same moment (see same_moment).
ONE_MOMENT = dt.timedelta(milliseconds=50)


class ObjectType(models.TextChoices):
    ACCOUNT = "account", _("Company")
    CONTACT = "contact", _("Contact")
    NOTE = "note", _("Note")
    TAG = "tag", _("Tag")
    CUSTOM_FIELD = "custom_field", _("Custom field")
    USER = "user", _("User")
    TEAM = "team", _("Team")
    PIPELINE = "pipeline", _("Pipeline")
    DEAL = "deal", _("Deal")
    PRODUCT = "product", _("Product")
    PRICE_BOOK = "price_book", _("Price book")
    QUOTE = "quote", _("Quote")
    ORDER = "order", _("Order")
    EXCHANGE_RATE = "exchange_rate", _("Exchange rate")
    TERRITORY = "territory", _("Territory")
    LEAD_FORM = "lead_form", _("Lead form")
    LEAD_RULE = "lead_rule", _("Lead scoring and assignment rule")
    ACTIVITY = "activity", _("Activity")


class Action(models.TextChoices):
    CREATE = "create", _("Create")
    READ = "read", _("Read")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")


class Scope(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Team's records")
    ALL = "all", _("All records")


SCOPE_RANK = {Scope.OWN: 1, Scope.TEAM: 2, Scope.ALL: 3}


class Bilingual(models.Model):
    """A row with a label in English and in Hindi; ``label`` picks the active language."""

    label_en = models.CharField(_("label (English)"), max_length=120)
    label_hi = models.CharField(_("label (Hindi)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "en").startswith("hi") and self.label_hi:
            return self.label_hi
        return self.label_en


class AllScoped:
    """Configuration objects: a grant's scope does not narrow them below ``all``, except ``own``."""

    permission_type: str = ""

    @classmethod
    def scope_q(cls, actor: Any, scope: str, team_ids: frozenset[int]) -> models.Q:
        return models.Q(pk__in=[]) if scope == Scope.OWN else models.Q()

    def in_scope(self, actor: Any, scope: str, team_ids: frozenset[int]) -> bool:
        return scope != Scope.OWN


class Team(AllScoped, models.Model):
    permission_type = ObjectType.TEAM
    name = models.CharField(_("name"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_admin = models.BooleanField(
        _("is administrator"), default=False, help_text=_("Administrators may do everything.")
    )
    is_system = models.BooleanField(_("is built in"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """What a role may do to one object type, and over which records."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    object_type = models.CharField(_("object type"), max_length=40, choices=ObjectType.choices)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.OWN)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "object_type", "action"], name="grant_unique_per_action"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.object_type}.{self.action} ({self.scope})"


class FieldGrant(models.Model):
    """Access to one sensitive field (``cf.<key>`` for a custom field), read or read and write."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="field_grants")
    object_type = models.CharField(_("object type"), max_length=40, choices=ObjectType.choices)
    field = models.CharField(_("field"), max_length=80)
    can_write = models.BooleanField(_("may change"), default=False)

    class Meta:
        verbose_name = _("sensitive field grant")
        verbose_name_plural = _("sensitive field grants")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "object_type", "field"], name="field_grant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.object_type}.{self.field}"


class User(AbstractUser):
    permission_type = ObjectType.USER
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Kolkata")
    role = models.ForeignKey(
        Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("teams"), blank=True, related_name="members"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_administrator(self) -> bool:
        """Superusers and holders of a role marked administrator."""
        return self.is_active and (
            self.is_superuser or bool(self.role_id and self.role and self.role.is_admin)
        )

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        # Django admin asks for model permissions: our roles, not Django's tables, decide.
        return self.is_administrator or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_administrator or super().has_module_perms(app_label)

    @classmethod
    def scope_q(cls, actor: Any, scope: str, team_ids: frozenset[int]) -> models.Q:
        own = models.Q(pk=actor.pk)
        if scope != Scope.TEAM:
            return own
        members = cls.teams.through.objects.filter(team_id__in=team_ids).values("user_id")
        return own | models.Q(pk__in=members)

    def in_scope(self, actor: Any, scope: str, team_ids: frozenset[int]) -> bool:
        if self.pk == actor.pk:
            return True
        return scope == Scope.TEAM and self.teams.filter(pk__in=team_ids).exists()


class OrganisationSettings(models.Model):
    """The one organisation this deployment serves (row id 1)."""

    name = models.CharField(_("name"), max_length=200, default="Sambandh")
    base_currency = models.CharField(_("base currency"), max_length=3, default="INR")
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Kolkata")
    country = models.CharField(_("country"), max_length=2, default="IN")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("organisation settings")
        verbose_name_plural = _("organisation settings")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get(cls) -> OrganisationSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Record(models.Model):
    """Fields every business record carries."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            same_moment(self.__dict__)
        super().save(*args, **kwargs)


def same_moment(values: dict[str, Any]) -> None:
    """A new record's ``created_at`` and ``updated_at`` (attribute values by name) as one
    moment: each defaults to "now", read microseconds apart. Times set on purpose (an import
    keeping another system's creation date) are further apart and stay as they are."""
    created, updated = values.get("created_at"), values.get("updated_at")
    if not isinstance(created, dt.datetime) or not isinstance(updated, dt.datetime):
        return
    try:
        close = abs(updated - created) < ONE_MOMENT
    except TypeError:  # a naive and an aware time: not this function's to reconcile
        return
    if close:
        values["updated_at"] = created


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes / no")
    URL = "url", _("Web address")


class CustomFieldDefinition(AllScoped, Bilingual, Record):
    """A field an organisation adds to accounts or contacts; values live in ``custom``."""

    permission_type = ObjectType.CUSTOM_FIELD

    object_type = models.CharField(
        _("object type"),
        max_length=40,
        choices=[
            (ObjectType.ACCOUNT, ObjectType.ACCOUNT.label),
            (ObjectType.CONTACT, ObjectType.CONTACT.label),
        ],
    )
    key = models.SlugField(_("key"), max_length=60)
    field_type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices)
    is_required = models.BooleanField(_("is required"), default=False)
    is_sensitive = models.BooleanField(
        _("is sensitive"), default=False, help_text=_("Only roles granted this field may see it.")
    )
    # [{"value": "gold", "label_en": "Gold", "label_hi": "स्वर्ण"}, ...]
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["object_type", "position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "key"], name="custom_field_key_unique")
        ]

    def choice_label(self, value: str) -> str:
        lang_hi = (get_language() or "en").startswith("hi")
        for choice in self.choices:
            if choice.get("value") == value:
                return str((lang_hi and choice.get("label_hi")) or choice.get("label_en") or value)
        return value

    def choice_values(self) -> list[str]:
        return [str(choice.get("value")) for choice in self.choices]


class AuditEntry(models.Model):
    """Append-only and hash-chained: each entry's hash covers the previous one's."""

    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes: models.JSONField[Any, Any] = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_id}"


class AuditChainHead(models.Model):
    """One row, locked while an entry is appended, so the chain never forks."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it describes."""

    name = models.CharField(max_length=80)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    payload: models.JSONField[Any, Any] = models.JSONField(default=dict)
    actor_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


def full_access_scopes() -> list[str]:
    return ["*"]


class ApiToken(models.Model):
    """A personal API token: the secret is shown once; only its SHA-256 is kept.

    ``scopes`` narrow what it may do below its user's role (see ``core.token_scopes``);
    ``["*"]``, the default, is everything the user may do. ``rate_limit`` overrides the
    deployment's ``SAMBANDH_API_RATE_LIMIT`` for this token (``"1200/minute"``), set by an
    administrator.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes: models.JSONField[Any, Any] = models.JSONField(
        _("scopes"), default=full_access_scopes, blank=True
    )
    rate_limit = models.CharField(
        _("rate limit"),
        max_length=40,
        blank=True,
        help_text=_("Requests per period, e.g. 1200/minute. Empty: the deployment's limit."),
        validators=[validate_rate],
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ExchangeRate(AllScoped, models.Model):
    """How many units of the base currency one unit of ``currency`` was worth on ``rate_on``.

    An amount converts at the latest rate on or before its own date (see ``core.money``).
    """

    permission_type = ObjectType.EXCHANGE_RATE

    currency = models.CharField(_("currency"), max_length=3)
    rate_on = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-rate_on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_on"], name="exchange_rate_unique"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate_on}: {self.rate}"


class IdempotencyState(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    COMPLETED = "completed", _("Completed")


class IdempotencyRecord(models.Model):
    """What an API call sent with an ``Idempotency-Key`` answered, so that a client's retry
    gets the same answer instead of doing the work twice (see ``core.idempotency``).

    The row is inserted before the work starts (``processing``), under the unique constraint:
    two requests with one key can never both run. Only a success is kept (``completed``);
    a failure deletes the row, so the key may be used again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    request_hash = models.CharField(max_length=64)  # SHA-256 of the query string and body
    state = models.CharField(
        max_length=12, choices=IdempotencyState.choices, default=IdempotencyState.PROCESSING
    )
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=b"")
    response_headers: models.JSONField[Any, Any] = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
