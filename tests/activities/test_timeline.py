"""One timeline per contact, company and deal: merged sources, keyset pages, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.activities.models import Activity, ActivityKind
from sambandh.activities.timeline import timeline
from sambandh.contacts import services as contact_services
from sambandh.contacts.models import Note
from sambandh.core.errors import ValidationError
from sambandh.core.models import CustomFieldDefinition
from tests.activities.helpers import at, make_call, make_deal, make_order, move, stages
from tests.api.conftest import client_for
from tests.factories import make_account, make_contact, make_note


def _bulk_calls(owner, contact, n: int, start: dt.datetime) -> None:
    Activity.objects.bulk_create(
        Activity(
            kind=ActivityKind.CALL,
            subject=f"Bulk call {i}",
            contact=contact,
            owner=owner,
            status="done",
            occurred_at=start - dt.timedelta(minutes=i),
        )
        for i in range(n)
    )


def _walk(actor, parent, limit: int) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        page = timeline(actor=actor, parent=parent, cursor=cursor, limit=limit)
        seen.extend((i.kind, i.id) for i in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_a_contact_timeline_merges_every_source_newest_first(owner) -> None:
    account = make_account(owner, name="Acme")
    contact = make_contact(owner, account_id=account.pk)
    call = make_call(owner, contact_id=contact.pk, occurred_at="2030-01-05T10:00:00+00:00")
    note = make_note(owner, contact=contact, body="Prefers mornings")
    Note.objects.filter(pk=note.pk).update(created_at=at(2030, 1, 4))
    deal = make_deal(owner, account=account, contacts=[contact])
    change = move(deal, stages()[1], at(2030, 1, 3), by=owner)
    order = make_order(owner, contact=contact, deal=deal, on=dt.date(2030, 1, 2))
    page = timeline(actor=owner, parent=contact)
    kinds = [(i.kind, i.id) for i in page.items]
    assert kinds[:4] == [
        ("activity", call.pk),
        ("note", note.pk),
        ("stage", change.pk),
        ("order", order.pk),
    ]
    # Last (it happened now, before those 2030 dates): the contact's creation from the audit.
    assert len(kinds) == 5
    assert page.items[4].kind == "change"
    assert page.items[4].obj.action == "create"
    assert page.next_cursor is None


def test_company_and_deal_timelines_have_their_own_items(owner) -> None:
    account = make_account(owner)
    contact = make_contact(owner, account_id=account.pk)
    deal = make_deal(owner, account=account)
    on_deal = make_call(owner, deal_id=deal.pk)
    on_contact = make_call(owner, contact_id=contact.pk)  # also on the company
    move(deal, stages()[2], at(2030, 2, 1))
    make_order(owner, account=account, on=dt.date(2030, 2, 2))
    account_items = {(i.kind, i.id) for i in timeline(actor=owner, parent=account).items}
    assert ("activity", on_contact.pk) in account_items
    assert ("activity", on_deal.pk) not in account_items
    assert {k for k, _ in account_items} == {"activity", "change", "stage", "order"}
    deal_items = [(i.kind, i.id) for i in timeline(actor=owner, parent=deal).items]
    assert ("activity", on_deal.pk) in deal_items
    assert ("activity", on_contact.pk) not in deal_items


def test_pages_follow_each_other_without_gaps_or_repeats_even_on_equal_times(owner) -> None:
    contact = make_contact(owner)
    same = at(2030, 3, 1)
    for i in range(7):
        make_call(owner, contact_id=contact.pk, occurred_at=same.isoformat(), subject=f"c{i}")
    for i in range(3):
        note = make_note(owner, contact=contact, body=f"n{i}")
        Note.objects.filter(pk=note.pk).update(created_at=same)
    for i in range(3):
        make_order(owner, contact=contact, on=dt.date(2030, 3, 1), total=str(i + 1))
    everything = _walk(owner, contact, limit=100)
    assert len(everything) == 7 + 3 + 3 + 1
    for size in (1, 2, 3, 5):
        assert _walk(owner, contact, limit=size) == everything


def test_items_the_actor_may_not_see_are_left_out(owner, teammate, outsider, north) -> None:
    contact = make_contact(owner, team_id=north.pk)
    mine = make_call(owner, contact_id=contact.pk)
    # A manager's deal outside the rep's teams: its stage changes and orders stay hidden.
    hidden_deal = make_deal(outsider, contacts=[contact])
    move(hidden_deal, stages()[1], at(2030, 1, 1))
    make_order(outsider, contact=contact)
    seen = {(i.kind, i.id) for i in timeline(actor=teammate, parent=contact).items}
    assert ("activity", mine.pk) in seen
    assert {k for k, _ in seen} == {"activity", "change"}


def test_sensitive_custom_fields_are_hidden_from_the_changes(owner, admin) -> None:
    CustomFieldDefinition.objects.create(
        object_type="contact", key="pan", label_en="PAN", field_type="text", is_sensitive=True
    )
    CustomFieldDefinition.objects.create(
        object_type="contact", key="tier", label_en="Tier", field_type="text"
    )
    contact = make_contact(admin, owner_id=owner.pk)
    contact_services.contact_update(
        actor=admin,
        contact=contact,
        data={"custom": {"pan": "ABCDE1234F", "tier": "gold"}, "city": "Pune"},
        version=contact.version,
    )
    latest = timeline(actor=owner, parent=contact).items[0]
    assert latest.kind == "change"
    assert {c["field"]: c["after"] for c in latest.changes} == {"cf.tier": "gold", "city": "Pune"}
    seen_by_admin = timeline(actor=admin, parent=contact).items[0]
    assert {c["field"] for c in seen_by_admin.changes} == {"cf.pan", "cf.tier", "city"}


def test_a_forged_cursor_is_a_clear_error(owner) -> None:
    contact = make_contact(owner)
    with pytest.raises(ValidationError) as exc:
        timeline(actor=owner, parent=contact, cursor="not-a-cursor")
    assert exc.value.fields == {"cursor": ["This cursor is not valid for this list."]}
    response = client_for(owner).get(f"/contacts/{contact.pk}/timeline?cursor=abc")
    assert response.status_code == 400


@pytest.mark.parametrize("size", [5, 200])
def test_the_query_count_does_not_grow_with_the_timeline(
    owner, size, django_assert_max_num_queries
) -> None:
    """Measured below for 5 and 200 items; both are compared in the next test."""
    contact = make_contact(owner)
    _bulk_calls(owner, contact, size, at(2030, 1, 1))
    api = client_for(owner)
    with django_assert_max_num_queries(15):
        assert api.get(f"/contacts/{contact.pk}/timeline").status_code == 200


def _timeline_queries(owner, n: int) -> tuple[int, int]:
    account = make_account(owner)
    contact = make_contact(owner, account_id=account.pk)
    deal = make_deal(owner, account=account, contacts=[contact])
    move(deal, stages()[1], at(2031, 1, 1))
    make_order(owner, contact=contact, deal=deal, on=dt.date(2031, 1, 2))
    make_note(owner, contact=contact, body="Hello")
    _bulk_calls(owner, contact, n, at(2031, 1, 3))
    api = client_for(owner)
    api.get("/me")  # warm the token
    with CaptureQueriesContext(connection) as first:
        body = api.get(f"/contacts/{contact.pk}/timeline?limit=3").json()
    with CaptureQueriesContext(connection) as deep:
        api.get(f"/contacts/{contact.pk}/timeline?limit=3&cursor={body['next_cursor']}")
    return len(first.captured_queries), len(deep.captured_queries)


def test_five_and_two_hundred_items_cost_the_same_queries(owner) -> None:
    assert _timeline_queries(owner, 5) == _timeline_queries(owner, 200)
