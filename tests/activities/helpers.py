"""Test data for activities. Activities go through the real services; deals, their stage
changes and orders are written directly, so these tests do not depend on the sales services
being built at the same time (they only read those tables)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sambandh.activities import services
from sambandh.activities.models import Activity
from sambandh.contacts.models import Account, Contact
from sambandh.core.models import User
from sambandh.sales.models import Deal, DealContact, DealStageChange, Order, Pipeline, Stage

_seq = itertools.count(1)
UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_task(actor: User, **data: Any) -> Activity:
    data.setdefault("subject", f"Task {next(_seq)}")
    return services.task_create(actor=actor, data=data)


def make_call(actor: User, **data: Any) -> Activity:
    data.setdefault("subject", f"Call {next(_seq)}")
    return services.call_log(actor=actor, data=data)


def make_meeting(actor: User, **data: Any) -> Activity:
    data.setdefault("subject", f"Meeting {next(_seq)}")
    data.setdefault("time_zone", "Asia/Kolkata")
    data.setdefault("starts_at", "2030-01-15T10:00:00")
    data.setdefault("ends_at", "2030-01-15T11:00:00")
    return services.meeting_schedule(actor=actor, data=data)


def stages() -> list[Stage]:
    pipeline = Pipeline.objects.get(is_default=True)
    return list(pipeline.stages.order_by("position"))


def make_deal(
    owner: User,
    *,
    account: Account | None = None,
    contacts: list[Contact] = (),  # type: ignore[assignment]
    team_id: int | None = None,
    name: str = "",
) -> Deal:
    first = stages()[0]
    deal = Deal.objects.create(
        name=name or f"Deal {next(_seq)}",
        pipeline=first.pipeline,
        stage=first,
        account=account,
        owner=owner,
        team_id=team_id,
        amount=Decimal("1000.00"),
        currency="INR",
        created_by=owner,
    )
    for contact in contacts:
        DealContact.objects.create(deal=deal, contact=contact)
    return deal


def move(deal: Deal, to: Stage, when: dt.datetime, by: User | None = None) -> DealStageChange:
    change = DealStageChange.objects.create(
        deal=deal, from_stage=deal.stage, to_stage=to, changed_at=when, changed_by=by
    )
    deal.stage = to
    deal.save(update_fields=["stage"])
    return change


def make_order(
    owner: User,
    *,
    contact: Contact | None = None,
    account: Account | None = None,
    deal: Deal | None = None,
    on: dt.date = dt.date(2030, 1, 1),
    total: str = "500.00",
) -> Order:
    return Order.objects.create(
        number=f"ORD-{next(_seq):05d}",
        contact=contact,
        account=account,
        deal=deal,
        ordered_on=on,
        owner=owner,
        currency="INR",
        subtotal=Decimal(total),
        total=Decimal(total),
        created_by=owner,
    )
