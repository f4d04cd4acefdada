"""``update_records``: the import's bulk update, one executemany on SQLite and
``UPDATE ... FROM (VALUES ...)`` statements on PostgreSQL, must write the same thing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sambandh.contacts.models import Contact, LifecycleStage
from sambandh.core import bulk
from sambandh.core.models import User
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_each_record_gets_its_own_columns_of_every_type_and_nothing_else(
    owner: User, monkeypatch: Any
) -> None:
    monkeypatch.setattr(bulk, "MOST_PARAMETERS", 10)  # a few rows a statement on PostgreSQL
    born = dt.date(1980, 5, 5)
    people = [
        make_contact(owner, city="Pune", email=f"p{i}@example.in", birthday=born) for i in range(7)
    ]
    customer = LifecycleStage.objects.get(key="customer")
    moment = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    fields_of: list[list[str]] = []
    for i, person in enumerate(people[:5]):  # varchar, date, foreign key, JSON, datetime
        person.city = f"City {i}"
        person.birthday = dt.date(1990, 1, i + 1)
        person.lifecycle_stage_id = customer.pk
        person.custom = {"n": i, "नाम": "आशा"}
        person.updated_at = moment
        fields_of.append(["city", "birthday", "lifecycle_stage_id", "custom", "updated_at"])
    people[5].birthday = None  # another set of columns, and a column set to NULL
    people[5].job_title = "Engineer"
    fields_of.append(["birthday", "job_title"])
    people[1].city = "Last wins"  # a record given twice keeps its last values
    records = [*people[:6], people[1]]
    fields_of.append(["city"])

    bulk.update_records(Contact, records, fields_of)

    found = {c.pk: c for c in Contact.objects.filter(pk__in=[p.pk for p in people])}
    for i in (0, 2, 3, 4):
        c = found[people[i].pk]
        assert (c.city, c.birthday, c.lifecycle_stage_id, c.custom, c.updated_at) == (
            f"City {i}",
            dt.date(1990, 1, i + 1),
            customer.pk,
            {"n": i, "नाम": "आशा"},
            moment,
        )
    assert found[people[1].pk].city == "Last wins"
    assert (found[people[5].pk].birthday, found[people[5].pk].job_title) == (None, "Engineer")
    assert found[people[5].pk].city == "Pune"
    untouched = found[people[6].pk]
    assert (untouched.city, untouched.birthday, untouched.custom) == ("Pune", born, {})


def test_a_chunk_of_updates_costs_statements_that_do_not_grow_with_its_rows(owner: User) -> None:
    people = [make_contact(owner, email=f"q{i}@example.in") for i in range(40)]
    for person in people:
        person.city = "Nagpur"
    with CaptureQueriesContext(connection) as queries:
        bulk.update_records(Contact, people, [["city"]] * len(people))
    assert len(queries.captured_queries) == 1  # one executemany, or one UPDATE ... FROM
    assert Contact.objects.filter(city="Nagpur").count() == 40
