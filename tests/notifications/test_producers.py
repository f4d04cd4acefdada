"""The services that give a record a new owner notify that owner, in their transaction."""

from __future__ import annotations

import pytest
from django.utils import translation

from sambandh.activities import services as activity_services
from sambandh.contacts import services as contact_services
from sambandh.core.errors import Conflict
from sambandh.core.models import Team
from sambandh.notifications.models import Notification
from sambandh.notifications.rendering import notification_text
from sambandh.sales.services.assignment import assignment_rule_create, lead_assign
from sambandh.sales.services.deals import deal_create, deal_update
from tests.factories import make_account, make_contact, make_user

pytestmark = pytest.mark.django_db


def _only(user) -> Notification:
    return Notification.objects.get(recipient=user)


def test_a_manager_assigning_a_contact_notifies_the_new_owner(manager, owner):
    contact = make_contact(manager, first_name="Ravi", last_name="Kumar")
    contact_services.contact_update(
        actor=manager, contact=contact, data={"owner_id": owner.pk}, version=contact.version
    )
    n = _only(owner)
    assert (n.kind, n.object_type, n.object_id) == ("assignment", "contact", str(contact.pk))
    assert n.link == f"/contacts/{contact.pk}/"
    assert n.params == {"actor": str(manager), "object_type": "contact", "record": "Ravi Kumar"}
    with translation.override("en"):
        assert notification_text(n) == f"{manager} assigned the contact “Ravi Kumar” to you."


def test_creating_a_company_for_someone_else_notifies_them(manager, owner):
    account = make_account(manager, name="Acme Traders", owner_id=owner.pk)
    n = _only(owner)
    assert (n.object_type, n.link) == ("account", f"/accounts/{account.pk}/")


def test_taking_a_record_for_yourself_notifies_nobody(manager):
    contact = make_contact(manager)
    contact_services.contact_update(
        actor=manager, contact=contact, data={"owner_id": manager.pk}, version=contact.version
    )
    assert not Notification.objects.exists()


def test_an_update_that_leaves_the_owner_alone_notifies_nobody(manager, owner):
    contact = make_contact(manager, owner_id=owner.pk)
    Notification.objects.all().delete()
    contact_services.contact_update(
        actor=manager,
        contact=contact,
        data={"owner_id": owner.pk, "job_title": "Buyer"},
        version=contact.version,
    )
    assert not Notification.objects.exists()


def test_a_refused_update_leaves_no_notification(manager, owner):
    contact = make_contact(manager)
    with pytest.raises(Conflict):
        contact_services.contact_update(
            actor=manager, contact=contact, data={"owner_id": owner.pk}, version=99
        )
    assert not Notification.objects.exists()


def test_reassigning_a_deal_notifies_its_new_owner(manager, owner):
    deal = deal_create(actor=manager, data={"name": "Acme renewal", "amount": "5000"})
    assert not Notification.objects.exists()
    deal_update(actor=manager, deal=deal, data={"owner_id": owner.pk}, version=deal.version)
    n = _only(owner)
    assert (n.object_type, n.link) == ("deal", f"/sales/deals/{deal.pk}/")
    with translation.override("en"):
        assert notification_text(n) == f"{manager} assigned the deal “Acme renewal” to you."


def test_a_deal_created_for_someone_else_notifies_them(manager, owner):
    deal = deal_create(
        actor=manager, data={"name": "Big order", "amount": "100", "owner_id": owner.pk}
    )
    assert _only(owner).object_id == str(deal.pk)


def test_a_task_assigned_to_a_teammate_notifies_them(manager, owner):
    contact = make_contact(manager)
    task = activity_services.task_create(
        actor=manager,
        data={"subject": "Send the quote", "contact_id": contact.pk, "owner_id": owner.pk},
    )
    n = _only(owner)
    assert (n.object_type, n.link) == ("activity", f"/activities/{task.pk}/")
    with translation.override("en"):
        assert notification_text(n) == f"{manager} assigned the activity “Send the quote” to you."


def test_handing_a_task_over_notifies_the_new_owner_only(manager, owner, teammate):
    contact = make_contact(manager)
    task = activity_services.task_create(
        actor=manager, data={"subject": "Follow up", "contact_id": contact.pk}
    )
    activity_services.activity_update(
        actor=manager, activity=task, data={"owner_id": teammate.pk}, version=task.version
    )
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [teammate.pk]


def test_a_task_for_yourself_notifies_nobody(owner):
    contact = make_contact(owner)
    activity_services.task_create(actor=owner, data={"subject": "Mine", "contact_id": contact.pk})
    assert not Notification.objects.exists()


def test_a_lead_given_by_a_rule_names_the_rule(admin, marketer):
    east = Team.objects.create(name="East")
    rep = make_user("east-rep", "Sales rep", [east])
    assignment_rule_create(
        actor=marketer, data={"name": "East in turn", "strategy": "round_robin", "team_id": east.pk}
    )
    contact = make_contact(admin, first_name="Meera", last_name="Iyer")
    lead_assign(actor=None, contact=contact)
    n = _only(rep)
    assert n.params["rule"] == "East in turn"
    with translation.override("en"):
        assert notification_text(n) == (
            "The rule “East in turn” assigned the contact “Meera Iyer” to you."
        )
