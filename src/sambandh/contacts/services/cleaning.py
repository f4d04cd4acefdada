"""Field cleaners and the helpers every contacts write shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.contacts.models import (
    Account,
    AccountType,
    Contact,
    LifecycleStage,
    SizeBand,
    Tag,
)
from sambandh.core import validation
from sambandh.core.custom_fields import clean_custom_values
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType, OrganisationSettings, Team, User
from sambandh.core.permissions import grants_for, has_grant, scope_of, visible
from sambandh.core.records import (
    jsonable,
    raise_if,
    record_change,
    reject_unknown,
)
from sambandh.core.search import document

MAX_TAGS = 50
MAX_EXTRA = 10
Cleaner = Callable[[Any], Any]

ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")
CONTACT_FIELDS = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "external_id",
    "other_emails",
    "phone",
    "other_phones",
    "job_title",
    "account_id",
    "owner_id",
    "team_id",
    *ADDRESS_FIELDS,
    "preferred_language",
    "time_zone",
    "birthday",
    "anniversary",
    "lifecycle_stage",
    "source",
    "do_not_contact",
    "tags",
    "custom",
)
ACCOUNT_FIELDS = (
    "name",
    "external_id",
    "domain",
    "website",
    "industry",
    "size_band",
    "annual_revenue",
    "annual_revenue_currency",
    "type",
    "phone",
    "parent_id",
    "owner_id",
    "team_id",
    *ADDRESS_FIELDS,
    "tags",
    "custom",
)


def _text(max_length: int, required: bool = False) -> Cleaner:
    return lambda v: validation.clean_text(v, max_length=max_length, required=required)


def _choice(choices: Iterable[str]) -> Cleaner:
    allowed = set(choices)

    def clean(value: Any) -> str:
        text = validation.clean_text(value, max_length=40)
        if text and text not in allowed:
            raise ValueError(_("Choose one of the offered values."))
        return text

    return clean


def _list_of(cleaner: Cleaner) -> Cleaner:
    def clean(value: Any) -> list[Any]:
        if value in (None, ""):
            return []
        if not isinstance(value, list) or len(value) > MAX_EXTRA:
            raise ValueError(_("Enter a list of at most %(n)d values.") % {"n": MAX_EXTRA})
        out: list[Any] = []
        for item in value:
            clean_item = cleaner(item)
            if clean_item and clean_item not in out:
                out.append(clean_item)
        return out

    return clean


def _past_date(value: Any) -> dt.date | None:
    parsed = validation.clean_date(value)
    if parsed is not None and parsed > timezone.localdate():
        raise ValueError(_("Enter a date that is not in the future."))
    return parsed


def _user_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(_("Choose an active user."))
    if not User.objects.filter(pk=int(value), is_active=True).exists():
        raise ValueError(_("Choose an active user."))
    return int(value)


def _team_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(_("Choose an existing team."))
    if not Team.objects.filter(pk=int(value)).exists():
        raise ValueError(_("Choose an existing team."))
    return int(value)


def _visible_account_id(actor: User) -> Cleaner:
    def clean(value: Any) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise ValueError(_("Choose an existing company."))
        if not visible(actor, Account).filter(pk=int(value)).exists():
            raise ValueError(_("Choose an existing company."))
        return int(value)

    return clean


def _stage(value: Any) -> LifecycleStage | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(_("Choose a lifecycle stage."))
    # Cleaned first: NUL or a lone surrogate would fail inside the database driver.
    key = validation.clean_text(value, max_length=200)
    stage = LifecycleStage.objects.filter(key=key, is_active=True).first()
    if stage is None:
        raise ValueError(_("Choose a lifecycle stage."))
    return stage


# SQLite keeps decimals as 64-bit floats (15 significant digits): 16 integer digits can round
# up to 10**16 and then no longer fit max_digits=18 when read back, breaking every read of the row.
MAX_AMOUNT = Decimal("999999999999999.99")


def _amount(value: Any) -> Decimal | None:
    return validation.clean_decimal(value, min_value=Decimal(0), max_value=MAX_AMOUNT)


def _common_cleaners(actor: User, default_region: str) -> dict[str, Cleaner]:
    return {
        "street": _text(200),
        "city": _text(120),
        "state": _text(120),
        "postal_code": _text(20),
        "country": validation.clean_country,
        "owner_id": _user_id,
        "team_id": _team_id,
        "phone": lambda v: validation.clean_phone(v, default_region=default_region),
        "external_id": _text(100),
    }


def _contact_cleaners(actor: User, default_region: str) -> dict[str, Cleaner]:
    return {
        **_common_cleaners(actor, default_region),
        "salutation": _text(20),
        "first_name": _text(120),
        "last_name": _text(120),
        "email": validation.clean_email,
        "other_emails": _list_of(validation.clean_email),
        "other_phones": _list_of(
            lambda v: validation.clean_phone(v, default_region=default_region)
        ),
        "job_title": _text(150),
        "account_id": _visible_account_id(actor),
        "preferred_language": validation.clean_language,
        "time_zone": validation.clean_time_zone,
        "birthday": _past_date,
        "anniversary": _past_date,
        "lifecycle_stage": _stage,
        "source": _text(60),
        "do_not_contact": validation.clean_bool,
    }


def _account_cleaners(actor: User, default_region: str) -> dict[str, Cleaner]:
    return {
        **_common_cleaners(actor, default_region),
        "name": _text(200, required=True),
        "domain": validation.clean_domain,
        "website": validation.clean_url,
        "industry": _text(120),
        "size_band": _choice(SizeBand.values),
        "annual_revenue": _amount,
        "annual_revenue_currency": validation.clean_currency,
        "type": _choice(AccountType.values),
        "parent_id": _visible_account_id(actor),
    }


def _clean_tags(actor: User, value: Any, errors: dict[str, list[str]]) -> list[Tag] | None:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        errors["tags"] = [_("Enter a list of at most %(n)d tags.") % {"n": MAX_TAGS}]
        return None
    names: list[str] = []
    for raw in value:
        try:
            name = validation.clean_text(raw, max_length=60, required=True)
        except ValueError as exc:
            errors["tags"] = [str(exc)]
            return None
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    existing: dict[str, Tag] = {
        t.name.lower(): t
        for t in Tag.objects.annotate(lname=Lower("name")).filter(
            lname__in=[n.lower() for n in names]
        )
    }
    missing = [n for n in names if n.lower() not in existing]
    if missing and not has_grant(actor, ObjectType.TAG, Action.CREATE):
        errors["tags"] = [_("You may not create new tags: %(tags)s") % {"tags": ", ".join(missing)}]
        return None
    for name in missing:
        tag = Tag.objects.create(name=name)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.TAG,
            obj=tag,
            changes={"name": [None, name]},
            event="tag.created",
        )
        existing[name.lower()] = tag
    return [existing[n.lower()] for n in names]


def _clean(
    *,
    actor: User,
    object_type: str,
    data: dict[str, Any],
    allowed: tuple[str, ...],
    cleaners: dict[str, Cleaner],
    existing_custom: dict[str, Any],
    creating: bool,
) -> tuple[dict[str, Any], list[Tag] | None]:
    """Clean every field given; gather all errors before raising, so the user sees them at once."""
    if not isinstance(data, dict):
        raise ValidationError({"": [_("Enter an object.")]})
    reject_unknown(data, allowed)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name in ("tags", "custom"):
            continue
        try:
            values[name] = cleaners[name](raw)
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
    if "custom" in data or creating:
        values["custom"] = clean_custom_values(
            actor=actor,
            object_type=object_type,
            incoming=data.get("custom") or {},
            existing=existing_custom,
            errors=errors,
            creating=creating,
        )
    tags = None
    if "tags" in data:
        # Tags are created only when everything else is valid: no tag left behind by a rejected write.
        if errors:
            raise ValidationError(errors)
        tags = _clean_tags(actor, data["tags"], errors)
    raise_if(errors)
    return values, tags


def default_region(data: dict[str, Any], current: Any | None) -> str:
    """The country whose numbering a phone without a country code is read in: the record's
    country as given, else its current one, else the organisation's."""
    raw = data.get("country")
    if isinstance(raw, str) and raw.upper() in validation.country_codes():
        return raw.upper()
    if current is not None and current.country:
        return str(current.country)
    return str(OrganisationSettings.get().country)


def _check_assignment(actor: User, values: dict[str, Any], current: Any | None) -> None:
    """Owner and team may be set freely only with an ``all`` update scope or by admins;
    otherwise a user may assign records to themselves or their own teams."""
    grants = grants_for(actor)
    if grants.is_admin:
        return
    object_type = (current.permission_type if current is not None else None) or ""
    action = Action.UPDATE if current is not None else Action.CREATE
    if object_type and scope_of(actor, object_type, action) == "all":
        return
    errors: dict[str, list[str]] = {}
    owner_id = values.get("owner_id")
    if "owner_id" in values and owner_id not in (None, actor.pk):
        errors["owner_id"] = [_("You may only assign records to yourself.")]
    team_id = values.get("team_id")
    if "team_id" in values and team_id is not None and team_id not in grants.team_ids:
        errors["team_id"] = [_("You may only assign records to your own teams.")]
    raise_if(errors)


def _creation_changes(values: dict[str, Any], tags: list[Tag] | None) -> dict[str, Any]:
    """What a create records: each custom value as its own ``cf.<key>`` entry, like updates,
    so history can hide a sensitive one without hiding the others."""
    changes: dict[str, Any] = {
        k: [None, jsonable(v)]
        for k, v in values.items()
        if k != "custom" and v not in (None, "", [], {})
    }
    for key, value in sorted((values.get("custom") or {}).items()):
        changes[f"cf.{key}"] = [None, jsonable(value)]
    if tags:
        changes["tags"] = [None, [t.name for t in tags]]
    return changes


def contact_document(contact: Contact) -> str:
    national = contact.phone.removeprefix("+91") if contact.phone.startswith("+91") else ""
    return document(
        contact.salutation,
        contact.first_name,
        contact.last_name,
        contact.email,
        *contact.other_emails,
        contact.phone,
        national,
        *contact.other_phones,
        contact.job_title,
        contact.city,
    )


def _account_document(account: Account) -> str:
    return document(account.name, account.domain, account.phone, account.city, account.industry)


# ---------------------------------------------------------------- contacts


def _first_team(actor: User) -> int | None:
    return actor.teams.order_by("id").values_list("id", flat=True).first()


def _check_assignment_create(actor: User, values: dict[str, Any], object_type: str) -> None:
    grants = grants_for(actor)
    if grants.is_admin:
        return
    # A creator whose read scope is narrower than "all" must keep the new record in sight.
    read_scope = grants.scopes.get((object_type, Action.READ))
    if read_scope == "all":
        return
    errors: dict[str, list[str]] = {}
    if values.get("owner_id") not in (None, actor.pk):
        team_id = values.get("team_id")
        if not (read_scope == "team" and team_id in grants.team_ids):
            errors["owner_id"] = [_("You may only assign records to yourself.")]
    if values.get("team_id") is not None and values["team_id"] not in grants.team_ids:
        errors["team_id"] = [_("You may only assign records to your own teams.")]
    raise_if(errors)
