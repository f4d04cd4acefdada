"""Territories: hierarchy, matching, assignment on create/update and re-evaluation."""

from __future__ import annotations

import pytest

from sambandh.contacts import services as contact_services
from sambandh.contacts.models import Contact
from sambandh.core.errors import Conflict, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry
from sambandh.sales.models import Territory
from sambandh.sales.services import territories
from sambandh.sales.services.territories import (
    TerritoryMatcher,
    territory_create,
    territory_delete,
    territory_update,
)
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def test_a_territory_cannot_be_inside_itself(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    north = territory_create(
        actor=admin, data={"name": "North India", "parent_id": india.pk, "states": ["Delhi"]}
    )
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        territory_update(
            actor=admin, territory=india, data={"parent_id": north.pk}, version=india.version
        )
    assert exc.value.fields == {"parent_id": ["A territory cannot be inside itself."]}
    india.refresh_from_db()
    assert india.parent_id is None
    assert AuditEntry.objects.count() == before


def test_the_most_specific_matching_territory_wins(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["in"]})
    north = territory_create(
        actor=admin,
        data={"name": "North", "parent_id": india.pk, "states": ["Delhi", "Punjab"]},
    )
    matcher = TerritoryMatcher()
    assert matcher.match(country="IN", state="delhi") == north
    assert matcher.match(country="IN", state="Kerala") == india
    assert matcher.match(country="NP", state="Delhi") is None  # the child narrows its parent
    assert india.countries == ["IN"]


def test_an_inactive_parent_switches_off_its_children(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    territory_create(
        actor=admin, data={"name": "North", "parent_id": india.pk, "states": ["Delhi"]}
    )
    territory_update(actor=admin, territory=india, data={"is_active": False}, version=1)
    assert TerritoryMatcher().match(country="IN", state="Delhi") is None


def test_account_rules_use_industry_and_size(admin):
    territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    enterprise = territory_create(
        actor=admin,
        data={"name": "Enterprise IT", "industries": ["Software"], "size_bands": ["1001-5000"]},
    )
    account = make_account(
        admin, name="Big", country="IN", industry="software", size_band="1001-5000"
    )
    small = make_account(admin, name="Small", country="IN", industry="Software", size_band="1-10")
    account.refresh_from_db()
    small.refresh_from_db()
    assert account.territory_id == enterprise.pk
    assert getattr(small.territory, "name", None) == "India"


def test_a_new_contact_gets_its_territory_and_the_territory_team_and_owner(admin, owner, north):
    territory = territory_create(
        actor=admin,
        data={
            "name": "Maharashtra",
            "countries": ["IN"],
            "states": ["Maharashtra"],
            "team_id": north.pk,
            "default_owner_id": owner.pk,
        },
    )
    contact = make_contact(admin, country="IN", state="Maharashtra", owner_id=None)
    contact.refresh_from_db()
    assert (contact.territory_id, contact.team_id, contact.owner_id) == (
        territory.pk,
        north.pk,
        owner.pk,
    )
    entry = AuditEntry.objects.filter(
        object_type="contact", object_id=str(contact.pk), action="territory_assign"
    ).get()
    assert entry.changes["territory_id"] == [None, territory.pk]


def test_an_owned_contact_keeps_its_owner(admin, owner, north):
    territory_create(
        actor=admin,
        data={
            "name": "India",
            "countries": ["IN"],
            "default_owner_id": owner.pk,
            "team_id": north.pk,
        },
    )
    contact = make_contact(admin, country="IN")
    contact.refresh_from_db()
    assert contact.owner_id == admin.pk
    assert contact.team_id == north.pk  # the admin has no team: the territory's fills it


def test_changing_the_address_re_evaluates_the_territory(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    nepal = territory_create(actor=admin, data={"name": "Nepal", "countries": ["NP"]})
    contact = make_contact(admin, country="IN")
    contact.refresh_from_db()
    assert contact.territory_id == india.pk
    contact = contact_services.contact_update(
        actor=admin, contact=contact, data={"country": "NP"}, version=contact.version
    )
    contact.refresh_from_db()
    assert contact.territory_id == nepal.pk
    assert contact.version == 2  # the territory follows the write; no second version


def test_a_contact_without_a_match_inherits_its_company_territory(admin):
    software = territory_create(actor=admin, data={"name": "Software", "industries": ["Software"]})
    account = make_account(admin, industry="Software")
    contact = make_contact(admin, account_id=account.pk, country="FR")
    contact.refresh_from_db()
    assert contact.territory_id == software.pk
    # The company moves out of the territory: its inheriting contacts follow.
    account.refresh_from_db()
    contact_services.account_update(
        actor=admin, account=account, data={"industry": "Retail"}, version=account.version
    )
    contact.refresh_from_db()
    assert contact.territory_id is None


def test_a_rule_change_re_evaluates_every_record(admin):
    contacts = [make_contact(admin, country="IN") for _ in range(3)]
    other = make_contact(admin, country="US")
    territory = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    assert set(Contact.objects.filter(territory=territory).values_list("pk", flat=True)) == {
        c.pk for c in contacts
    }
    territory_update(actor=admin, territory=territory, data={"countries": ["US"]}, version=1)
    assert list(Contact.objects.filter(territory=territory).values_list("pk", flat=True)) == [
        other.pk
    ]
    # One audit entry per changed record, so each record's history says why.
    assert (
        AuditEntry.objects.filter(action="territory_assign", object_id=str(other.pk)).count() == 1
    )


def test_re_evaluation_runs_in_batches(admin, monkeypatch):
    monkeypatch.setattr(territories, "BATCH_SIZE", 2)
    for _ in range(5):
        make_contact(admin, country="IN")
    territory = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    assert Contact.objects.filter(territory=territory).count() == 5


def test_a_territory_with_children_cannot_be_deleted(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    territory_create(actor=admin, data={"name": "North", "parent_id": india.pk})
    with pytest.raises(ValidationError):
        territory_delete(actor=admin, territory=india)
    assert Territory.objects.count() == 2


def test_deleting_a_territory_frees_its_records(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    contact = make_contact(admin, country="IN")
    territory_delete(actor=admin, territory=india)
    contact.refresh_from_db()
    assert contact.territory_id is None


def test_stale_version_is_a_conflict(admin):
    india = territory_create(actor=admin, data={"name": "India"})
    territory_update(actor=admin, territory=india, data={"name": "Bharat"}, version=1)
    with pytest.raises(Conflict):
        territory_update(actor=admin, territory=india, data={"name": "Hind"}, version=1)
    india.refresh_from_db()
    assert india.name == "Bharat"


def test_bad_rule_values_are_rejected_with_messages(admin):
    with pytest.raises(ValidationError) as exc:
        territory_create(
            actor=admin,
            data={"name": "", "countries": ["XX"], "size_bands": ["huge"], "colour": "red"},
        )
    assert exc.value.fields == {"colour": ["Unknown field."]}
    with pytest.raises(ValidationError) as exc:
        territory_create(
            actor=admin, data={"name": "", "countries": ["XX"], "size_bands": ["huge"]}
        )
    assert set(exc.value.fields) == {"name", "countries", "size_bands"}
    assert not Territory.objects.exists()


def test_only_allowed_roles_change_territories(admin, owner, marketer, manager):
    with pytest.raises(PermissionDenied):
        territory_create(actor=owner, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        territory_create(actor=marketer, data={"name": "Mine"})
    created = territory_create(actor=manager, data={"name": "Managed"})
    with pytest.raises(PermissionDenied):
        territory_update(actor=owner, territory=created, data={"name": "x"}, version=1)
    assert Territory.objects.get().name == "Managed"


def test_unknown_parent_is_a_field_error(admin):
    with pytest.raises(ValidationError) as exc:
        territory_create(actor=admin, data={"name": "Child", "parent_id": 999999})
    assert exc.value.fields == {"parent_id": ["Choose an existing territory."]}


def test_large_sets_are_re_evaluated_by_a_task_after_the_commit(
    admin, monkeypatch, django_capture_on_commit_callbacks
):
    from sambandh.sales.tasks import territories_reevaluate_task

    monkeypatch.setattr(territories, "SYNC_REEVALUATE_LIMIT", 1)
    contacts = [make_contact(admin, country="IN") for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        territory = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    assert len(callbacks) == 1  # queued, not run inside the request
    assert not Contact.objects.filter(territory=territory).exists()
    assert territories_reevaluate_task.call_local(admin.pk) == 2
    assert set(Contact.objects.filter(territory=territory).values_list("pk", flat=True)) == {
        c.pk for c in contacts
    }
    assert territories_reevaluate_task.call_local(admin.pk) == 0  # safe to run twice


def test_the_territory_list_page_has_a_bounded_query_count(
    admin, north, django_assert_max_num_queries
):
    from django.test import Client

    parent = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    for i in range(30):
        territory_create(
            actor=admin,
            data={
                "name": f"Region {i}",
                "parent_id": parent.pk,
                "states": [f"S{i}"],
                "team_id": north.pk,
                "default_owner_id": admin.pk,
            },
        )
    client = Client()
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        response = client.get("/sales/territories/")
    assert response.content.decode().count('data-testid="settings-row"') == 31
