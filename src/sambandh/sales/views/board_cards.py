"""The board's cards as HTML, made in Python.

A board shows up to 50 cards in each of its columns; through the template engine each card
cost about a millisecond, most of the page's time. ``format_html`` escapes every value the
same way templates do. The markup is the one ``sales/deals/board.html`` documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sambandh.core.money import format_money
from sambandh.sales.models import Deal, Stage


def stage_options(stages: list[Stage]) -> dict[int, SafeString]:
    """The "Move to" options with each stage selected, made once per board."""
    return {
        current.pk: format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (s.pk, mark_safe(" selected") if s.pk == current.pk else "", s.label)  # noqa: S308
                for s in stages
            ),
        )
        for current in stages
    }


def render_cards(
    request: HttpRequest,
    cards: Iterable[Deal],
    *,
    stages: list[Stage],
    rotting: set[int],
    movable: set[int],
    board_query: str,
) -> None:
    """Set ``card_html`` on every deal."""
    options = stage_options(stages)
    detail = reverse("sales:deal_detail", args=[0])
    move = reverse("sales:deal_move", args=[0])
    csrf = get_token(request)
    now = timezone.now()
    move_label = _("Move")
    for deal in cards:
        deal.card_html = _card(  # type: ignore[attr-defined]
            deal,
            detail=detail.replace("/0/", f"/{deal.pk}/"),
            move=move.replace("/0/", f"/{deal.pk}/"),
            is_rotting=deal.pk in rotting,
            is_movable=deal.pk in movable,
            options=options.get(deal.stage_id, SafeString("")),
            csrf=csrf,
            board_query=board_query,
            move_label=move_label,
            now=now,
        )


def _meta(deal: Deal) -> SafeString:
    parts: list[SafeString] = []
    if deal.account_id is not None and deal.account is not None:
        parts.append(format_html("{}", deal.account.name))
    if deal.owner is not None:
        parts.append(format_html("{}", str(deal.owner)))
    if deal.expected_close_on is not None:
        parts.append(
            format_html(
                '<time datetime="{}">{}</time>',
                deal.expected_close_on.isoformat(),
                date_format(deal.expected_close_on, "SHORT_DATE_FORMAT"),
            )
        )
    return SafeString(" · ".join(parts))


def _card(
    deal: Deal,
    *,
    detail: str,
    move: str,
    is_rotting: bool,
    is_movable: bool,
    options: SafeString,
    csrf: str,
    board_query: str,
    move_label: str,
    now: dt.datetime,
) -> SafeString:
    rot = SafeString("")
    if is_rotting:
        days = (now - deal.stage_entered_at).days
        rot = format_html(
            '<p class="rotting-text" data-testid="rotting">{}</p>',
            ngettext(
                "Rotting: %(days)d day in this stage", "Rotting: %(days)d days in this stage", days
            )
            % {"days": days},
        )
    form = SafeString("")
    if is_movable:
        form = format_html(
            '<form class="card-move" method="post" action="{move}" data-deal-id="{pk}" '
            'hx-post="{move}" hx-target="#board" hx-swap="outerHTML">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            '<input type="hidden" name="version" value="{version}">'
            '<input type="hidden" name="from" value="board">'
            '<input type="hidden" name="board_query" value="{query}">'
            '<label for="move-{pk}" class="visually-hidden">{label}</label>'
            '<select id="move-{pk}" name="stage_id" data-testid="card-move-select">{options}</select>'
            '<button type="submit" data-testid="card-move">{move_label}'
            '<span class="visually-hidden"> {name}</span></button></form>',
            move=move,
            pk=deal.pk,
            csrf=csrf,
            version=deal.version,
            query=board_query,
            label=_("Move “%(name)s” to") % {"name": deal.name},
            options=options,
            move_label=move_label,
            name=deal.name,
        )
    return format_html(
        '<li class="deal-card{rotting_class}" data-testid="deal-card" data-deal-id="{pk}" '
        'data-stage-id="{stage}"{draggable}>'
        '<a class="deal-card-name" href="{detail}">{name}</a>'
        '<p class="deal-card-amount" data-testid="card-amount">{amount}</p>'
        '<p class="meta">{meta}</p>{rot}{form}</li>',
        rotting_class=" rotting" if is_rotting else "",
        pk=deal.pk,
        stage=deal.stage_id,
        draggable=mark_safe(' draggable="true"') if is_movable else "",  # noqa: S308
        detail=detail,
        name=deal.name,
        amount=format_money(deal.amount, deal.currency),
        meta=_meta(deal),
        rot=rot,
        form=form,
    )
