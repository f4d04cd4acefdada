"""Field descriptions for rendering contact and company forms in HTML.

Validation stays in the services: these only say how a field is labelled and drawn, how
its current value reads back into an input, and how a submitted form becomes the ``data``
dict a service takes. Custom fields become fields named ``cf.<key>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Account, AccountType, Contact, LifecycleStage, SizeBand
from sambandh.core.custom_fields import readable_definitions
from sambandh.core.models import (
    CustomFieldDefinition,
    CustomFieldType,
    ObjectType,
    Team,
    User,
)
from sambandh.core.money import format_money, format_number
from sambandh.core.permissions import visible
from sambandh.core.validation import country_name

Choices = list[tuple[str, str]]
ChoiceSource = Callable[[User, Any], Choices]
# A select may not list a million companies: the first ones by name, plus the current one.
ACCOUNT_CHOICES_MAX = 200
USER_CHOICES_MAX = 500


def _owner_choices(actor: User, obj: Any) -> Choices:
    users = visible(actor, User).filter(is_active=True).order_by("username")[:USER_CHOICES_MAX]
    return [("", "—")] + [(str(u.pk), str(u)) for u in users]


def _team_choices(actor: User, obj: Any) -> Choices:
    return [("", "—")] + [(str(t.pk), t.name) for t in visible(actor, Team).order_by("name")]


def _account_choices(actor: User, obj: Any) -> Choices:
    accounts = list(
        visible(actor, Account).order_by("name", "id").only("id", "name")[:ACCOUNT_CHOICES_MAX]
    )
    current = getattr(obj, "account", None) if isinstance(obj, Contact) else None
    if current is None and isinstance(obj, Account):
        current = obj.parent
    if current is not None and current.pk not in {a.pk for a in accounts}:
        accounts.insert(0, current)
    if isinstance(obj, Account):
        accounts = [a for a in accounts if a.pk != obj.pk]
    return [("", "—")] + [(str(a.pk), a.name) for a in accounts]


def _stage_choices(actor: User, obj: Any) -> Choices:
    return [("", "—")] + [(s.key, s.label) for s in LifecycleStage.objects.filter(is_active=True)]


def _language_choices(actor: User, obj: Any) -> Choices:
    return [("", "—")] + [(code, str(name)) for code, name in settings.LANGUAGES]


def _static(choices: Any) -> ChoiceSource:
    def source(actor: User, obj: Any) -> Choices:
        return [("", "—")] + [(str(v), str(label)) for v, label in choices]

    return source


@dataclass(frozen=True)
class Field:
    """One input on a record form and one row on its detail page."""

    name: str
    label: str | Promise
    widget: str = "text"  # text email tel date number url textarea select multiselect checkbox yesno money tags
    choices: ChoiceSource | None = None
    inline: bool = True
    definition: CustomFieldDefinition | None = None
    help: str | Promise = ""

    @property
    def html_id(self) -> str:
        return "field-" + self.name.replace(".", "-").replace("_", "-")

    @property
    def is_custom(self) -> bool:
        return self.definition is not None

    @property
    def key(self) -> str:
        """The custom field's key (``cf.tier`` -> ``tier``)."""
        return self.name[3:] if self.is_custom else self.name

    def options(self, actor: User, obj: Any) -> Choices:
        return self.choices(actor, obj) if self.choices is not None else []


ADDRESS = [
    Field("street", _("Street")),
    Field("city", _("City")),
    Field("state", _("State / region")),
    Field("postal_code", _("Postal code")),
    Field("country", _("Country"), help=_("Two letters, such as IN.")),
]

CONTACT_FIELDS = [
    Field("salutation", _("Salutation")),
    Field("first_name", _("First name")),
    Field("last_name", _("Last name")),
    Field("email", _("Email"), "email"),
    Field("phone", _("Phone"), "tel"),
    Field("job_title", _("Job title")),
    Field("account_id", _("Company"), "select", _account_choices),
    Field("lifecycle_stage", _("Lifecycle stage"), "select", _stage_choices),
    Field("owner_id", _("Owner"), "select", _owner_choices),
    Field("team_id", _("Team"), "select", _team_choices),
    *ADDRESS,
    Field("preferred_language", _("Preferred language"), "select", _language_choices),
    Field("time_zone", _("Time zone"), help=_("Such as Asia/Kolkata.")),
    Field("birthday", _("Birthday"), "date"),
    Field("anniversary", _("Anniversary"), "date"),
    Field("source", _("Source")),
    Field("do_not_contact", _("Do not contact"), "checkbox"),
    Field("tags", _("Tags"), "tags", inline=False, help=_("Separate tags with commas.")),
]

ACCOUNT_FIELDS = [
    Field("name", _("Name")),
    Field("domain", _("Domain")),
    Field("website", _("Website"), "url"),
    Field("industry", _("Industry")),
    Field("type", _("Type"), "select", _static(AccountType.choices)),
    Field("size_band", _("Size"), "select", _static(SizeBand.choices)),
    Field("annual_revenue", _("Annual revenue"), "number"),
    Field("annual_revenue_currency", _("Currency"), help=_("Such as INR.")),
    Field("phone", _("Phone"), "tel"),
    Field("parent_id", _("Parent company"), "select", _account_choices),
    Field("owner_id", _("Owner"), "select", _owner_choices),
    Field("team_id", _("Team"), "select", _team_choices),
    *ADDRESS,
    Field("tags", _("Tags"), "tags", inline=False, help=_("Separate tags with commas.")),
]

_CUSTOM_WIDGETS = {
    CustomFieldType.TEXT: "text",
    CustomFieldType.NUMBER: "number",
    CustomFieldType.MONEY: "money",
    CustomFieldType.DATE: "date",
    CustomFieldType.CHOICE: "select",
    CustomFieldType.MULTI_CHOICE: "multiselect",
    CustomFieldType.BOOLEAN: "yesno",
    CustomFieldType.URL: "url",
}


def _custom_choices(definition: CustomFieldDefinition) -> ChoiceSource:
    def source(actor: User, obj: Any) -> Choices:
        blank: Choices = (
            [] if definition.field_type == CustomFieldType.MULTI_CHOICE else [("", "—")]
        )
        return blank + [(v, definition.choice_label(v)) for v in definition.choice_values()]

    return source


def custom_fields(actor: User, object_type: str) -> list[Field]:
    """The custom fields the actor may read, labelled in the active language."""
    return [
        Field(
            f"cf.{d.key}",
            d.label,
            _CUSTOM_WIDGETS.get(CustomFieldType(d.field_type), "text"),
            _custom_choices(d)
            if d.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE)
            else None,
            definition=d,
        )
        for d in readable_definitions(actor, object_type)
    ]


def fields_for(actor: User, object_type: str) -> list[Field]:
    """Every field of a contact or company form, custom ones last."""
    base = CONTACT_FIELDS if object_type == ObjectType.CONTACT else ACCOUNT_FIELDS
    return [*base, *custom_fields(actor, object_type)]


# ---------------------------------------------------------------- reading values


def raw_value(field: Field, obj: Any) -> Any:
    """The stored value behind a field."""
    if field.is_custom:
        return (obj.custom or {}).get(field.key)
    if field.name == "lifecycle_stage":
        return obj.lifecycle_stage.key if obj.lifecycle_stage_id else ""
    if field.name == "tags":
        return [t.name for t in obj.tags.all()]
    return getattr(obj, field.name)


def initial(field: Field, obj: Any | None) -> Any:
    """The value an input shows: a string, a list (multiselect) or a dict (money)."""
    if obj is None:
        if field.name == "type":
            return AccountType.PROSPECT.value
        return {} if field.widget == "money" else [] if field.widget == "multiselect" else ""
    value = raw_value(field, obj)
    if field.widget == "money":
        return value if isinstance(value, dict) else {}
    if field.widget == "multiselect":
        return [str(v) for v in value] if isinstance(value, list) else []
    if field.widget == "tags":
        return ", ".join(value)
    if field.widget == "checkbox":
        return "on" if value else ""
    if field.widget == "yesno":
        return "" if value is None else ("yes" if value else "no")
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def submitted(field: Field, post: QueryDict) -> Any:
    """What the form sent for a field, in the same shape as ``initial``."""
    if field.widget == "money":
        amount = post.get(f"{field.name}.amount", "").strip()
        currency = post.get(f"{field.name}.currency", "").strip().upper()
        return {"amount": amount, "currency": currency} if amount or currency else {}
    if field.widget == "multiselect":
        return post.getlist(field.name)
    if field.widget == "checkbox":
        return "on" if post.get(field.name) else ""
    return post.get(field.name, "")


def _to_service(field: Field, value: Any) -> Any:
    if field.widget == "tags":
        return [part.strip() for part in str(value).split(",") if part.strip()]
    if field.widget == "checkbox":
        return value == "on"
    if field.widget == "yesno":
        return None if value == "" else value == "yes"
    if field.widget == "money":
        return value or None
    if field.widget == "multiselect":
        return value or None
    return value


def _same(field: Field, before: Any, after: Any) -> bool:
    if field.widget == "money":
        return bool(before) == bool(after) and (
            not before
            or (
                str(before.get("amount")) == str(after.get("amount"))
                and before.get("currency") == after.get("currency")
            )
        )
    return bool(before == after)


def form_data(fields: list[Field], post: QueryDict, obj: Any | None) -> dict[str, Any]:
    """The ``data`` for a create (non-empty fields) or an update (changed fields only).

    Sending only what changed keeps the audit trail honest and lets a sales rep save a
    record whose owner field they could not have set themselves.
    """
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for field in fields:
        value = submitted(field, post)
        if obj is None:
            if value in ("", [], {}):
                continue
        elif _same(field, initial(field, obj), value):
            continue
        converted = _to_service(field, value)
        if field.is_custom:
            custom[field.key] = converted
        else:
            data[field.name] = converted
    if custom:
        data["custom"] = custom
    return data


def field_errors(errors: dict[str, list[str]], fields: list[Field]) -> dict[str, list[str]]:
    """Errors keyed by field name; anything that matches no field is kept under ``""``."""
    names = {f.name for f in fields}
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        target = key if key in names else ""
        out.setdefault(target, []).extend(messages)
    return out


# ---------------------------------------------------------------- displaying values


def _choice_label(field: Field, actor: User, obj: Any, value: str) -> str:
    for option, label in field.options(actor, obj):
        if option == value:
            return label
    return value


def display(field: Field, actor: User, obj: Any) -> str:
    """A field's value as text for the detail page (escaped by the template)."""
    value = raw_value(field, obj)
    if value in (None, "", [], {}):
        return ""
    if field.name == "account_id":
        return obj.account.name if obj.account_id else ""
    if field.name == "parent_id":
        return obj.parent.name if obj.parent_id else ""
    if field.name == "owner_id":
        return str(obj.owner) if obj.owner_id else ""
    if field.name == "team_id":
        return obj.team.name if obj.team_id else ""
    if field.name == "lifecycle_stage":
        return obj.lifecycle_stage.label if obj.lifecycle_stage_id else ""
    if field.name == "country":
        return country_name(str(value), _language()) or str(value)
    if field.name == "preferred_language":
        return {c: str(n) for c, n in settings.LANGUAGES}.get(str(value), str(value))
    if field.name == "annual_revenue":
        return format_money(Decimal(value), obj.annual_revenue_currency)
    if field.name in ("type", "size_band"):
        return _choice_label(field, actor, obj, str(value))
    if field.widget == "tags":
        return ", ".join(value)
    if field.widget == "checkbox" or field.widget == "yesno":
        return gettext("Yes") if value else gettext("No")
    if field.widget == "money" and isinstance(value, dict):
        return format_money(Decimal(str(value.get("amount"))), str(value.get("currency")))
    if field.widget == "number" and isinstance(value, int | float | Decimal):
        return format_number(value)
    if field.widget == "date":
        parsed = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return date_format(parsed, "DATE_FORMAT")
    if field.definition is not None and field.widget in ("select", "multiselect"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(field.definition.choice_label(str(v)) for v in values)
    return str(value)


def _language() -> str:
    from django.utils.translation import get_language

    return (get_language() or "en")[:2]


# ---------------------------------------------------------------- history

# Audit entries keep ids for these; the history shows names, fetched in one query per kind.
_REFERENCES: dict[str, Callable[[User, set[int]], dict[int, str]]] = {
    "account_id": lambda actor, ids: dict(
        visible(actor, Account).filter(pk__in=ids).values_list("id", "name")
    ),
    "parent_id": lambda actor, ids: dict(
        visible(actor, Account).filter(pk__in=ids).values_list("id", "name")
    ),
    "owner_id": lambda actor, ids: {u.pk: str(u) for u in User.objects.filter(pk__in=ids)},
    "team_id": lambda actor, ids: dict(Team.objects.filter(pk__in=ids).values_list("id", "name")),
    "lifecycle_stage": lambda actor, ids: {
        s.pk: s.label for s in LifecycleStage.objects.filter(pk__in=ids)
    },
}


# Labels for keys that other apps' services write into a contact's or company's history
# (not fields of its form), e.g. the rule that assigned it; apps add theirs when ready, with
# a reference reader in ``_REFERENCES`` when the values are ids.
HISTORY_LABELS: dict[str, Any] = {}


def register_history_key(
    name: str,
    label: Any,
    reference: Callable[[User, set[int]], dict[int, str]] | None = None,
) -> None:
    """Show ``name`` in record histories as ``label``; ``reference`` names its id values."""
    HISTORY_LABELS[name] = label
    if reference is not None:
        _REFERENCES[name] = reference


def _expanded(changes: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Well-formed ``(field, [before, after])`` pairs; a whole ``custom`` dict (as a create
    records it) becomes one ``cf.<key>`` pair per key, so each can be hidden on its own."""
    out: list[tuple[str, list[Any]]] = []
    for name, pair in changes.items():
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        if name == "custom":
            before = pair[0] if isinstance(pair[0], dict) else {}
            after = pair[1] if isinstance(pair[1], dict) else {}
            out.extend(
                (f"cf.{key}", [before.get(key), after.get(key)])
                for key in sorted(set(before) | set(after))
            )
        else:
            out.append((name, pair))
    return out


def history_rows(actor: User, entries: list[Any], fields: list[Field]) -> list[dict[str, Any]]:
    """Audit entries with field labels and readable before/after values.

    Sensitive custom fields the actor may not read are left out, as on the detail page.
    """
    labels: dict[str, Any] = {**HISTORY_LABELS, **{f.name: f.label for f in fields}}
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        for name, pair in _expanded(entry.changes):
            if name in _REFERENCES:
                wanted.setdefault(name, set()).update(v for v in pair if isinstance(v, int))
    names = {name: _REFERENCES[name](actor, ids) for name, ids in wanted.items() if ids}
    rows = []
    for entry in entries:
        changes = []
        for name, pair in _expanded(entry.changes):
            if name.startswith("cf.") and name not in labels:
                continue
            before, after = pair
            if name in names:
                before = names[name].get(before, before) if isinstance(before, int) else before
                after = names[name].get(after, after) if isinstance(after, int) else after
            changes.append({"label": labels.get(name, name), "before": before, "after": after})
        rows.append({"entry": entry, "changes": changes})
    return rows
