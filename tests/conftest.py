"""Personas and defaults shared by every test.

Personas: ``admin`` (Administrator), ``manager`` (Sales manager), ``owner`` and ``teammate``
(Sales reps in team North), ``outsider`` (Sales rep in team South), ``agent`` (Support agent),
``marketer`` (Marketer), ``reader`` (Read-only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction

from sambandh.core.models import AuditChainHead, Grant, OrganisationSettings, Role, Team, User
from sambandh.core.roles import ensure_default_roles
from tests.factories import make_user

STAGES = [
    ("subscriber", "Subscriber", "सब्सक्राइबर"),
    ("lead", "Lead", "लीड"),
    ("customer", "Customer", "ग्राहक"),
    ("dormant", "Dormant", "निष्क्रिय"),
    ("churned", "Churned", "मंथित"),
]


def pytest_report_header(config: Any) -> str:
    from django.db import connection

    return f"sambandh database: {connection.vendor}"


# Set while a module's shared records are open (``shared_records``): that transaction holds
# the defaults, and every test of the module runs in a savepoint inside it.
_HELD = False
# The row counts of the seeded tables right after a full seeding: a test finds them equal
# unless a transactional test has flushed the tables since.
_SEEDED: tuple[int, ...] | None = None


@pytest.fixture(autouse=True)
def crm_defaults(request: pytest.FixtureRequest) -> None:
    """Data the migrations seed; transactional tests flush it, so make sure it is there."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and "django_db_setup" not in names:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    if not transactional and not _HELD:
        # Seed outside the test's transaction, so that after a flush it is done once and
        # kept, not redone (and rolled back) in every test that follows.
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            seed_defaults()
    request.getfixturevalue("transactional_db" if transactional else "db")
    if transactional:
        seed_defaults()


def _seeded_counts() -> tuple[int, ...]:
    from django.db import connection

    from sambandh.contacts.models import LifecycleStage
    from sambandh.sales.models import Pipeline, PriceBook, Stage

    tables = [
        connection.ops.quote_name(m._meta.db_table)
        for m in (Role, Grant, OrganisationSettings, AuditChainHead, LifecycleStage)
        + (Pipeline, Stage, PriceBook)
    ]
    with connection.cursor() as cursor:
        # The names are our models' own tables, quoted: nothing from outside.
        counts = ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables)  # noqa: S608
        cursor.execute(f"SELECT {counts}")
        return tuple(cursor.fetchone())


def seed_defaults() -> None:
    """Put back what the migrations seed (roles, settings, stages, the default pipeline).

    One query when it is all there (the counts match those of the last full seeding).
    """
    global _SEEDED
    if _SEEDED is not None and _seeded_counts() == _SEEDED:
        return
    from sambandh.contacts.models import LifecycleStage

    ensure_default_roles(Role, Grant)
    OrganisationSettings.objects.get_or_create(pk=1)
    AuditChainHead.objects.get_or_create(pk=1)
    if not LifecycleStage.objects.exists():
        for position, (key, en, hi) in enumerate(STAGES):
            LifecycleStage.objects.create(key=key, label_en=en, label_hi=hi, position=position)
    from sambandh.sales.defaults import ensure_sales_defaults
    from sambandh.sales.models import Pipeline, PriceBook, Stage

    ensure_sales_defaults(Pipeline, Stage, PriceBook)
    _SEEDED = _seeded_counts()


@contextmanager
def shared_records(blocker: Any) -> Iterator[None]:
    """Records a module's tests share, made once (in a module-scoped fixture).

    They are made in a transaction that stays open for the module and is rolled back after
    it; each test runs in a savepoint inside it (pytest-django's ``db``), so what one test
    writes is gone before the next. Not for transactional tests.
    """
    global _HELD
    with blocker.unblock(), transaction.atomic():
        seed_defaults()
        _HELD = True
        try:
            yield
        finally:
            _HELD = False
            transaction.set_rollback(True)


@pytest.fixture
def north(db: None) -> Team:
    return Team.objects.create(name="North")


@pytest.fixture
def south(db: None) -> Team:
    return Team.objects.create(name="South")


@pytest.fixture
def admin(db: None) -> User:
    return make_user("admin", "Administrator", email="admin@example.com")


@pytest.fixture
def manager(db: None, north: Team, south: Team) -> User:
    return make_user("manager", "Sales manager", [north, south])


@pytest.fixture
def owner(db: None, north: Team) -> User:
    return make_user("owner", "Sales rep", [north], first_name="Asha", last_name="Rao")


@pytest.fixture
def teammate(db: None, north: Team) -> User:
    return make_user("teammate", "Sales rep", [north])


@pytest.fixture
def outsider(db: None, south: Team) -> User:
    return make_user("outsider", "Sales rep", [south])


@pytest.fixture
def agent(db: None) -> User:
    return make_user("agent", "Support agent")


@pytest.fixture
def marketer(db: None) -> User:
    return make_user("marketer", "Marketer")


@pytest.fixture
def reader(db: None) -> User:
    return make_user("reader", "Read-only")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if item.get_closest_marker("postgres_only") and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL pointing at PostgreSQL"))
