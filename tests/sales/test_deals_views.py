"""Deal pages: list, detail, form, move (incl. the lost-reason dialog), people, lines, board."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sambandh.core.models import ExchangeRate, User
from sambandh.sales.models import Deal, DealContact, DealLineItem, Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage
from tests.factories import make_contact

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def stage(label: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, label_en=label)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_nav_links_to_the_board(owner: User) -> None:
    page = signed_in(owner).get(reverse("web:contact_list"))
    assert 'data-testid="nav-deals"' in page.content.decode()


def test_list_shows_visible_deals_and_filters(owner: User, outsider: User) -> None:
    deal_create(actor=owner, data={"name": "Mine open"})
    won = deal_create(actor=owner, data={"name": "Mine won", "stage_id": stage("Won").pk})
    deal_create(actor=outsider, data={"name": "Theirs"})
    client = signed_in(owner)
    html = client.get(reverse("sales:deal_list")).content.decode()
    assert "Mine open" in html and "Mine won" in html
    assert "Theirs" not in html
    rows = client.get(reverse("sales:deal_list") + "?status=won", headers=HTMX).content.decode()
    assert "Mine won" in rows and "Mine open" not in rows
    assert won.closed_on == timezone.localdate()
    bad = client.get(reverse("sales:deal_list") + "?close_month=soon", headers=HTMX)
    assert bad.status_code == 400
    assert "Enter a month as YYYY-MM." in bad.content.decode()


def test_create_shows_errors_next_to_fields_then_saves(owner: User) -> None:
    client = signed_in(owner)
    url = reverse("sales:deal_create")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"name": "", "stage_id": str(stage("Qualification").pk), "amount": "-1", "currency": "ABC"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="errors-name"' in html
    assert 'data-testid="errors-amount"' in html
    assert "Enter a valid ISO 4217 currency code such as INR." in html
    assert Deal.objects.count() == 0
    response = client.post(
        url,
        {
            "name": "Payroll module",
            "stage_id": str(stage("Proposal").pk),
            "amount": "75000",
            "currency": "",
            "forecast_category": "best_case",
            "owner_id": str(owner.pk),
            "team_id": str(owner.teams.get().pk),
        },
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    assert (deal.stage.label_en, deal.amount, deal.currency, deal.probability) == (
        "Proposal", Decimal("75000.00"), "INR", 50,
    )  # fmt: skip
    assert deal.forecast_category == "best_case"


def test_edit_changes_only_what_changed_and_refuses_stale_versions(owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D", "probability": 40})
    client = signed_in(owner)
    url = reverse("sales:deal_edit", args=[deal.pk])
    form = {
        "version": "1",
        "name": "D renamed",
        "stage_id": str(deal.stage_id),
        "amount": "0.00",
        "currency": "INR",
        "probability": "40",
        "forecast_category": "pipeline",
        "owner_id": str(owner.pk),
        "team_id": str(owner.teams.get().pk),
    }
    assert client.post(url, form).status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.probability, deal.is_probability_manual, deal.version) == (
        "D renamed", 40, True, 2,
    )  # fmt: skip
    stale = client.post(url, {**form, "name": "Again"})
    assert stale.status_code == 409
    assert 'data-testid="reload-form"' in stale.content.decode()
    deal.refresh_from_db()
    assert deal.name == "D renamed"


def test_detail_shows_fields_people_lines_and_stage_history(owner: User) -> None:
    contact = make_contact(owner, first_name="Meera", last_name="Iyer")
    deal = deal_create(
        actor=owner,
        data={
            "name": "CRM seats",
            "amount": "1200",
            "next_step": "Send proposal",
            "contacts": [{"contact_id": contact.pk, "role": "champion"}],
            "line_items": [{"description": "Seat", "quantity": "10", "unit_price": "120"}],
        },
    )
    html = signed_in(owner).get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "CRM seats" in html
    assert "Send proposal" in html
    assert "Meera Iyer" in html and "Champion" in html
    assert 'data-testid="line-item"' in html
    assert html.count('data-testid="stage-span"') == 1
    assert "{% block" not in html
    assert f'href="{reverse("sales:quote_create", args=[deal.pk])}"' in html


def test_a_reader_gets_no_new_quote_link(owner: User, reader: User) -> None:
    deal = deal_create(actor=owner, data={"name": "Read only"})
    html = signed_in(reader).get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "Read only" in html
    assert 'data-testid="new-quote"' not in html


def test_detail_of_someone_elses_deal_is_404_for_an_outsider(owner: User, outsider: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    assert signed_in(outsider).get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 404


def test_people_and_lines_sections_add_and_remove(owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    contact = make_contact(owner)
    client = signed_in(owner)
    url = reverse("sales:deal_contacts", args=[deal.pk])
    response = client.post(
        url, {"version": "1", "contact_id": str(contact.pk), "role": "user"}, headers=HTMX
    )
    assert response.status_code == 200
    assert list(DealContact.objects.values_list("contact_id", "role")) == [(contact.pk, "user")]
    response = client.post(url, {"version": "2", "remove": str(contact.pk)}, headers=HTMX)
    assert DealContact.objects.count() == 0
    lines = reverse("sales:deal_line_items", args=[deal.pk])
    bad = client.post(lines, {"version": "3", "unit_price": "x"}, headers=HTMX)
    assert bad.status_code == 400
    assert 'data-testid="line-errors"' in bad.content.decode()
    ok = client.post(
        lines, {"version": "3", "description": "Setup", "unit_price": "500"}, headers=HTMX
    )
    assert ok.status_code == 200
    assert list(DealLineItem.objects.values_list("description", "unit_price")) == [
        ("Setup", Decimal("500.00"))
    ]


def test_board_move_returns_the_board_with_new_totals(owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "Big one", "amount": "1000"})
    client = signed_in(owner)
    board = client.get(reverse("sales:board")).content.decode()
    assert "Big one" in board
    response = client.post(
        reverse("sales:deal_move", args=[deal.pk]),
        {"stage_id": str(stage("Proposal").pk), "version": "1", "from": "board", "board_query": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "boardChanged" in response["HX-Trigger"]
    html = response.content.decode()
    assert html.startswith('\n<div id="board"') or '<div id="board"' in html[:200]
    deal.refresh_from_db()
    assert deal.stage.label_en == "Proposal"


def test_board_move_to_lost_asks_for_the_reason_in_the_dialog(owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    client = signed_in(owner)
    url = reverse("sales:deal_move", args=[deal.pk])
    response = client.post(
        url, {"stage_id": str(stage("Lost").pk), "version": "1", "from": "board"}, headers=HTMX
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#board-dialog-body"
    assert 'data-testid="lost-reason"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.label_en == "Qualification"
    response = client.post(
        url,
        {
            "stage_id": str(stage("Lost").pk),
            "version": "1",
            "from": "board",
            "lost_reason": "Price",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.label_en, deal.lost_reason) == ("Lost", "Price")


def test_move_without_htmx_redirects_and_reader_is_refused(owner: User, reader: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    url = reverse("sales:deal_move", args=[deal.pk])
    response = signed_in(owner).post(
        url, {"stage_id": str(stage("Negotiation").pk), "version": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    denied = signed_in(reader).post(url, {"stage_id": str(stage("Won").pk), "version": "2"})
    assert denied.status_code == 403
    deal.refresh_from_db()
    assert (deal.stage.label_en, deal.version) == ("Negotiation", 2)


def test_board_totals_in_base_currency_convert_other_currencies(owner: User) -> None:
    ExchangeRate.objects.create(currency="USD", rate_on=dt.date(2020, 1, 1), rate=Decimal("80"))
    deal_create(actor=owner, data={"name": "A", "amount": "1000"})
    deal_create(actor=owner, data={"name": "B", "amount": "10", "currency": "USD"})
    deal_create(actor=owner, data={"name": "C", "amount": "5", "currency": "EUR"})
    html = signed_in(owner).get(reverse("sales:board")).content.decode()
    # 1000 INR + 10 USD * 80 = 1800 INR; the EUR deal has no rate and is said to be left out.
    assert "₹1,800.00" in html
    assert 'data-testid="column-unconverted"' in html


def test_rotting_deals_are_marked_in_words(owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "Old"})
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - dt.timedelta(days=20))
    html = signed_in(owner).get(reverse("sales:board")).content.decode()
    assert "Rotting: 20 days in this stage" in html
    assert "deal-card rotting" in html


def test_board_filters_by_owner_and_close_month(owner: User, teammate: User) -> None:
    deal_create(actor=owner, data={"name": "March", "expected_close_on": "2026-03-10"})
    deal_create(actor=teammate, data={"name": "April", "expected_close_on": "2026-04-10"})
    client = signed_in(owner)
    html = client.get(
        reverse("sales:board") + "?close_month=2026-03", headers=HTMX
    ).content.decode()
    assert "March" in html and "April" not in html
    html = client.get(
        reverse("sales:board") + f"?owner={teammate.pk}", headers=HTMX
    ).content.decode()
    assert "April" in html and "March" not in html


def test_board_column_more_link_loads_the_next_cards(owner: User) -> None:
    for n in range(3):
        deal_create(actor=owner, data={"name": f"Deal {n}"})
    from sambandh.sales.selectors import deals as selectors

    pipeline = selectors.default_pipeline(actor=owner)
    first = selectors.deal_board(actor=owner, pipeline=pipeline, filters={}, per_column=2)
    column = first.columns[0]
    assert (column.count, len(column.cards)) == (3, 2)
    assert column.more_url_cursor
    response = signed_in(owner).get(
        reverse("sales:board_column", args=[column.stage.pk])
        + f"?pipeline={pipeline.pk}&cursor={column.more_url_cursor}",
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="deal-card"') == 1


def _many(owner: User, n: int) -> None:
    stages = [stage(label) for label in ("Qualification", "Proposal", "Negotiation")]
    for i in range(n):
        deal_create(
            actor=owner,
            data={"name": f"Deal {i}", "stage_id": stages[i % 3].pk, "amount": str(100 + i)},
        )


def test_board_query_count_does_not_grow_with_deals(
    owner: User, django_assert_max_num_queries: Any
) -> None:
    _many(owner, 5)
    client = signed_in(owner)
    url = reverse("sales:board")
    client.get(url)
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    _many(owner, 55)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('data-testid="deal-card"') == 60


def test_detail_and_list_query_counts_do_not_grow(
    owner: User, django_assert_max_num_queries: Any
) -> None:
    def busy_deal(n: int) -> Deal:
        contacts = [make_contact(owner) for _i in range(n)]
        deal = deal_create(
            actor=owner,
            data={
                "name": f"Busy {n}",
                "contacts": [{"contact_id": c.pk, "role": "user"} for c in contacts],
                "line_items": [{"description": f"L{i}", "unit_price": "1"} for i in range(n)],
            },
        )
        for label in ("Needs analysis", "Proposal", "Negotiation")[: max(1, n // 3)]:
            deal.refresh_from_db()
            deal = deal_move_stage(actor=owner, deal=deal, stage=stage(label), version=deal.version)
        return deal

    client = signed_in(owner)
    small, big = busy_deal(1), busy_deal(9)
    client.get(reverse("sales:deal_detail", args=[small.pk]))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("sales:deal_detail", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("sales:deal_detail", args=[big.pk])).content.decode()
    assert html.count('data-testid="deal-contact"') == 9
    assert html.count('data-testid="stage-span"') == 4
    with django_assert_max_num_queries(40) as listed:
        client.get(reverse("sales:deal_list"))
    for n in range(10):
        deal_create(actor=owner, data={"name": f"More {n}"})
    with django_assert_max_num_queries(len(listed.captured_queries)):
        client.get(reverse("sales:deal_list"))
