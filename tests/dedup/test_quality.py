"""The data-quality figures, their snapshot task and the data-quality page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from sambandh.contacts.models import Account, Contact, LifecycleStage
from sambandh.core.models import AuditEntry, User
from sambandh.dedup.models import DataQualitySnapshot
from sambandh.dedup.quality import compute_figures, snapshot_compute
from sambandh.dedup.tasks import data_quality_snapshot_task
from tests.web import conftest as web_fixtures

pytestmark = pytest.mark.django_db
client_for = web_fixtures.client_for  # the signed-in client fixture of the web tests

URL = "/data-quality/"


@pytest.fixture
def huey_immediate() -> Iterator[None]:
    """Huey's own in-memory mode: a queued task runs at once, in this process."""
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = False


@pytest.fixture
def known_contacts(admin: User) -> list[Contact]:
    """Six contacts written straight to the table, as an old import could have left them."""
    company = Account.objects.create(name="Acme")
    stage = LifecycleStage.objects.get(key="lead")
    contacts = [
        Contact.objects.create(
            first_name="Asha",
            email="asha@example.com",
            phone="+919812345678",
            job_title="CEO",
            account=company,
            city="Pune",
            country="IN",
            owner=admin,
            lifecycle_stage=stage,
            time_zone="Asia/Kolkata",
            preferred_language="hi",
        ),
        # Same email in another case; a phone without its country code.
        Contact.objects.create(
            first_name="A.", email="ASHA@example.com", phone="09812345678", city="Pune"
        ),
        # No '@'; the first contact's phone; untouched for 400 days.
        Contact.objects.create(first_name="Ravi", email="not-an-email", phone="+919812345678"),
        Contact.objects.create(first_name="Dot", email="a@b"),  # no dot in the domain
        Contact.objects.create(first_name="Empty"),
        Contact.objects.create(first_name="Space", email="a b@example.com"),
    ]
    Contact.objects.filter(pk=contacts[2].pk).update(
        updated_at=timezone.now() - dt.timedelta(days=400)
    )
    return contacts


@pytest.fixture
def known_accounts(admin: User) -> list[Account]:
    return [
        Account.objects.create(
            name="Acme",
            domain="acme.example",
            industry="Software",
            size_band="1-10",
            phone="+912012345678",
            city="Pune",
            country="IN",
            owner=admin,
        ),
        Account.objects.create(name="Acme Pune", domain="acme.example", phone="020 1234 5678"),
        Account.objects.create(name="Bare"),
    ]


def test_contact_figures_on_a_known_set(known_contacts) -> None:
    assert compute_figures("contact") == {
        "total": 6,
        "filled": {
            "email": 5,
            "phone": 3,
            "job_title": 1,
            "account_id": 1,
            "city": 2,
            "country": 1,
            "owner_id": 1,
            "lifecycle_stage_id": 1,
            "time_zone": 1,
            "preferred_language": 1,
        },
        "invalid_emails": 3,
        "phones_not_e164": 1,
        "stale": 1,
        "stale_days": 365,
        "duplicates": {
            "email": {"groups": 1, "records": 2},
            "phone": {"groups": 1, "records": 2},
        },
    }


def test_company_figures_on_a_known_set(known_accounts) -> None:
    assert compute_figures("account") == {
        "total": 3,
        "filled": {
            "domain": 2,
            "industry": 1,
            "size_band": 1,
            "phone": 2,
            "city": 1,
            "country": 1,
            "owner_id": 1,
        },
        "invalid_emails": None,
        "phones_not_e164": 1,
        "stale": 0,
        "stale_days": 365,
        "duplicates": {
            "domain": {"groups": 1, "records": 2},
            "phone": {"groups": 0, "records": 0},
        },
    }


def test_figures_of_an_empty_table_are_zeros() -> None:
    figures = compute_figures("account")
    assert figures["total"] == 0
    assert set(figures["filled"].values()) == {0}
    assert figures["duplicates"]["domain"] == {"groups": 0, "records": 0}


def test_figures_take_one_query_plus_one_per_duplicate_rule(known_contacts) -> None:
    with CaptureQueriesContext(connection) as queries:
        compute_figures("contact")
    assert len(queries) == 3


def test_the_task_stores_a_snapshot_and_is_safe_to_run_twice(known_contacts) -> None:
    first = data_quality_snapshot_task.call_local("contact")
    second = data_quality_snapshot_task.call_local("contact")
    assert first != second
    snapshots = DataQualitySnapshot.objects.filter(object_type="contact")
    assert [s.figures["total"] for s in snapshots] == [6, 6]


def test_recompute_queues_the_task_and_the_page_shows_the_new_figures(
    known_contacts, manager, client_for, huey_immediate, django_capture_on_commit_callbacks
) -> None:
    client = client_for(manager)
    audit_before = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"object": "contact"})
    assert response.status_code == 302
    assert response["Location"] == URL
    snapshot = DataQualitySnapshot.objects.get()
    assert snapshot.object_type == "contact"
    assert snapshot.figures["invalid_emails"] == 3
    entry = AuditEntry.objects.order_by("-seq")[0]
    assert AuditEntry.objects.count() == audit_before + 1
    assert (entry.action, entry.object_type, entry.actor_id) == (
        "data_quality_recompute",
        "contact",
        manager.pk,
    )
    page = client.get(URL).content.decode()
    assert "6 records, computed at" in page
    assert "Emails that do not look valid</th><td>3</td>" in page


def test_the_page_shows_the_latest_snapshot_and_its_shares(
    known_contacts, admin, client_for
) -> None:
    old = snapshot_compute(object_type="contact")
    DataQualitySnapshot.objects.filter(pk=old.pk).update(
        computed_at=timezone.now() - dt.timedelta(days=1), figures={**old.figures, "total": 99}
    )
    snapshot_compute(object_type="contact")
    page = client_for(admin).get(URL).content.decode()
    assert "6 records, computed at" in page
    assert "99 records" not in page
    # 5 of 6 contacts have an email.
    assert '<th scope="row">Email</th><td>5</td><td>83.3%</td>' in page
    assert 'href="/duplicates/?object=contact&amp;rule=email"' in page


def test_without_a_snapshot_the_page_asks_for_a_recompute(marketer, client_for) -> None:
    response = client_for(marketer).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="no-snapshot"') == 2
    assert 'data-testid="recompute-contact"' in page
    assert 'data-testid="recompute-account"' in page


@pytest.mark.parametrize("persona", ["owner", "agent", "reader"])
def test_roles_without_an_all_export_grant_are_refused(persona, request, client_for) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    snapshot_compute(object_type="contact")
    assert client.get(URL).status_code == 403
    audit_before = AuditEntry.objects.count()
    response = client.post(URL, {"object": "contact"})
    assert response.status_code == 403
    assert AuditEntry.objects.count() == audit_before
    assert DataQualitySnapshot.objects.count() == 1
    assert 'data-testid="nav-data-quality"' not in client.get("/duplicates/").content.decode()


def test_the_navigation_offers_the_page_to_those_allowed(manager, client_for) -> None:
    page = client_for(manager).get("/duplicates/").content.decode()
    assert f'href="{reverse("web:data_quality")}" data-testid="nav-data-quality"' in page


def test_recompute_of_an_unknown_object_is_a_clear_error_and_writes_nothing(
    admin, client_for
) -> None:
    audit_before = AuditEntry.objects.count()
    response = client_for(admin).post(URL, {"object": "deal"})
    assert response.status_code == 400
    assert "Choose contacts or companies." in response.content.decode()
    assert AuditEntry.objects.count() == audit_before


def test_the_page_costs_a_bounded_number_of_queries(
    known_contacts, known_accounts, admin, client_for
) -> None:
    snapshot_compute(object_type="contact")
    snapshot_compute(object_type="account")
    client = client_for(admin)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    # session, user (+ role), one snapshot per object type, the reminder badge of the nav
    assert len(queries) <= 7, [q["sql"] for q in queries]


def test_the_page_in_hindi(known_contacts, admin, client_for) -> None:
    snapshot_compute(object_type="contact")
    admin.language = "hi"
    admin.save(update_fields=["language"])
    page = client_for(admin).get(URL).content.decode()
    assert "डेटा गुणवत्ता" in page
    assert "पूर्णता" in page
    assert "Data quality" not in page
