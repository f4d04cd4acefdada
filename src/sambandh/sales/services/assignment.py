"""Assignment rules: who owns a new lead.

Active rules are tried in ``position`` order; the first whose conditions match the contact
and whose strategy finds someone assigns it:

- ``round_robin``: the team's active members in turn (by id), after ``last_assigned``. The
  rule row is locked (``select_for_update``) while the pointer moves, so two leads arriving
  at once never go to the same person by accident.
- ``territory``: the contact's territory's default owner (and team).
- ``lowest_load``: the team's active member with the fewest open leads plus open deals
  (ties: the lowest id). The rule row is locked here too, so concurrent picks see each other.

Conditions are a dict of field -> value or list of values (``{"country": ["IN", "NP"],
"source": "web"}``), compared without case; the fields are the scoring rules' fields.
The contact records the rule that assigned it (``assigned_by_rule``) and the audit entry
says so.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from sambandh.contacts.models import Contact
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType, User
from sambandh.core.records import apply_values, record_change
from sambandh.notifications.services import assignment_notify
from sambandh.sales.models import AssignmentRule, AssignmentStrategy, Deal
from sambandh.sales.services.scoring import ATTRIBUTE_FIELDS, _attribute
from sambandh.sales.services.territories import (
    clean_name,
    clean_position,
    clean_team_id,
    clean_values,
    settings_create,
    settings_delete,
    settings_update,
)

ASSIGNMENT_FIELDS = ("name", "position", "strategy", "team_id", "conditions", "is_active")
# Lifecycle stages in which a contact counts as an open lead for "lowest open load".
OPEN_LEAD_STAGES = ("lead", "marketing_qualified", "sales_qualified")
MAX_CONDITIONS = 20
MAX_CONDITION_VALUES = 100


def _strategy(value: Any) -> str:
    text = validation.clean_text(value, max_length=20, required=True)
    if text not in AssignmentStrategy.values:
        raise ValueError(_("Choose one of the offered values."))
    return text


def _conditions(value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or len(value) > MAX_CONDITIONS:
        raise ValueError(
            _("Enter an object of at most %(n)d field conditions.") % {"n": MAX_CONDITIONS}
        )
    out: dict[str, Any] = {}
    for name, expected in value.items():
        if name not in ATTRIBUTE_FIELDS and name != "territory_id":
            raise ValueError(_("Unknown field: %(name)s") % {"name": name})
        values = expected if isinstance(expected, list) else [expected]
        if not values or len(values) > MAX_CONDITION_VALUES:
            raise ValueError(_("Enter between 1 and %(n)d values.") % {"n": MAX_CONDITION_VALUES})
        cleaned = []
        for item in values:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise ValueError(_("Enter text or whole numbers."))
            cleaned.append(validation.clean_text(str(item), max_length=200, required=True))
        out[name] = cleaned if isinstance(expected, list) else cleaned[0]
    return out


def _cleaners() -> dict[str, Any]:
    return {
        "name": clean_name,
        "position": clean_position,
        "strategy": _strategy,
        "team_id": clean_team_id,
        "conditions": _conditions,
        "is_active": validation.clean_bool,
    }


def _validate(rule: AssignmentRule) -> None:
    needs_team = rule.strategy in (AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.LOWEST_LOAD)
    if needs_team and rule.team_id is None:
        raise ValidationError({"team_id": [_("This strategy needs a team.")]})


def assignment_rule_create(*, actor: User, data: dict[str, Any]) -> AssignmentRule:
    """Create an assignment rule."""
    values = clean_values(data, ASSIGNMENT_FIELDS, _cleaners())
    missing = [n for n in ("name", "strategy") if n not in values]
    if missing:
        raise ValidationError({n: [_("This field is required.")] for n in missing})
    return settings_create(
        actor=actor,
        model=AssignmentRule,
        object_type=ObjectType.LEAD_RULE,
        values=values,
        event="assignment_rule.created",
        validate=_validate,
    )


def assignment_rule_update(
    *, actor: User, rule: AssignmentRule, data: dict[str, Any], version: int | None
) -> AssignmentRule:
    """Change an assignment rule (409 on a stale version)."""
    values = clean_values(data, ASSIGNMENT_FIELDS, _cleaners())
    rule, _changes = settings_update(
        actor=actor,
        obj=rule,
        object_type=ObjectType.LEAD_RULE,
        values=values,
        version=version,
        event="assignment_rule.updated",
        validate=_validate,
    )
    return rule


def assignment_rule_delete(*, actor: User, rule: AssignmentRule) -> None:
    """Delete an assignment rule; contacts it assigned keep their owner."""
    settings_delete(
        actor=actor, obj=rule, object_type=ObjectType.LEAD_RULE, event="assignment_rule.deleted"
    )


# ---------------------------------------------------------------- assigning


def conditions_match(rule: AssignmentRule, contact: Contact) -> bool:
    for name, expected in (rule.conditions or {}).items():
        if name == "territory_id":
            actual: Any = contact.territory_id
        else:
            actual = _attribute(contact, name)
        wanted = expected if isinstance(expected, list) else [expected]
        text = "" if actual is None else str(actual).casefold()
        if text not in {str(w).casefold() for w in wanted}:
            return False
    return True


def _members(team_id: int) -> list[int]:
    return list(
        User.objects.filter(teams__id=team_id, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _round_robin(rule: AssignmentRule) -> tuple[int | None, int | None]:
    members = _members(rule.team_id) if rule.team_id else []
    if not members:
        return None, None
    last = rule.last_assigned_id
    following = [m for m in members if last is not None and m > last]
    chosen = following[0] if following else members[0]
    AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned_id=chosen)
    rule.last_assigned_id = chosen
    return chosen, rule.team_id


def open_loads(user_ids: list[int]) -> dict[int, int]:
    """Open leads (contacts in a lead stage) plus open deals owned, per user."""
    loads = dict.fromkeys(user_ids, 0)
    leads = (
        Contact.objects.filter(owner_id__in=user_ids, lifecycle_stage__key__in=OPEN_LEAD_STAGES)
        .values("owner_id")
        .annotate(n=models.Count("id"))
    )
    deals = (
        Deal.objects.filter(owner_id__in=user_ids, stage__is_won=False, stage__is_lost=False)
        .values("owner_id")
        .annotate(n=models.Count("id"))
    )
    for row in [*leads, *deals]:
        loads[row["owner_id"]] += row["n"]
    return loads


def _lowest_load(rule: AssignmentRule) -> tuple[int | None, int | None]:
    members = _members(rule.team_id) if rule.team_id else []
    if not members:
        return None, None
    loads = open_loads(members)
    chosen = min(members, key=lambda m: (loads[m], m))
    return chosen, rule.team_id


def _by_territory(contact: Contact) -> tuple[int | None, int | None]:
    territory = contact.territory if contact.territory_id else None
    if territory is None or territory.default_owner_id is None:
        return None, None
    return territory.default_owner_id, territory.team_id


def lead_assign(*, actor: User | None, contact: Contact) -> AssignmentRule | None:
    """Give ``contact`` an owner by the first matching active rule; returns that rule.

    Called by the capture services after the contact is written (they checked permissions);
    ``actor`` is who caused it (None for a public web form) and appears in the audit entry.
    """
    with transaction.atomic():
        for rule in AssignmentRule.objects.filter(is_active=True).order_by("position", "id"):
            if not conditions_match(rule, contact):
                continue
            if rule.strategy == AssignmentStrategy.TERRITORY:
                owner_id, team_id = _by_territory(contact)
            else:
                # Serialise picks of this rule: the pointer and the loads are read under lock.
                rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
                if rule.strategy == AssignmentStrategy.ROUND_ROBIN:
                    owner_id, team_id = _round_robin(rule)
                else:
                    owner_id, team_id = _lowest_load(rule)
            if owner_id is None:
                continue
            values: dict[str, Any] = {"owner_id": owner_id, "assigned_by_rule_id": rule.pk}
            if team_id is not None:
                values["team_id"] = team_id
            changes = apply_values(contact, values)
            contact.version += 1
            contact.save(update_fields=[*sorted(changes), "version"])
            record_change(
                actor=actor,
                action="assign",
                object_type=ObjectType.CONTACT,
                obj=contact,
                changes={**changes, "rule": [None, rule.name]},
                event="contact.assigned",
                payload={"id": contact.pk, "owner_id": owner_id, "rule_id": rule.pk},
            )
            if "owner_id" in changes:
                assignment_notify(
                    actor=actor,
                    obj=contact,
                    object_type=ObjectType.CONTACT,
                    previous_owner_id=changes["owner_id"][0],
                    rule=rule.name,
                )
            return rule
    return None
