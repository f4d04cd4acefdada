"""``every_row``: a query read to its end through a server-side cursor is planned for all of
its rows (PostgreSQL), and the connection's setting is as before afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.db.models.functions import Lower

from sambandh.contacts.models import Contact
from sambandh.core import bulk
from sambandh.core.models import User

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 3000


def _fraction() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        return str(cursor.fetchone()[0])


def _load(owner: User, count: int) -> None:
    """``count`` contacts, every tenth sharing its email with the one before (in capitals)."""
    drafts = []
    base = bulk.defaults(Contact)
    for i in range(count):
        draft = SimpleNamespace(**base)
        draft.first_name = f"Person {i}"
        draft.email = f"p{i - 1}@EXAMPLE.in" if i % 10 == 1 else f"p{i}@example.in"
        draft.owner_id = draft.created_by_id = owner.pk
        drafts.append(draft)
    with transaction.atomic():
        bulk.insert_records(Contact, drafts)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "contacts_contact"')


def _groups() -> Any:
    return (
        Contact.objects.annotate(key=Lower("email"))
        .values("key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by()
    )


@pytest.mark.parametrize("in_transaction", [False, True])
def test_every_row_comes_and_the_setting_is_put_back(owner: User, in_transaction: bool) -> None:
    _load(owner, 25)
    before = _fraction()
    names = Contact.objects.order_by("id").values_list("first_name", flat=True)
    with transaction.atomic() if in_transaction else contextlib.nullcontext():
        read = list(bulk.every_row(names, chunk_size=4))
        assert _fraction() == before
    assert read == [f"Person {i}" for i in range(25)]
    assert list(bulk.every_row(Contact.objects.none(), chunk_size=4)) == []
    assert _fraction() == before


def test_a_query_that_fails_leaves_the_connection_usable_and_as_before(owner: User) -> None:
    _load(owner, 3)
    before = _fraction()
    broken = Contact.objects.extra(where=["no_such_column = 1"])  # noqa: S610 - fails on both
    for _i in range(2):
        with pytest.raises(DatabaseError):
            list(bulk.every_row(broken, chunk_size=2))
        assert _fraction() == before
    with pytest.raises(DatabaseError), transaction.atomic():
        list(bulk.every_row(broken, chunk_size=2))
    assert _fraction() == before
    assert Contact.objects.count() == 3


def test_on_postgresql_the_cursor_is_planned_for_all_its_rows(owner: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner plans a cursor for a tenth of its rows; SQLite's not")
    _load(owner, PEOPLE)
    with _cursor_plans() as plans:
        # Read plainly, the grouping walks the lower(email) index through the whole table.
        plain = list(_groups().iterator(chunk_size=100))
        read = list(bulk.every_row(_groups(), chunk_size=100))
    assert len(plans) == 2, plans
    assert "contact_email_lower_idx" in plans[0] and "HashAggregate" not in plans[0]
    assert "HashAggregate" in plans[1] and "Seq Scan on contacts_contact" in plans[1]
    assert len(read) == len(plain) == PEOPLE // 10
    assert {row["key"] for row in read} == {f"p{i}@example.in" for i in range(0, PEOPLE, 10)}


@contextlib.contextmanager
def _cursor_plans() -> Iterator[list[str]]:
    """The plans of the cursors this connection runs meanwhile, from auto_explain's notices."""
    with connection.cursor() as cursor:
        try:
            cursor.execute("LOAD 'auto_explain'")
        except DatabaseError as exc:
            pytest.skip(f"auto_explain, which shows a cursor's plan, is not installed: {exc}")
        cursor.execute("SET auto_explain.log_min_duration = 0")
        cursor.execute("SET auto_explain.log_level = notice")
    plans: list[str] = []

    def collect(diagnostic: Any) -> None:
        text = diagnostic.message_primary or ""
        if "plan:" in text and "DECLARE" in text:
            plans.append(text)

    link = connection.connection
    link.add_notice_handler(collect)
    try:
        yield plans
    finally:
        link.remove_notice_handler(collect)
        with connection.cursor() as cursor:
            cursor.execute("RESET auto_explain.log_min_duration")
