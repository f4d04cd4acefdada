"""The hot list pages (no search, no tag, exact text filters) come from queries compiled once
per shape: they must give what the ORM gives, for every scope, sort, cursor and filter, and
follow a change of scope at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.contacts import selectors, shaping
from sambandh.contacts.models import Contact
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action
from sambandh.core.permissions import forget_grants, visible
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

SORTS = ["name", "-name", "email", "-created_at", "id", "-id", "city"]


@pytest.fixture
def people(owner, teammate, outsider):  # type: ignore[no-untyped-def]
    cities = ["Pune", "Delhi", "", "पुणे"]
    for i in range(9):
        make_contact(
            owner,
            first_name=f"O{i % 4}",
            last_name="Same" if i % 2 else f"L{i}",
            email=f"o{i}@example.in",
            city=cities[i % 4],
        )
    for i in range(4):
        make_contact(teammate, first_name=f"T{i}", email=f"t{i}@example.in", city="Pune")
    for i in range(5):
        make_contact(outsider, first_name=f"X{i}", email=f"x{i}@example.in", city="Pune")


def _walk(actor, sort, limit, filters=None):  # type: ignore[no-untyped-def]
    ids, cursor = [], None
    while True:
        page = selectors.contact_rows(
            actor=actor, sort=sort, cursor=cursor, limit=limit, filters=filters
        )
        ids += [row["id"] for row in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids


def _expected(actor, sort, filters=None):  # type: ignore[no-untyped-def]
    key = selectors.CONTACT_SORTS[sort.lstrip("-")]
    order = [("-" if sort.startswith("-") else "") + c for c in key.columns]
    qs = visible(actor, Contact).filter(**(filters or {})).order_by(*order)
    return list(qs.values_list("id", flat=True))


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "manager"])
def test_pages_walk_what_the_orm_gives(people, request, who, sort):
    actor = request.getfixturevalue(who)
    for limit in (1, 4, 50):
        assert _walk(actor, sort, limit) == _expected(actor, sort)


def test_exact_text_filters(people, owner, manager):
    assert _walk(manager, "name", 2, {"city": "Pune"}) == _expected(
        manager, "name", {"city": "Pune"}
    )
    assert _walk(owner, "name", 2, {"city": "Pune"}) == _expected(owner, "name", {"city": "Pune"})
    found = selectors.contact_rows(actor=manager, filters={"email": "x1@example.in"}).items
    assert [r["first_name"] for r in found] == ["X1"]
    # Outside the actor's scope the same lookup finds nothing.
    assert selectors.contact_rows(actor=owner, filters={"email": "x1@example.in"}).items == []
    # Exact: no case folding, no partial match.
    assert selectors.contact_rows(actor=manager, filters={"email": "X1@example.in"}).items == []
    assert selectors.contact_rows(actor=manager, filters={"email": "x1@example"}).items == []
    both = {"city": "पुणे", "email": "o3@example.in"}
    assert [r["email"] for r in selectors.contact_rows(actor=owner, filters=both).items] == [
        "o3@example.in"
    ]


def test_bad_input_is_the_same_400(people, owner):
    with pytest.raises(ValidationError) as bad_cursor:
        selectors.contact_rows(actor=owner, cursor="not-a-cursor")
    assert "cursor" in bad_cursor.value.fields
    with pytest.raises(ValidationError) as bad_sort:
        selectors.contact_rows(actor=owner, sort="nope")
    assert "sort" in bad_sort.value.fields
    with pytest.raises(ValidationError) as bad_limit:
        selectors.contact_rows(actor=owner, limit=0)
    assert "limit" in bad_limit.value.fields
    with pytest.raises(ValidationError) as bad_filter:
        selectors.contact_rows(actor=owner, filters={"email": "a\x00b"})
    assert "email" in bad_filter.value.fields
    # A cursor made for one sort is refused by another.
    cursor = selectors.contact_rows(actor=owner, sort="email", limit=1).next_cursor
    with pytest.raises(ValidationError):
        selectors.contact_rows(actor=owner, sort="name", cursor=cursor)


def test_a_change_of_team_changes_the_page_at_once(people, teammate, south):
    before = _walk(teammate, "name", 50)
    assert before == _expected(teammate, "name")
    teammate.teams.set([south])
    forget_grants(teammate)
    after = _walk(teammate, "name", 50)
    assert after == _expected(teammate, "name")
    assert set(after) != set(before)


def test_a_page_is_one_query_whatever_its_size(people, manager):
    selectors.contact_rows(actor=manager, limit=2)  # prepared on first use
    for limit in (2, 50):
        with CaptureQueriesContext(connection) as queries:
            selectors.contact_rows(actor=manager, limit=limit)
        assert len(queries) == 1


def test_made_records_are_the_shaped_rows(people, manager):
    plain = selectors.contact_rows(actor=manager, limit=50).items
    made = selectors.contact_rows(actor=manager, limit=50, make=shaping.contact_maker).items
    readable: set[str] = set()
    assert [shaping.contact_finish(m, readable) for m in made] == [
        shaping.contact_row_out(row, readable) for row in plain
    ]
    # The key order is the response schema's, on both paths.
    assert list(shaping.contact_finish(dict(made[0]), readable)) == [
        key for key, _source in shaping.CONTACT_COLUMNS
    ]


def test_no_grant_no_rows(people, agent):
    assert selectors.contact_rows(actor=agent, action=Action.DELETE).items == []
