"""Territories: hierarchical sales regions with rules, and assigning records to them.

A territory's rules are lists (countries, states, industries, size bands); an empty list
means "any". A child territory narrows its parent: it matches only where its ancestors match
too. The most specific active match wins: the one with the most non-empty rule lists (its own
and its ancestors'), then the deepest, then the lowest ``position``, then the lowest id.

Contacts match on their own country and state; a contact that matches nothing inherits its
company's territory. Companies match on country, state, industry and size band.

This module also holds the small create/update/delete helpers that every lead-settings
object (territories, lead forms, scoring and assignment rules) shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact, SizeBand
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType, Team, User
from sambandh.core.permissions import require
from sambandh.core.records import (
    apply_values,
    jsonable,
    lock_for_update,
    raise_if,
    record_change,
    reject_unknown,
    save_changed,
)
from sambandh.sales.models import Territory

M = TypeVar("M", bound=models.Model)
Cleaner = Callable[[Any], Any]

MAX_RULE_VALUES = 200
MAX_DEPTH = 20
# Below this many records a rule change re-evaluates them at once, in the same transaction;
# above it a Huey task does it in batches after the commit.
SYNC_REEVALUATE_LIMIT = 2000
BATCH_SIZE = 500

TERRITORY_FIELDS = (
    "name",
    "parent_id",
    "countries",
    "states",
    "industries",
    "size_bands",
    "team_id",
    "default_owner_id",
    "position",
    "is_active",
)
RULE_FIELDS = ("parent_id", "countries", "states", "industries", "size_bands", "is_active")
# The record fields a territory looks at: a change to one of them re-evaluates the record.
CONTACT_TERRITORY_FIELDS = frozenset({"country", "state", "account_id"})
ACCOUNT_TERRITORY_FIELDS = frozenset({"country", "state", "industry", "size_band"})


# ---------------------------------------------------------------- shared cleaners


def clean_name(value: Any) -> str:
    return validation.clean_text(value, max_length=120, required=True)


def clean_position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_("Enter a whole number."))
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(_("Enter a whole number.")) from exc
    if not 0 <= number <= 1_000_000:
        raise ValueError(_("Enter a number from 0 to 1,000,000."))
    return number


def _is_id(value: Any) -> bool:
    """A positive 64-bit id as an int or a string of digits (anything else is a 400)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return False
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) < 2**63


def clean_user_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if not _is_id(value):
        raise ValueError(_("Choose an active user."))
    if not User.objects.filter(pk=int(value), is_active=True).exists():
        raise ValueError(_("Choose an active user."))
    return int(value)


def clean_team_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if not _is_id(value):
        raise ValueError(_("Choose an existing team."))
    if not Team.objects.filter(pk=int(value)).exists():
        raise ValueError(_("Choose an existing team."))
    return int(value)


def text_list(item: Cleaner, *, limit: int = MAX_RULE_VALUES) -> Cleaner:
    """A list of values (or a comma-separated string, as an HTML form sends it)."""

    def clean(value: Any) -> list[Any]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or len(value) > limit:
            raise ValueError(_("Enter a list of at most %(n)d values.") % {"n": limit})
        out: list[Any] = []
        for raw in value:
            cleaned = item(raw)
            if cleaned not in ("", None) and cleaned not in out:
                out.append(cleaned)
        return out

    return clean


def _country(value: Any) -> str:
    code = validation.clean_country(value)
    if not code:
        raise ValueError(_("Enter a two-letter country code."))
    return code


def _size_band(value: Any) -> str:
    text = validation.clean_text(value, max_length=20)
    if text not in SizeBand.values:
        raise ValueError(_("Choose one of the offered values."))
    return text


def _rule_text(value: Any) -> str:
    return validation.clean_text(value, max_length=120)


def clean_values(
    data: Mapping[str, Any], allowed: Iterable[str], cleaners: Mapping[str, Cleaner]
) -> dict[str, Any]:
    """Clean every given field; collect all errors before raising."""
    if not isinstance(data, Mapping):
        raise ValidationError({"": [_("Enter an object.")]})
    reject_unknown(data, allowed)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, raw in data.items():
        try:
            values[name] = cleaners[name](raw)
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
    raise_if(errors)
    return values


# ---------------------------------------------------------------- shared create/update/delete


def settings_create(
    *,
    actor: User,
    model: type[M],
    object_type: str,
    values: dict[str, Any],
    event: str,
    validate: Callable[[M], None] | None = None,
) -> M:
    """Create one lead-settings object with its audit entry and event."""
    require(actor, object_type, Action.CREATE)
    with transaction.atomic():
        obj = model(created_by=actor, **values)
        if validate is not None:
            validate(obj)
        obj.save()
        record_change(
            actor=actor,
            action="create",
            object_type=object_type,
            obj=obj,
            changes={k: [None, jsonable(v)] for k, v in values.items() if v not in (None, "", [])},
            event=event,
        )
    return obj


def settings_update(
    *,
    actor: User,
    obj: M,
    object_type: str,
    values: dict[str, Any],
    version: int | None,
    event: str,
    validate: Callable[[M], None] | None = None,
) -> tuple[M, dict[str, Any]]:
    """Change a lead-settings object under a row lock; a stale ``version`` is a 409."""
    require(actor, object_type, Action.UPDATE, obj)
    with transaction.atomic():
        locked = lock_for_update(type(obj), obj.pk, version=version)
        changes = apply_values(locked, values)
        if changes:
            if validate is not None:
                validate(locked)
            save_changed(locked, changes)
            record_change(
                actor=actor,
                action="update",
                object_type=object_type,
                obj=locked,
                changes=changes,
                event=event,
            )
    return locked, changes


def settings_delete(*, actor: User, obj: models.Model, object_type: str, event: str) -> None:
    require(actor, object_type, Action.DELETE, obj)
    with transaction.atomic():
        record_change(
            actor=actor,
            action="delete",
            object_type=object_type,
            obj=obj,
            changes={"name": [str(obj), None]},
            event=event,
            payload={"id": obj.pk},
        )
        obj.delete()


# ---------------------------------------------------------------- territories CRUD


def _territory_cleaners() -> dict[str, Cleaner]:
    def parent(value: Any) -> int | None:
        if value in (None, ""):
            return None
        if not _is_id(value):
            raise ValueError(_("Choose an existing territory."))
        if not Territory.objects.filter(pk=int(value)).exists():
            raise ValueError(_("Choose an existing territory."))
        return int(value)

    return {
        "name": clean_name,
        "parent_id": parent,
        "countries": text_list(_country),
        "states": text_list(_rule_text),
        "industries": text_list(_rule_text),
        "size_bands": text_list(_size_band),
        "team_id": clean_team_id,
        "default_owner_id": clean_user_id,
        "position": clean_position,
        "is_active": validation.clean_bool,
    }


def _check_hierarchy(territory: Territory) -> None:
    """No territory may be its own ancestor (directly or through others)."""
    seen = {territory.pk} if territory.pk else set()
    parent_id = territory.parent_id
    depth = 0
    while parent_id is not None:
        if parent_id in seen:
            raise ValidationError({"parent_id": [_("A territory cannot be inside itself.")]})
        seen.add(parent_id)
        depth += 1
        if depth > MAX_DEPTH:
            raise ValidationError(
                {"parent_id": [_("Territories nest at most %(n)d levels deep.") % {"n": MAX_DEPTH}]}
            )
        parent_id = (
            Territory.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        )


def territory_create(*, actor: User, data: dict[str, Any]) -> Territory:
    """Create a territory; the records it now matches are assigned to it."""
    require(actor, ObjectType.TERRITORY, Action.CREATE)
    values = clean_values(data, TERRITORY_FIELDS, _territory_cleaners())
    if "name" not in values:
        raise ValidationError({"name": [_("This field is required.")]})
    with transaction.atomic():
        territory = settings_create(
            actor=actor,
            model=Territory,
            object_type=ObjectType.TERRITORY,
            values=values,
            event="territory.created",
            validate=_check_hierarchy,
        )
        territories_rules_changed(actor=actor)
    return territory


def territory_update(
    *, actor: User, territory: Territory, data: dict[str, Any], version: int | None
) -> Territory:
    """Change a territory. A change to its rules, parent or activity re-evaluates records."""
    require(actor, ObjectType.TERRITORY, Action.UPDATE, territory)
    values = clean_values(data, TERRITORY_FIELDS, _territory_cleaners())
    with transaction.atomic():
        territory, changes = settings_update(
            actor=actor,
            obj=territory,
            object_type=ObjectType.TERRITORY,
            values=values,
            version=version,
            event="territory.updated",
            validate=_check_hierarchy,
        )
        if set(changes) & set(RULE_FIELDS):
            territories_rules_changed(actor=actor)
    return territory


def territory_delete(*, actor: User, territory: Territory) -> None:
    """Delete a territory without sub-territories; its records are re-evaluated."""
    require(actor, ObjectType.TERRITORY, Action.DELETE, territory)
    if Territory.objects.filter(parent_id=territory.pk).exists():
        raise ValidationError(
            {"": [_("This territory has sub-territories. Move or delete them first.")]}
        )
    with transaction.atomic():
        settings_delete(
            actor=actor, obj=territory, object_type=ObjectType.TERRITORY, event="territory.deleted"
        )
        territories_rules_changed(actor=actor)


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Rule:
    territory: Territory
    countries: frozenset[str]
    states: frozenset[str]
    industries: frozenset[str]
    size_bands: frozenset[str]
    rank: tuple[int, int, int, int]

    def matches(self, country: str, state: str, industry: str | None, size: str | None) -> bool:
        if self.countries and (country or "").upper() not in self.countries:
            return False
        if self.states and (state or "").casefold() not in self.states:
            return False
        if self.industries and (industry or "").casefold() not in self.industries:
            return False
        return not (self.size_bands and (size or "") not in self.size_bands)


class TerritoryMatcher:
    """All active territories, loaded once, flattened with their ancestors' rules."""

    def __init__(self) -> None:
        every = {t.pk: t for t in Territory.objects.all()}
        self.rules: list[_Rule] = []
        for territory in every.values():
            chain: list[Territory] = []
            node: Territory | None = territory
            while node is not None and len(chain) <= MAX_DEPTH:
                chain.append(node)
                node = every.get(node.parent_id) if node.parent_id else None
            if not all(t.is_active for t in chain):
                continue
            sets: dict[str, set[str]] = {"c": set(), "s": set(), "i": set(), "b": set()}
            lists = 0
            for t in chain:
                for key, attr, norm in (
                    ("c", "countries", str.upper),
                    ("s", "states", str.casefold),
                    ("i", "industries", str.casefold),
                    ("b", "size_bands", str),
                ):
                    values = {norm(str(v)) for v in (getattr(t, attr) or [])}
                    if values:
                        lists += 1
                        # A child narrows its parent: both lists must match.
                        sets[key] = sets[key] & values if sets[key] else values
            self.rules.append(
                _Rule(
                    territory=territory,
                    countries=frozenset(sets["c"]),
                    states=frozenset(sets["s"]),
                    industries=frozenset(sets["i"]),
                    size_bands=frozenset(sets["b"]),
                    rank=(-lists, -len(chain), territory.position, territory.pk),
                )
            )
        self.rules.sort(key=lambda r: r.rank)

    def match(
        self, *, country: str, state: str, industry: str | None = None, size_band: str | None = None
    ) -> Territory | None:
        for rule in self.rules:
            if rule.matches(country, state, industry, size_band):
                return rule.territory
        return None

    def for_account(self, account: Account) -> Territory | None:
        return self.match(
            country=account.country,
            state=account.state,
            industry=account.industry,
            size_band=account.size_band,
        )

    def for_contact(self, contact: Contact, account_territory_id: int | None) -> int | None:
        own = self.match(country=contact.country, state=contact.state)
        return own.pk if own is not None else account_territory_id


def _assignment_values(
    record: Contact | Account, territory_id: int | None, territories: Mapping[int, Territory]
) -> dict[str, Any]:
    """The territory and, where the record has none, the territory's team and default owner."""
    values: dict[str, Any] = {"territory_id": territory_id}
    territory = territories.get(territory_id) if territory_id is not None else None
    if territory is not None:
        if record.team_id is None and territory.team_id is not None:
            values["team_id"] = territory.team_id
        if record.owner_id is None and territory.default_owner_id is not None:
            values["owner_id"] = territory.default_owner_id
    return values


def territory_assign(
    *, actor: User | None, record: Contact | Account, matcher: TerritoryMatcher | None = None
) -> Territory | None:
    """Set ``record.territory`` from its fields (and an empty owner/team from the territory).

    Runs inside the caller's write (contacts' create and update call it): it saves only the
    fields it changes, without a new version (it follows the write that already bumped it),
    and records one audit entry. A company's contacts that inherit its territory follow it.
    """
    matcher = matcher or TerritoryMatcher()
    territories = {r.territory.pk: r.territory for r in matcher.rules}
    if isinstance(record, Account):
        found = matcher.for_account(record)
        territory_id = found.pk if found is not None else None
    else:
        account_territory_id = (
            Account.objects.filter(pk=record.account_id)
            .values_list("territory_id", flat=True)
            .first()
            if record.account_id
            else None
        )
        territory_id = matcher.for_contact(record, account_territory_id)
    values = _assignment_values(record, territory_id, territories)
    with transaction.atomic():
        changes = apply_values(record, values)
        if changes:
            record.save(update_fields=sorted(changes))
            record_change(
                actor=actor,
                action="territory_assign",
                object_type=record.permission_type,
                obj=record,
                changes=changes,
                event=f"{record.permission_type}.territory_assigned",
            )
            if isinstance(record, Account) and "territory_id" in changes:
                _reevaluate(actor, Contact.objects.filter(account_id=record.pk), matcher)
    return territories.get(territory_id) if territory_id is not None else None


# ---------------------------------------------------------------- re-evaluation


def _reevaluate(
    actor: User | None, queryset: models.QuerySet[Any], matcher: TerritoryMatcher
) -> int:
    """Re-assign every record of ``queryset`` in id batches; bulk update, one audit entry per
    changed record (so each record's history shows why its territory changed)."""
    model = queryset.model
    territories = {r.territory.pk: r.territory for r in matcher.rules}
    last_id = 0
    changed_total = 0
    while True:
        batch_qs = queryset.select_related("account") if model is Contact else queryset
        batch = list(batch_qs.filter(pk__gt=last_id).order_by("pk")[:BATCH_SIZE])
        if not batch:
            return changed_total
        last_id = batch[-1].pk
        changed: list[tuple[Any, dict[str, Any]]] = []
        for record in batch:
            if isinstance(record, Account):
                found = matcher.for_account(record)
                territory_id = found.pk if found is not None else None
            else:
                territory_id = matcher.for_contact(
                    record, record.account.territory_id if record.account else None
                )
            changes = apply_values(record, _assignment_values(record, territory_id, territories))
            if changes:
                record.version += 1
                changed.append((record, changes))
        if changed:
            fields = sorted({name for _r, c in changed for name in c} | {"version"})
            with transaction.atomic():
                model.objects.bulk_update([r for r, _c in changed], fields)
                for record, changes in changed:
                    record_change(
                        actor=actor,
                        action="territory_assign",
                        object_type=model.permission_type,
                        obj=record,
                        changes=changes,
                        event=f"{model.permission_type}.territory_assigned",
                    )
            changed_total += len(changed)


def territories_reevaluate(*, actor: User | None = None) -> int:
    """Re-assign every company, then every contact (which may inherit its company's)."""
    matcher = TerritoryMatcher()
    changed = _reevaluate(actor, Account.objects.all(), matcher)
    return changed + _reevaluate(actor, Contact.objects.all(), matcher)


def territories_rules_changed(*, actor: User | None) -> None:
    """Small sets are re-evaluated now, in the caller's transaction; large ones by a Huey task
    after the commit (nothing is queued for a change that rolled back)."""
    # Bounded counts: we only need to know whether the set is small.
    limit = SYNC_REEVALUATE_LIMIT + 1
    count = Account.objects.all()[:limit].count() + Contact.objects.all()[:limit].count()
    if count <= SYNC_REEVALUATE_LIMIT:
        territories_reevaluate(actor=actor)
        return
    from sambandh.sales.tasks import territories_reevaluate_task

    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: territories_reevaluate_task(actor_id))
