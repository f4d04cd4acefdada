"""Personas and defaults shared by every test.

Personas: ``admin`` (Administrator), ``manager`` (Sales manager), ``owner`` and ``teammate``
(Sales reps in team North), ``outsider`` (Sales rep in team South), ``agent`` (Support agent),
``marketer`` (Marketer), ``reader`` (Read-only).
"""

from __future__ import annotations

from typing import Any

import pytest

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
    request.getfixturevalue("transactional_db" if transactional else "db")
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
