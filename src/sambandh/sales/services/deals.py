"""Every write to deals: create, change, move between stages, delete, the people on a deal and
its line items. Each checks permissions, validates, writes in one transaction and leaves an
audit entry and a domain event (``deal.created``, ``deal.updated``, ``deal.stage_changed``,
``deal.won``, ``deal.lost``, ``deal.deleted``).

Pipelines and stages are configuration, changed by administrators in the (audited) admin.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.contacts.services.cleaning import (
    MAX_AMOUNT,
    _check_assignment,
    _check_assignment_create,
    _first_team,
    _team_id,
    _user_id,
)
from sambandh.core import validation
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.events import event_emit
from sambandh.core.models import Action, ObjectType, OrganisationSettings, User
from sambandh.core.permissions import require, visible
from sambandh.core.records import (
    apply_values,
    jsonable,
    lock_for_update,
    raise_if,
    record_change,
    reject_unknown,
    save_changed,
)
from sambandh.notifications.services import assignment_notify
from sambandh.sales.models import (
    Deal,
    DealContact,
    DealContactRole,
    DealLineItem,
    DealStageChange,
    ForecastCategory,
    Pipeline,
    Product,
    Stage,
    Territory,
)
from sambandh.sales.services.orders import order_create_from_deal

# What ``deal_create`` and ``deal_update`` accept. ``contacts`` and ``line_items`` only on
# create (later through ``deal_set_contacts`` and ``deal_line_items_set``).
DEAL_FIELDS = (
    "name",
    "pipeline_id",
    "stage_id",
    "account_id",
    "owner_id",
    "team_id",
    "amount",
    "currency",
    "expected_close_on",
    "probability",
    "is_probability_manual",
    "forecast_category",
    "source",
    "next_step",
    "next_step_on",
    "lost_reason",
    "territory_id",
)
CREATE_ONLY = ("contacts", "line_items")
MAX_CONTACTS = 50
MAX_LINE_ITEMS = 200
MAX_QUANTITY = Decimal("9999999999.99")


# ---------------------------------------------------------------- cleaning


def _id(value: Any, message: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(message)
    number = int(value)
    if number > 2**63 - 1:
        raise ValueError(message)
    return number


def _probability(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter a whole number from 0 to 100."))
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValueError(_("Enter a whole number from 0 to 100.")) from exc
    if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise ValueError(_("Enter a whole number from 0 to 100."))
    return int(number)


def _choice(choices: list[str], message: str) -> Any:
    def clean(value: Any) -> str:
        text = validation.clean_text(value, max_length=40)
        if text not in choices:
            raise ValueError(message)
        return text

    return clean


def _cleaners() -> dict[str, Any]:
    return {
        "name": lambda v: validation.clean_text(v, max_length=200, required=True),
        "pipeline_id": lambda v: _id(v, _("Choose a pipeline.")),
        "stage_id": lambda v: _id(v, _("Choose a stage of this pipeline.")),
        "account_id": lambda v: _id(v, _("Choose an existing company.")),
        "owner_id": _user_id,
        "team_id": _team_id,
        "amount": lambda v: validation.clean_decimal(v, min_value=Decimal(0), max_value=MAX_AMOUNT),
        "currency": lambda v: validation.clean_currency(v, required=True),
        "expected_close_on": validation.clean_date,
        "probability": _probability,
        "is_probability_manual": validation.clean_bool,
        "forecast_category": _choice(
            list(ForecastCategory.values), _("Choose one of the offered values.")
        ),
        "source": lambda v: validation.clean_text(v, max_length=60),
        "next_step": lambda v: validation.clean_text(v, max_length=200),
        "next_step_on": validation.clean_date,
        "lost_reason": lambda v: validation.clean_text(v, max_length=2000),
        "territory_id": lambda v: _id(v, _("Choose an existing territory.")),
    }


def _clean_fields(data: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """Clean every field given; all errors at once. Relations are checked afterwards."""
    if not isinstance(data, dict):
        raise ValidationError({"": [_("Enter an object.")]})
    reject_unknown(data, allowed)
    cleaners = _cleaners()
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name in CREATE_ONLY:
            continue
        try:
            values[name] = cleaners[name](raw)
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
    if "amount" in values and values["amount"] is None:
        values["amount"] = Decimal(0)
    raise_if(errors)
    return values


def _visible_account(actor: User, account_id: int | None) -> None:
    """A company the actor cannot see does not exist for them."""
    if account_id is not None and not visible(actor, Account).filter(pk=account_id).exists():
        raise NotFound(_("That company was not found."))


def _resolve_stage(
    values: dict[str, Any], current: Deal | None, errors: dict[str, list[str]]
) -> tuple[Pipeline | None, Stage | None]:
    """The pipeline and stage the deal ends up in; the stage must belong to the pipeline."""
    pipeline: Pipeline | None = current.pipeline if current is not None else None
    if "pipeline_id" in values or current is None:
        pid = values.get("pipeline_id")
        if pid is None:
            pipeline = (
                Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id")
            ).first()
        else:
            pipeline = Pipeline.objects.filter(pk=pid, is_active=True).first()
        if pipeline is None:
            errors["pipeline_id"] = [_("Choose a pipeline.")]
            return None, None
    assert pipeline is not None  # noqa: S101 - set above for creates, from the deal otherwise
    stage: Stage | None = current.stage if current is not None else None
    pipeline_changed = current is not None and pipeline.pk != current.pipeline_id
    if "stage_id" in values and values["stage_id"] is not None:
        stage = Stage.objects.filter(pk=values["stage_id"], pipeline=pipeline).first()
        if stage is None:
            errors["stage_id"] = [_("Choose a stage of this pipeline.")]
    elif current is None:
        stage = (
            Stage.objects.filter(pipeline=pipeline, is_won=False, is_lost=False)
            .order_by("position", "id")
            .first()
        )
        if stage is None:
            errors["stage_id"] = [_("Choose a stage of this pipeline.")]
    elif pipeline_changed or "stage_id" in values:
        errors["stage_id"] = [_("Choose a stage of this pipeline.")]
    values.pop("pipeline_id", None)
    values.pop("stage_id", None)
    return pipeline, stage


def _clean_contacts(actor: User, raw: Any) -> list[tuple[int, str]]:
    """``[{"contact_id": 1, "role": "champion"}, ...]``: visible contacts, known roles."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_CONTACTS:
        raise ValidationError(
            {"contacts": [_("Enter a list of at most %(n)d contacts.") % {"n": MAX_CONTACTS}]}
        )
    pairs: list[tuple[int, str]] = []
    seen: set[int] = set()
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"contact_id", "role"}:
            raise ValidationError({"contacts": [_("Each contact needs a contact_id and a role.")]})
        try:
            contact_id = _id(item.get("contact_id"), _("Choose an existing contact."))
            role = validation.clean_text(item.get("role") or DealContactRole.OTHER, max_length=40)
        except ValueError as exc:
            raise ValidationError({"contacts": [str(exc)]}) from exc
        if contact_id is None:
            raise ValidationError({"contacts": [_("Choose an existing contact.")]})
        if role not in DealContactRole.values:
            raise ValidationError({"contacts": [_("Choose one of the offered roles.")]})
        if contact_id in seen:
            raise ValidationError({"contacts": [_("Each contact may appear once.")]})
        seen.add(contact_id)
        pairs.append((contact_id, role))
    if seen:
        found = set(visible(actor, Contact).filter(pk__in=seen).values_list("id", flat=True))
        if found != seen:
            raise NotFound(_("That contact was not found."))
    return pairs


def _percent(value: Any) -> Decimal | None:
    return validation.clean_decimal(value, min_value=Decimal(0), max_value=Decimal(100))


def _clean_line_items(actor: User, raw: Any) -> list[DealLineItem]:
    """Unsaved line items from ``[{"product_id", "description", "quantity", "unit_price",
    "discount_percent", "tax_rate"}, ...]``; errors are filed as ``line_items.<n>.<field>``."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_LINE_ITEMS:
        raise ValidationError(
            {"line_items": [_("Enter a list of at most %(n)d lines.") % {"n": MAX_LINE_ITEMS}]}
        )
    allowed = {
        "product_id",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
    }
    errors: dict[str, list[str]] = {}
    items: list[DealLineItem] = []
    product_ids: dict[int, list[int]] = {}
    for n, item in enumerate(raw):
        prefix = f"line_items.{n}."
        if not isinstance(item, dict):
            errors[f"line_items.{n}"] = [_("Enter an object.")]
            continue
        for key in sorted(set(item) - allowed):
            errors[prefix + key] = [_("Unknown field.")]
        line = DealLineItem(position=n)
        cleaners: dict[str, Any] = {
            "product_id": lambda v: _id(v, _("Choose an active product.")),
            "description": lambda v: validation.clean_text(v, max_length=300),
            "quantity": lambda v: validation.clean_decimal(
                v, min_value=Decimal("0.01"), max_value=MAX_QUANTITY
            ),
            "unit_price": lambda v: validation.clean_decimal(
                v, min_value=Decimal(0), max_value=MAX_AMOUNT
            ),
            "discount_percent": _percent,
            "tax_rate": _percent,
        }
        for key, cleaner in cleaners.items():
            try:
                value = cleaner(item.get(key))
            except ValueError as exc:
                errors[prefix + key] = [str(exc)]
                continue
            if key == "product_id":
                line.product_id = value
                if value is not None:
                    product_ids.setdefault(value, []).append(n)
            elif key == "description":
                line.description = value
            elif value is not None:
                setattr(line, key, value)
            elif key == "unit_price":
                errors[prefix + key] = [_("This field is required.")]
        if not line.description and line.product_id is None and prefix + "product_id" not in errors:
            errors[prefix + "description"] = [_("Choose a product or enter a description.")]
        items.append(line)
    if product_ids:
        active = set(
            visible(actor, Product)
            .filter(pk__in=product_ids, is_active=True)
            .values_list("id", flat=True)
        )
        for pid, positions in product_ids.items():
            if pid not in active:
                for n in positions:
                    errors[f"line_items.{n}.product_id"] = [_("Choose an active product.")]
    raise_if(errors)
    return items


def _line_snapshot(items: list[DealLineItem]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": i.product_id,
            "description": i.description,
            "quantity": jsonable(Decimal(i.quantity)),
            "unit_price": jsonable(Decimal(i.unit_price)),
            "discount_percent": jsonable(Decimal(i.discount_percent)),
            "tax_rate": jsonable(Decimal(i.tax_rate)),
        }
        for i in items
    ]


def _check_territory(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    tid = values.get("territory_id")
    if tid is not None and not Territory.objects.filter(pk=tid).exists():
        errors["territory_id"] = [_("Choose an existing territory.")]


def _closing_values(
    stage: Stage, deal: Deal, lost_reason: str | None, today: dt.date
) -> dict[str, Any]:
    """Fields that follow from entering ``stage``: closed date, forecast category, lost reason."""
    values: dict[str, Any] = {}
    if stage.is_closed:
        if deal.closed_on is None or not deal.stage.is_closed:
            values["closed_on"] = today
        values["forecast_category"] = ForecastCategory.CLOSED
    else:
        values["closed_on"] = None
        if deal.forecast_category == ForecastCategory.CLOSED:
            values["forecast_category"] = ForecastCategory.PIPELINE
    if stage.is_lost:
        values["lost_reason"] = lost_reason or deal.lost_reason
    else:
        values["lost_reason"] = ""
    return values


def _require_lost_reason(stage: Stage, reason: str) -> None:
    if stage.is_lost and not reason.strip():
        raise ValidationError({"lost_reason": [_("Say why the deal was lost.")]})


def _win_side_effects(actor: User, deal: Deal) -> None:
    """A won deal becomes an order (purchase history), in the same transaction."""
    order_create_from_deal(actor=actor, deal=deal)


def _emit_closing(actor: User, deal: Deal, old_stage: Stage | None) -> None:
    stage = deal.stage
    payload = {
        "id": deal.pk,
        "pipeline_id": deal.pipeline_id,
        "from_stage_id": old_stage.pk if old_stage is not None else None,
        "to_stage_id": stage.pk,
        "amount": str(deal.amount),
        "currency": deal.currency,
    }
    if old_stage is not None:
        event_emit(
            name="deal.stage_changed",
            actor=actor,
            object_type=ObjectType.DEAL,
            object_id=deal.pk,
            payload=payload,
        )
    was_won = old_stage is not None and old_stage.is_won
    was_lost = old_stage is not None and old_stage.is_lost
    if stage.is_won and not was_won:
        event_emit(
            name="deal.won", actor=actor, object_type=ObjectType.DEAL, object_id=deal.pk,
            payload=payload,
        )  # fmt: skip
        _win_side_effects(actor, deal)
    if stage.is_lost and not was_lost:
        event_emit(
            name="deal.lost",
            actor=actor,
            object_type=ObjectType.DEAL,
            object_id=deal.pk,
            payload={**payload, "lost_reason": deal.lost_reason},
        )


# ---------------------------------------------------------------- deals


def deal_create(*, actor: User, data: dict[str, Any]) -> Deal:
    """Create a deal owned by ``actor`` (unless another owner is given and allowed).

    Defaults: the default pipeline, its first open stage, the stage's probability, the base
    currency. ``contacts`` (``[{"contact_id", "role"}]``) and ``line_items`` may come along.
    """
    require(actor, ObjectType.DEAL, Action.CREATE)
    values = _clean_fields(data, (*DEAL_FIELDS, *CREATE_ONLY))
    errors: dict[str, list[str]] = {}
    if not values.get("name"):
        errors["name"] = [_("This field is required.")]
    pipeline, stage = _resolve_stage(values, None, errors)
    _check_territory(values, errors)
    raise_if(errors)
    assert pipeline is not None and stage is not None  # noqa: S101 - errors raised above
    contacts = _clean_contacts(actor, data.get("contacts"))
    line_items = _clean_line_items(actor, data.get("line_items"))
    _visible_account(actor, values.get("account_id"))
    _check_assignment_create(actor, values, ObjectType.DEAL)
    values.setdefault("owner_id", actor.pk)
    if "team_id" not in values:
        values["team_id"] = _first_team(actor)
    if not values.get("currency"):
        values["currency"] = OrganisationSettings.get().base_currency
    manual = values.pop("is_probability_manual", None)
    if values.get("probability") is not None and manual is not False:
        values["is_probability_manual"] = True
    else:
        values["probability"] = stage.probability
        values["is_probability_manual"] = False
    _require_lost_reason(stage, values.get("lost_reason") or "")
    if not stage.is_lost:
        values.pop("lost_reason", None)
    now = timezone.now()
    with transaction.atomic():
        deal = Deal(created_by=actor, pipeline=pipeline, stage=stage, stage_entered_at=now)
        for name, value in values.items():
            setattr(deal, name, value)
        if stage.is_closed:
            deal.closed_on = timezone.localdate(now)
            deal.forecast_category = ForecastCategory.CLOSED
        deal.save()
        DealStageChange.objects.create(
            deal=deal, from_stage=None, to_stage=stage, changed_at=now, changed_by=actor
        )
        if contacts:
            DealContact.objects.bulk_create(
                DealContact(deal=deal, contact_id=cid, role=role) for cid, role in contacts
            )
        if line_items:
            for line in line_items:
                line.deal = deal
            DealLineItem.objects.bulk_create(line_items)
        changes: dict[str, Any] = {
            k: [None, jsonable(v)] for k, v in values.items() if v not in (None, "", [], {})
        }
        changes["pipeline_id"] = [None, pipeline.pk]
        changes["stage_id"] = [None, stage.pk]
        if contacts:
            changes["contacts"] = [None, [[c, r] for c, r in contacts]]
        if line_items:
            changes["line_items"] = [None, _line_snapshot(line_items)]
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.DEAL,
            obj=deal,
            changes=changes,
            event="deal.created",
        )
        assignment_notify(
            actor=actor, obj=deal, object_type=ObjectType.DEAL, previous_owner_id=None
        )
        if stage.is_closed:
            _emit_closing(actor, deal, None)
    return deal


def deal_update(*, actor: User, deal: Deal, data: dict[str, Any], version: int | None) -> Deal:
    """Change the given fields. ``version`` must match the stored one (else 409).

    A new ``stage_id`` moves the deal as ``deal_move_stage`` does (history, events). Setting
    ``probability`` marks it as set by hand; ``probability: null`` or
    ``is_probability_manual: false`` returns to the stage's default.
    """
    require(actor, ObjectType.DEAL, Action.UPDATE, deal)
    values = _clean_fields(data, DEAL_FIELDS)
    if "name" in values and not values["name"]:
        raise ValidationError({"name": [_("This field is required.")]})
    if "currency" in values and not values["currency"]:
        raise ValidationError({"currency": [_("This field is required.")]})
    errors: dict[str, list[str]] = {}
    pipeline, stage = _resolve_stage(values, deal, errors)
    _check_territory(values, errors)
    raise_if(errors)
    assert pipeline is not None and stage is not None  # noqa: S101 - errors raised above
    if "account_id" in values:
        _visible_account(actor, values["account_id"])
    _check_assignment(actor, values, deal)
    with transaction.atomic():
        deal = lock_for_update(Deal, deal.pk, version=version)
        old_stage = deal.stage
        stage_changed = stage.pk != old_stage.pk
        _probability_values(values, deal, stage)
        reason = values.pop("lost_reason", None)
        now = timezone.now()
        if stage_changed:
            _require_lost_reason(stage, reason if reason is not None else deal.lost_reason)
            closing = _closing_values(stage, deal, reason, timezone.localdate(now))
            values = {**closing, **values, "pipeline_id": pipeline.pk, "stage_id": stage.pk}
        elif reason is not None:
            if stage.is_lost:
                _require_lost_reason(stage, reason)
                values["lost_reason"] = reason
            elif reason:
                raise ValidationError({"lost_reason": [_("Only a lost deal has a lost reason.")]})
        changes = apply_values(deal, values)
        if stage_changed:
            deal.stage, deal.pipeline = stage, pipeline
            deal.stage_entered_at = now
            _write_stage_change(actor, deal, old_stage, now)
        if changes:
            extra = ("stage_entered_at",) if stage_changed else ()
            save_changed(deal, changes, extra_fields=extra)
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.DEAL,
                obj=deal,
                changes=changes,
                event="deal.updated",
            )
            if "owner_id" in changes:
                assignment_notify(
                    actor=actor,
                    obj=deal,
                    object_type=ObjectType.DEAL,
                    previous_owner_id=changes["owner_id"][0],
                )
        if stage_changed:
            _emit_closing(actor, deal, old_stage)
    return deal


def _probability_values(values: dict[str, Any], deal: Deal, stage: Stage) -> None:
    """A given probability is set by hand; none (or ``is_probability_manual: false``) follows
    the stage's default, also after a move."""
    manual = values.pop("is_probability_manual", None)
    new_manual = deal.is_probability_manual
    if "probability" in values:
        new_manual = values["probability"] is not None
    if manual is not None:
        new_manual = manual
    values["is_probability_manual"] = new_manual
    if not new_manual:
        values["probability"] = stage.probability
    elif values.get("probability") is None:
        values["probability"] = deal.probability


def _write_stage_change(actor: User, deal: Deal, old_stage: Stage, now: dt.datetime) -> None:
    entered = DealStageChange.objects.filter(deal=deal).order_by("-changed_at", "-id").first()
    since = entered.changed_at if entered is not None else deal.created_at
    seconds = max(0, int((now - since).total_seconds()))
    DealStageChange.objects.create(
        deal=deal,
        from_stage=old_stage,
        to_stage=deal.stage,
        changed_at=now,
        changed_by=actor,
        seconds_in_from_stage=seconds,
    )


def deal_move_stage(
    *,
    actor: User,
    deal: Deal,
    stage: Stage | int,
    version: int | None,
    lost_reason: str | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline (the board's drag and drop).

    Writes a stage change with the seconds spent in the previous stage; a lost stage needs
    ``lost_reason``; won and lost set ``closed_on`` (cleared on reopening); a win creates the
    order. Emits ``deal.stage_changed`` and, when closing, ``deal.won`` or ``deal.lost``.
    """
    stage_id = stage.pk if isinstance(stage, Stage) else stage
    data: dict[str, Any] = {"stage_id": stage_id}
    if lost_reason is not None:
        data["lost_reason"] = lost_reason
    return deal_update(actor=actor, deal=deal, data=data, version=version)


def deal_delete(*, actor: User, deal: Deal) -> None:
    """Delete a deal with its contacts, lines and history; the audit entry keeps what it was."""
    require(actor, ObjectType.DEAL, Action.DELETE, deal)
    with transaction.atomic():
        snapshot = {
            "name": deal.name,
            "pipeline_id": deal.pipeline_id,
            "stage_id": deal.stage_id,
            "amount": str(deal.amount),
            "currency": deal.currency,
            "account_id": deal.account_id,
            "owner_id": deal.owner_id,
        }
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.DEAL,
            obj=deal,
            changes={k: [v, None] for k, v in snapshot.items() if v not in (None, "")},
            event="deal.deleted",
            payload={"id": deal.pk},
        )
        deal.delete()


def deal_set_contacts(*, actor: User, deal: Deal, contacts: Any, version: int | None) -> Deal:
    """Replace the people on a deal: ``[{"contact_id": 1, "role": "decision_maker"}, ...]``.

    Each contact must be visible to the actor (else NotFound). Bumps the deal's version.
    """
    require(actor, ObjectType.DEAL, Action.UPDATE, deal)
    pairs = _clean_contacts(actor, contacts)
    with transaction.atomic():
        deal = lock_for_update(Deal, deal.pk, version=version)
        before = sorted(
            [c, r]
            for c, r in DealContact.objects.filter(deal=deal).values_list("contact_id", "role")
        )
        after = sorted([c, r] for c, r in pairs)
        if before != after:
            DealContact.objects.filter(deal=deal).delete()
            DealContact.objects.bulk_create(
                DealContact(deal=deal, contact_id=cid, role=role) for cid, role in pairs
            )
            changes = {"contacts": [before, after]}
            save_changed(deal, {})
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.DEAL,
                obj=deal,
                changes=changes,
                event="deal.updated",
            )
    return deal


def deal_line_items_set(*, actor: User, deal: Deal, items: Any, version: int | None) -> Deal:
    """Replace a deal's line items (in the given order). Bumps the deal's version.

    Each line: ``product_id`` (an active product) or ``description``, ``quantity`` > 0,
    ``unit_price`` >= 0, ``discount_percent`` and ``tax_rate`` from 0 to 100.
    """
    require(actor, ObjectType.DEAL, Action.UPDATE, deal)
    lines = _clean_line_items(actor, items)
    with transaction.atomic():
        deal = lock_for_update(Deal, deal.pk, version=version)
        before = _line_snapshot(
            list(DealLineItem.objects.filter(deal=deal).order_by("position", "id"))
        )
        after = _line_snapshot(lines)
        if before != after:
            DealLineItem.objects.filter(deal=deal).delete()
            for line in lines:
                line.deal = deal
            DealLineItem.objects.bulk_create(lines)
            save_changed(deal, {})
            record_change(
                actor=actor,
                action="update",
                object_type=ObjectType.DEAL,
                obj=deal,
                changes={"line_items": [before, after]},
                event="deal.updated",
            )
    return deal
