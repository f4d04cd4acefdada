from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.contacts import selectors
from sambandh.core.errors import NotFound, ValidationError
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def test_scopes_decide_who_sees_what(owner, teammate, outsider, manager):
    mine = make_contact(owner, first_name="Mine")
    theirs = make_contact(outsider, first_name="Theirs")
    names = lambda actor: sorted(c.first_name for c in selectors.contact_list(actor=actor).items)  # noqa: E731
    assert names(owner) == ["Mine"]
    assert names(teammate) == ["Mine"]
    assert names(outsider) == ["Theirs"]
    assert names(manager) == ["Mine", "Theirs"]
    with pytest.raises(NotFound):
        selectors.contact_get(actor=outsider, pk=mine.pk)
    assert selectors.contact_get(actor=manager, pk=theirs.pk) == theirs


def test_keyset_pages_cover_everything_once(owner):
    for i in range(7):
        make_contact(owner, first_name=f"P{i}", last_name="Same")
    seen, cursor = [], None
    while True:
        page = selectors.contact_list(actor=owner, cursor=cursor, limit=3)
        seen += [c.first_name for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"P{i}" for i in range(7)]


def test_descending_sort_and_bad_cursor(owner):
    for i in range(3):
        make_contact(owner, first_name=f"P{i}")
    page = selectors.contact_list(actor=owner, sort="-created_at", limit=2)
    assert [c.first_name for c in page.items] == ["P2", "P1"]
    nxt = selectors.contact_list(actor=owner, sort="-created_at", limit=2, cursor=page.next_cursor)
    assert [c.first_name for c in nxt.items] == ["P0"]
    with pytest.raises(ValidationError):
        selectors.contact_list(actor=owner, sort="name", cursor=page.next_cursor)
    with pytest.raises(ValidationError):
        selectors.contact_list(actor=owner, cursor="garbage!!")


def test_filters_parse_values_and_reject_unknown_ones(owner):
    make_contact(owner, first_name="A", country="IN", do_not_contact=True)
    make_contact(owner, first_name="B", country="US")
    page = selectors.contact_list(actor=owner, filters={"country": "IN", "do_not_contact": "true"})
    assert [c.first_name for c in page.items] == ["A"]
    with pytest.raises(ValidationError) as info:
        selectors.contact_list(actor=owner, filters={"password": "x"})
    assert "password" in info.value.fields
    with pytest.raises(ValidationError):
        selectors.contact_list(actor=owner, filters={"created_at__gte": "yesterday"})


def test_search_finds_devanagari_substrings_and_respects_scope(owner, outsider):
    make_contact(owner, first_name="प्रिया", last_name="शर्मा", email="priya@example.com")
    make_contact(outsider, first_name="प्रिया", last_name="वर्मा")
    hits = selectors.global_search(actor=owner, q="शर्म")
    assert [h.title for h in hits] == ["प्रिया शर्मा"]
    assert [h.title for h in selectors.global_search(actor=owner, q="iya@exa")] == ["प्रिया शर्मा"]
    assert [h.title for h in selectors.global_search(actor=outsider, q="प्रिया")] == ["प्रिया वर्मा"]


def test_search_follows_updates_and_deletes(owner):
    from sambandh.contacts import services

    contact = make_contact(owner, first_name="Kavya")
    services.contact_update(
        actor=owner, contact=contact, data={"first_name": "Meera"}, version=None
    )
    assert selectors.global_search(actor=owner, q="Kavya") == []
    assert [h.id for h in selectors.global_search(actor=owner, q="meera")] == [contact.pk]
    services.contact_delete(actor=owner, contact=contact)
    assert selectors.global_search(actor=owner, q="meera") == []


def test_search_finds_companies(owner):
    make_account(owner, name="Tata Consultancy", domain="tcs.com")
    hits = selectors.global_search(actor=owner, q="consult")
    assert [(h.object_type, h.title) for h in hits] == [("account", "Tata Consultancy")]


def test_list_query_count_does_not_grow_with_rows(owner):
    account = make_account(owner)
    for i in range(3):
        make_contact(owner, first_name=f"P{i}", account_id=account.pk, tags=["x"])
    with CaptureQueriesContext(connection) as small:
        selectors.contact_list(actor=owner)
    for i in range(10):
        make_contact(owner, first_name=f"Q{i}", account_id=account.pk, tags=["x", "y"])
    with CaptureQueriesContext(connection) as large:
        page = selectors.contact_list(actor=owner)
        [c.account.name for c in page.items if c.account]
        [list(c.tags.all()) for c in page.items]
    assert len(large) == len(small)
