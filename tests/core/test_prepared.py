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
