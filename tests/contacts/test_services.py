from __future__ import annotations

import pytest

from sambandh.contacts import services
from sambandh.contacts.models import Contact, Tag
from sambandh.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, CustomFieldDefinition, OutboxEvent
from sambandh.core.services import custom_field_create
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def test_create_normalises_email_and_phone_and_records_audit_and_event(owner):
    contact = services.contact_create(
        actor=owner,
        data={
            "first_name": " प्रिया ",
            "last_name": "शर्मा",
            "email": "Priya@Example.COM",
            "phone": "098765 43210",
            "country": "in",
            "time_zone": "Asia/Kolkata",
        },
    )
    contact.refresh_from_db()
    assert contact.first_name == "प्रिया"
    assert contact.email == "priya@example.com"
    assert contact.phone == "+919876543210"
    assert contact.country == "IN"
    assert contact.owner_id == owner.pk
    assert contact.team_id == owner.teams.get().pk
    assert contact.version == 1
    entry = AuditEntry.objects.get(object_type="contact", object_id=str(contact.pk))
    assert entry.action == "create"
    assert entry.changes["email"] == [None, "priya@example.com"]
    assert (
        OutboxEvent.objects.filter(name="contact.created", object_id=str(contact.pk)).count() == 1
    )


def test_bad_input_reports_every_field_and_writes_nothing(owner):
    before_audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        services.contact_create(
            actor=owner,
            data={
                "first_name": "A",
                "email": "not-an-email",
                "phone": "12",
                "country": "XX",
                "time_zone": "Mars/Olympus",
                "birthday": "2999-01-01",
                "tags": ["new-tag"],
            },
        )
    assert set(info.value.fields) == {"email", "phone", "country", "time_zone", "birthday"}
    assert Contact.objects.count() == 0
    assert Tag.objects.count() == 0
    assert AuditEntry.objects.count() == before_audit


def test_unknown_field_is_rejected(owner):
    with pytest.raises(ValidationError) as info:
        services.contact_create(actor=owner, data={"first_name": "A", "is_admin": True})
    assert info.value.fields == {"is_admin": ["Unknown field."]}


def test_html_is_stored_as_text(owner):
    contact = make_contact(owner, first_name="<script>alert(1)</script>")
    contact.refresh_from_db()
    assert contact.first_name == "<script>alert(1)</script>"


def test_update_with_stale_version_is_a_conflict_and_changes_nothing(owner):
    contact = make_contact(owner, first_name="Ravi")
    services.contact_update(actor=owner, contact=contact, data={"first_name": "Ravi K"}, version=1)
    with pytest.raises(Conflict):
        services.contact_update(
            actor=owner, contact=contact, data={"first_name": "Overwrite"}, version=1
        )
    contact.refresh_from_db()
    assert contact.first_name == "Ravi K"
    assert contact.version == 2


def test_update_records_field_level_before_and_after(owner):
    contact = make_contact(owner, first_name="Ravi", city="Pune")
    services.contact_update(actor=owner, contact=contact, data={"city": "Mumbai"}, version=1)
    entry = AuditEntry.objects.filter(object_type="contact", action="update").get()
    assert entry.changes == {"city": ["Pune", "Mumbai"]}


def test_teammate_can_read_but_not_update_another_reps_contact(owner, teammate):
    contact = make_contact(owner, first_name="Ravi")
    with pytest.raises(PermissionDenied):
        services.contact_update(
            actor=teammate, contact=contact, data={"first_name": "X"}, version=None
        )
    contact.refresh_from_db()
    assert contact.first_name == "Ravi"


def test_outsider_gets_not_found_for_another_teams_contact(owner, outsider):
    contact = make_contact(owner, first_name="Ravi")
    with pytest.raises(NotFound):
        services.contact_update(
            actor=outsider, contact=contact, data={"first_name": "X"}, version=None
        )
    with pytest.raises(NotFound):
        services.contact_delete(actor=outsider, contact=contact)
    assert Contact.objects.filter(pk=contact.pk, first_name="Ravi").exists()


def test_reader_cannot_create(reader):
    with pytest.raises(PermissionDenied):
        services.contact_create(actor=reader, data={"first_name": "A"})
    assert Contact.objects.count() == 0


def test_rep_cannot_assign_a_contact_to_another_team(owner, south):
    with pytest.raises(ValidationError) as info:
        services.contact_create(actor=owner, data={"first_name": "A", "team_id": south.pk})
    assert "team_id" in info.value.fields


def test_account_link_must_be_visible(owner, outsider):
    hidden = make_account(outsider, name="Hidden Ltd")
    with pytest.raises(ValidationError) as info:
        services.contact_create(actor=owner, data={"first_name": "A", "account_id": hidden.pk})
    assert info.value.fields == {"account_id": ["Choose an existing company."]}


def test_custom_fields_validate_by_type(admin, owner):
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "tier",
            "label_en": "Tier",
            "label_hi": "श्रेणी",
            "field_type": "choice",
            "choices": ["gold", "silver"],
            "is_required": True,
        },
    )
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "score",
            "label_en": "Score",
            "field_type": "number",
            "min_value": 0,
            "max_value": 100,
        },
    )
    with pytest.raises(ValidationError) as info:
        services.contact_create(actor=owner, data={"first_name": "A", "custom": {"score": 101}})
    assert set(info.value.fields) == {"cf.score", "cf.tier"}
    contact = services.contact_create(
        actor=owner, data={"first_name": "A", "custom": {"tier": "gold", "score": "42"}}
    )
    contact.refresh_from_db()
    assert contact.custom == {"tier": "gold", "score": 42}


def test_sensitive_custom_field_needs_a_field_grant_to_write(admin, owner):
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "pan",
            "label_en": "PAN",
            "field_type": "text",
            "is_sensitive": True,
        },
    )
    with pytest.raises(PermissionDenied):
        services.contact_create(
            actor=owner, data={"first_name": "A", "custom": {"pan": "ABCDE1234F"}}
        )
    assert Contact.objects.count() == 0
    assert CustomFieldDefinition.objects.count() == 1


def test_tags_are_created_once_case_insensitively(owner):
    a = make_contact(owner, tags=["VIP", "vip", "Delhi"])
    b = make_contact(owner, tags=["vip"])
    assert sorted(t.name for t in a.tags.all()) == ["Delhi", "VIP"]
    assert [t.name for t in b.tags.all()] == ["VIP"]
    assert Tag.objects.count() == 2


def test_agent_without_tag_create_grant_cannot_invent_tags(owner, agent):
    contact = make_contact(owner)
    with pytest.raises(ValidationError) as info:
        services.contact_update(
            actor=agent, contact=contact, data={"tags": ["brand-new"]}, version=None
        )
    assert "tags" in info.value.fields
    assert Tag.objects.count() == 0


def test_account_parent_cycle_is_rejected(owner):
    parent = make_account(owner, name="Parent")
    child = make_account(owner, name="Child", parent_id=parent.pk)
    with pytest.raises(ValidationError):
        services.account_update(
            actor=owner, account=parent, data={"parent_id": child.pk}, version=None
        )
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_account_revenue_defaults_to_base_currency(owner):
    account = make_account(owner, annual_revenue="1500000")
    account.refresh_from_db()
    assert str(account.annual_revenue) == "1500000.00"
    assert account.annual_revenue_currency == "INR"


def test_note_on_a_contact_the_actor_cannot_see_is_not_found(owner, outsider):
    contact = make_contact(owner)
    with pytest.raises(NotFound):
        services.note_create(actor=outsider, body="hi", contact=contact)
    assert contact.notes.count() == 0


def test_create_records_each_custom_value_as_its_own_change(admin, owner):
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "tier",
            "label_en": "Tier",
            "field_type": "text",
        },
    )
    contact = services.contact_create(
        actor=owner, data={"first_name": "A", "custom": {"tier": "gold"}}
    )
    entry = AuditEntry.objects.get(
        object_type="contact", object_id=str(contact.pk), action="create"
    )
    assert entry.changes["cf.tier"] == [None, "gold"]
    assert "custom" not in entry.changes
