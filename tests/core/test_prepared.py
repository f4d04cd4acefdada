"""Queries compiled once per process bind each call's own arguments, and refuse builders
they cannot serve."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.contacts.models import Contact
from sambandh.core.prepared import PreparedValues, concrete_paths, instance
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _by_email(email: str):  # type: ignore[no-untyped-def]
    return Contact.objects.filter(email=email).order_by("id").values("id", "first_name", "custom")


def test_each_call_binds_its_own_arguments_in_one_query(owner):
    asha = make_contact(owner, first_name="Asha", email="asha@example.in", custom={})
    ravi = make_contact(owner, first_name="रवि", email="ravi@example.in")
    lookup = PreparedValues(_by_email, 1)
    assert lookup.rows("asha@example.in") == [{"id": asha.pk, "first_name": "Asha", "custom": {}}]
    with CaptureQueriesContext(connection) as queries:
        found = lookup.rows("ravi@example.in")
    assert [row["id"] for row in found] == [ravi.pk]
    assert found[0]["first_name"] == "रवि"
    assert len(queries) == 1
    assert lookup.rows("nobody@example.in") == []
    # A value that looks like SQL is a bound value, never text in the statement.
    assert lookup.rows("x' OR '1'='1") == []


def test_rows_can_be_built_by_a_maker(owner):
    make_contact(owner, first_name="Asha", email="asha@example.in")
    lookup = PreparedValues(_by_email, 1)
    made = lookup.rows(
        "asha@example.in",
        make=lambda names: lambda row: (names.index("first_name"), row[names.index("first_name")]),
    )
    assert made == [(1, "Asha")]


def test_a_builder_that_does_not_bind_every_argument_is_refused(owner):
    ignores = PreparedValues(lambda email: Contact.objects.values("id"), 1)
    with pytest.raises(RuntimeError):
        ignores.rows("asha@example.in")
    one_unused = PreparedValues(
        lambda a, b: Contact.objects.filter(email=a, first_name=a).values("id"), 2
    )
    with pytest.raises(RuntimeError):
        one_unused.rows("a", "b")
    used_twice = PreparedValues(
        lambda a: Contact.objects.filter(email=a, first_name=a).values("id"), 1
    )
    with pytest.raises(RuntimeError):
        used_twice.rows("a")
    with pytest.raises(TypeError):
        PreparedValues(_by_email, 1).rows()


def test_a_condition_that_matches_nothing_gives_no_rows_and_no_query(owner):
    make_contact(owner, email="asha@example.in")
    nothing = PreparedValues(
        lambda email: Contact.objects.filter(email=email, pk__in=[]).values("id"), 1
    )
    with CaptureQueriesContext(connection) as queries:
        assert nothing.rows("asha@example.in") == []
    assert len(queries) == 0


def test_instances_are_built_from_prefixed_columns(owner):
    contact = make_contact(owner, first_name="Asha", email="asha@example.in")
    row = Contact.objects.filter(pk=contact.pk).values(*concrete_paths(Contact, "")).get()
    built = instance(Contact, row, "", "default")
    assert built.pk == contact.pk
    assert built.email == "asha@example.in"
    assert built._state.adding is False
    assert built.created_at == contact.created_at


def test_a_new_record_is_created_and_updated_at_one_moment(owner):
    import datetime as dt

    from sambandh.core.models import same_moment

    contact = make_contact(owner, first_name="Asha")
    assert contact.created_at == contact.updated_at
    contact.refresh_from_db()
    assert contact.created_at == contact.updated_at
    # Times set on purpose stay; a naive and an aware time are left alone.
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    kept = {"created_at": old, "updated_at": now}
    same_moment(kept)
    assert kept == {"created_at": old, "updated_at": now}
    naive = now.replace(tzinfo=None)
    mixed = {"created_at": naive, "updated_at": now}
    same_moment(mixed)
    assert mixed["updated_at"] == now


def test_reads_without_a_query_log_give_what_the_logged_cursor_gives(owner):
    """On SQLite a read without a query log runs on the connection itself (no per-call
    statement rewrite); with a log (DEBUG, assertNumQueries) it takes Django's cursor. Both
    must give the same rows, a literal percent sign in the statement included."""
    from django.db.models import Value

    from sambandh.core.pagination import fetch_values

    make_contact(
        owner, first_name="Asha", email="asha@example.in", other_emails=["asha@work.example.in"]
    )
    make_contact(owner, first_name="रवि", email="ravi@example.in")

    def page():  # type: ignore[no-untyped-def]
        return (
            Contact.objects.filter(email__contains="@example.")
            .annotate(mark=Value("100%"))
            .order_by("id")
            .values("id", "first_name", "other_emails", "created_at", "mark")
        )

    assert not connection.queries_logged
    quick = fetch_values(page())
    with CaptureQueriesContext(connection) as queries:
        logged = fetch_values(page())
    assert len(queries) == 1
    assert quick == logged
    assert [row["first_name"] for row in quick] == ["Asha", "रवि"]
    assert quick[0]["other_emails"] == ["asha@work.example.in"]
    assert quick[0]["mark"] == "100%"
    assert quick[0]["created_at"].tzinfo is not None


def test_an_execute_wrapper_sees_every_read(owner):
    make_contact(owner, email="asha@example.in")
    lookup = PreparedValues(_by_email, 1)
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert len(lookup.rows("asha@example.in")) == 1
    assert len(seen) == 1


def test_a_read_in_a_broken_transaction_is_refused(owner):
    from django.db import IntegrityError, transaction
    from django.db.transaction import TransactionManagementError

    contact = make_contact(owner, email="asha@example.in")
    lookup = PreparedValues(_by_email, 1)
    with transaction.atomic():
        # The same primary key twice: the database refuses, and the error leaving an inner
        # block without a savepoint leaves the whole transaction broken.
        with (
            pytest.raises(IntegrityError),
            transaction.atomic(savepoint=False),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"INSERT INTO {Contact._meta.db_table} (id) VALUES (%s)",  # noqa: S608
                [contact.pk],
            )
        with pytest.raises(TransactionManagementError):
            lookup.rows("asha@example.in")
        transaction.set_rollback(True)
