"""Every read of pipelines and deals, scoped by the actor's grants: lists, one deal with its
contacts, lines and stage history, and the board (bounded queries whatever its size)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.contacts.models import Contact
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.filtering import apply_filters
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.money import base_amount, base_currency, conversion_rate, round_money
from sambandh.core.pagination import Page, SortKey, encode_cursor, paginate
from sambandh.core.permissions import get_visible, visible
from sambandh.sales.models import (
    Deal,
    DealContact,
    DealLineItem,
    DealStageChange,
    Pipeline,
    Stage,
)

DEAL_SORTS = {
    "name": SortKey("name", ("name", "id")),
    "expected_close_on": SortKey("expected_close_on", ("expected_close_on", "id")),
    "updated_at": SortKey("updated_at", ("updated_at", "id")),
    "id": SortKey("id", ("id",)),
}
# Public filter name -> model field path. Each has an index (see models/deals.py).
DEAL_FILTERS = {
    "pipeline_id": "pipeline",
    "stage_id": "stage",
    "owner_id": "owner",
    "team_id": "team",
    "account_id": "account",
    "territory_id": "territory",
    "expected_close_on": "expected_close_on",
    "closed_on": "closed_on",
    "updated_at": "updated_at",
    "id": "id",
}
STATUSES = ("open", "won", "lost")
BOARD_CARDS = 50
MAX_Q = 200


def _limit(limit: int | None) -> int:
    max_limit: int = settings.SAMBANDH_API_PAGE_MAX
    if limit is None:
        return 50
    if limit < 1 or limit > max_limit:
        raise ValidationError({"limit": [_("Enter a number from 1 to %(n)d.") % {"n": max_limit}]})
    return limit


def _int(value: str, name: str) -> int:
    if not value.isdigit() or int(value) > 2**63 - 1:
        raise ValidationError({name: [_("Enter a valid value.")]})
    return int(value)


# ---------------------------------------------------------------- pipelines


def pipeline_list(*, actor: User) -> list[Pipeline]:
    """Active pipelines the actor may see, each with its stages (two queries)."""
    return list(
        visible(actor, Pipeline)
        .filter(is_active=True)
        .prefetch_related(models.Prefetch("stages", Stage.objects.order_by("position", "id")))
        .order_by("position", "id")
    )


def pipeline_get(*, actor: User, pk: Any) -> Pipeline:
    """One pipeline (active or not) with its stages."""
    try:
        pipeline: Pipeline = (
            visible(actor, Pipeline)
            .prefetch_related(models.Prefetch("stages", Stage.objects.order_by("position", "id")))
            .get(pk=pk)
        )
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    return pipeline


def default_pipeline(*, actor: User) -> Pipeline:
    pipeline = (
        visible(actor, Pipeline).filter(is_active=True).order_by("-is_default", "position", "id")
    ).first()
    if pipeline is None:
        raise NotFound()
    return pipeline


# ---------------------------------------------------------------- deals


def deal_queryset(actor: User, action: str = Action.READ) -> models.QuerySet[Deal]:
    return visible(actor, Deal, action).select_related(
        "pipeline", "stage", "account", "owner", "team"
    )


def _status_filter(qs: models.QuerySet[Deal], status: str) -> models.QuerySet[Deal]:
    if status not in STATUSES:
        raise ValidationError({"status": [_("Choose one of: open, won, lost.")]})
    if status == "won":
        return qs.filter(stage__is_won=True)
    if status == "lost":
        return qs.filter(stage__is_lost=True)
    return qs.filter(stage__is_won=False, stage__is_lost=False)


def _close_month(value: str) -> tuple[dt.date, dt.date]:
    """``2026-03`` -> (2026-03-01, 2026-03-31)."""
    try:
        year, month = (int(p) for p in value.split("-"))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise ValidationError({"close_month": [_("Enter a month as YYYY-MM.")]}) from exc
    if first.year < 1900:
        raise ValidationError({"close_month": [_("Enter a month as YYYY-MM.")]})
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def filter_deals(
    qs: models.QuerySet[Deal], *, actor: User, filters: Mapping[str, str]
) -> models.QuerySet[Deal]:
    """Declared field filters plus ``contact_id``, ``status`` (open/won/lost), ``close_month``
    (YYYY-MM on the expected close date) and ``q`` (name contains)."""
    filters = dict(filters)
    contact = filters.pop("contact_id", "").strip()
    status = filters.pop("status", "").strip()
    month = filters.pop("close_month", "").strip()
    q = filters.pop("q", "").strip()
    qs = apply_filters(
        qs, actor=actor, object_type=ObjectType.DEAL, filters=filters, fields=DEAL_FILTERS
    )
    if contact:
        contact_id = _int(contact, "contact_id")
        qs = qs.filter(pk__in=DealContact.objects.filter(contact_id=contact_id).values("deal_id"))
    if status:
        qs = _status_filter(qs, status)
    if month:
        first, last = _close_month(month)
        qs = qs.filter(expected_close_on__gte=first, expected_close_on__lte=last)
    if q:
        if "\x00" in q or len(q) > MAX_Q:
            raise ValidationError({"q": [_("Enter a valid value.")]})
        qs = qs.filter(name__icontains=q)
    return qs


def _sort(sort: str | None) -> tuple[SortKey, bool]:
    raw = sort or "-updated_at"
    descending = raw.startswith("-")
    key = DEAL_SORTS.get(raw.lstrip("-"))
    if key is None:
        raise ValidationError(
            {"sort": [_("Sort by one of: %(names)s.") % {"names": ", ".join(DEAL_SORTS)}]}
        )
    return key, descending


def deal_list(
    *,
    actor: User,
    filters: Mapping[str, str] | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    action: str = Action.READ,
) -> Page[Deal]:
    """One page of the deals the actor may see: filtered, keyset-paginated (never counted).
    ``action`` picks the scope (an export reads what the actor may export)."""
    key, descending = _sort(sort)
    qs = filter_deals(deal_queryset(actor, action), actor=actor, filters=filters or {})
    return paginate(qs, sort=key, descending=descending, cursor=cursor, limit=_limit(limit))


def deal_get(*, actor: User, pk: Any, action: str = Action.READ) -> Deal:
    """One deal the actor may see (or ``action``); anything else is NotFound."""
    deal: Deal = get_visible(actor, Deal, pk, action)
    return deal


def deal_detail(*, actor: User, pk: Any) -> Deal:
    """A deal with its pipeline, stage, company, owner and team in one query."""
    try:
        return deal_queryset(actor).select_related("territory").get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def deal_contacts(*, actor: User, deal: Deal) -> list[DealContact]:
    """The people on a deal that the actor may see, with their roles."""
    return list(
        DealContact.objects.filter(deal=deal, contact__in=visible(actor, Contact).values("id"))
        .select_related("contact", "contact__account")
        .order_by("contact__last_name", "contact__first_name", "id")
    )


def deal_line_items(*, deal: Deal) -> list[DealLineItem]:
    return list(
        DealLineItem.objects.filter(deal=deal).select_related("product").order_by("position", "id")
    )


@dataclass
class StageSpan:
    """One stay of a deal in a stage: from ``entered_at`` for ``seconds`` (``is_current``:
    still there, counted up to now)."""

    stage: Stage
    entered_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int
    is_current: bool
    changed_by: User | None


MAX_HISTORY = 500


def deal_stage_history(*, deal: Deal) -> list[StageSpan]:
    """The stages a deal went through, oldest first, with the time spent in each."""
    changes = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("to_stage", "changed_by")
        .order_by("changed_at", "id")[:MAX_HISTORY]
    )
    now = timezone.now()
    spans: list[StageSpan] = []
    for i, change in enumerate(changes):
        nxt = changes[i + 1] if i + 1 < len(changes) else None
        if nxt is not None:
            seconds = nxt.seconds_in_from_stage
            if seconds is None:
                seconds = int((nxt.changed_at - change.changed_at).total_seconds())
            left_at: dt.datetime | None = nxt.changed_at
        else:
            seconds = int((now - change.changed_at).total_seconds())
            left_at = None
        spans.append(
            StageSpan(
                stage=change.to_stage,
                entered_at=change.changed_at,
                left_at=left_at,
                seconds=max(0, seconds),
                is_current=nxt is None,
                changed_by=change.changed_by,
            )
        )
    return spans


def is_rotting(deal: Deal, stage: Stage, now: dt.datetime) -> bool:
    """An open deal that sat in its stage longer than the stage allows."""
    if stage.is_closed or not stage.rot_days:
        return False
    return deal.stage_entered_at < now - dt.timedelta(days=stage.rot_days)


# ---------------------------------------------------------------- the board


@dataclass
class Column:
    stage: Stage
    cards: list[Deal] = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal(0)
    unconverted: int = 0
    more_url_cursor: str | None = None


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    base_currency: str
    rotting: set[int]


BOARD_SORT = SortKey("board", ("stage_entered_at", "id"))


def _money_on() -> Coalesce:
    """The date an amount converts at: its close date, else its expected close date, else today."""
    return Coalesce(
        "closed_on", "expected_close_on", models.Value(timezone.localdate()),
        output_field=models.DateField(),
    )  # fmt: skip


def board_queryset(
    actor: User, pipeline: Pipeline, filters: Mapping[str, str]
) -> models.QuerySet[Deal]:
    """The deals of a pipeline the actor may see, by the board's filters (owner, team, month)."""
    allowed = {k: v for k, v in filters.items() if k in {"owner_id", "team_id", "close_month"}}
    qs = visible(actor, Deal).filter(pipeline=pipeline)
    return filter_deals(qs, actor=actor, filters=allowed)


def board_totals(qs: models.QuerySet[Deal]) -> dict[int, tuple[int, Decimal, int]]:
    """Per stage: deals, their total in the base currency, and how many had no rate.

    One aggregate query whatever the number of deals.
    """
    base = base_currency()
    rows = (
        qs.order_by()
        .annotate(money_on=_money_on())
        .annotate(rate=conversion_rate("money_on", base=base))
        .values("stage_id")
        .annotate(
            n=models.Count("id"),
            total=models.Sum(base_amount("amount", "money_on", base=base)),
            unconverted=models.Count("id", filter=models.Q(rate__isnull=True)),
        )
    )
    return {
        r["stage_id"]: (r["n"], round_money(r["total"]) or Decimal(0), r["unconverted"])
        for r in rows
    }


def board_cards(qs: models.QuerySet[Deal], stages: list[Stage], per_column: int) -> list[Deal]:
    """The newest-moved ``per_column`` deals of every stage, in one query.

    One ``id IN (... ORDER BY ... LIMIT n)`` subquery per stage, OR-ed: each reads only its own
    stage through the board index, where a window function would rank every deal of the pipeline.
    """
    if not stages:
        return []
    condition = models.Q()
    for stage in stages:
        first = (
            qs.filter(stage=stage).order_by("-stage_entered_at", "-id").values("id")[:per_column]
        )
        condition |= models.Q(pk__in=first)
    return list(
        qs.filter(condition)
        .select_related("owner", "account")
        .order_by("stage_id", "-stage_entered_at", "-id")
    )


def deal_board(
    *, actor: User, pipeline: Pipeline, filters: Mapping[str, str], per_column: int = BOARD_CARDS
) -> Board:
    """A pipeline's board: a column per stage with its first cards, count and base total.

    Queries: the stages (prefetched with the pipeline), one aggregate for the totals, one for
    the cards (plus the base currency once per request), whatever the number of deals.
    """
    stages = list(pipeline.stages.all())
    qs = board_queryset(actor, pipeline, filters)
    totals = board_totals(qs)
    cards = board_cards(qs, stages, per_column)
    by_stage: dict[int, list[Deal]] = {}
    for deal in cards:
        by_stage.setdefault(deal.stage_id, []).append(deal)
    now = timezone.now()
    columns: list[Column] = []
    rotting: set[int] = set()
    for stage in stages:
        n, total, unconverted = totals.get(stage.pk, (0, Decimal(0), 0))
        column = Column(stage=stage, cards=by_stage.get(stage.pk, []), count=n, total=total)
        column.unconverted = unconverted
        for deal in column.cards:
            deal.stage = stage
            deal.pipeline = pipeline
            if is_rotting(deal, stage, now):
                rotting.add(deal.pk)
        if n > len(column.cards) and column.cards:
            last = column.cards[-1]
            column.more_url_cursor = encode_cursor(
                BOARD_SORT.name + "-", [last.stage_entered_at.isoformat(), last.pk]
            )
        columns.append(column)
    return Board(pipeline=pipeline, columns=columns, base_currency=base_currency(), rotting=rotting)


def board_column_page(
    *,
    actor: User,
    pipeline: Pipeline,
    stage: Stage,
    filters: Mapping[str, str],
    cursor: str | None,
    limit: int = BOARD_CARDS,
) -> Page[Deal]:
    """More cards of one column (the board's "more" link), keyset-paginated."""
    qs = (
        board_queryset(actor, pipeline, filters)
        .filter(stage=stage)
        .select_related("owner", "account")
    )
    return paginate(qs, sort=BOARD_SORT, descending=True, cursor=cursor, limit=limit)


def stage_of(pipeline: Pipeline, pk: Any) -> Stage:
    """A stage of this pipeline, else NotFound."""
    for stage in pipeline.stages.all():
        if str(stage.pk) == str(pk):
            return stage
    raise NotFound()
