"""Assignment rules: round robin, by territory, lowest open load; the rule is recorded."""

from __future__ import annotations

from collections import Counter

import pytest

from sambandh.contacts.models import Contact
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry
from sambandh.sales.models import AssignmentRule
from sambandh.sales.services.assignment import (
    assignment_rule_create,
    assignment_rule_update,
    lead_assign,
    open_loads,
)
from sambandh.sales.services.deals import deal_create
from sambandh.sales.services.territories import territory_create
from tests.factories import make_contact, make_user

pytestmark = pytest.mark.django_db


def test_round_robin_is_fair_over_many_leads(admin, marketer, north):
    reps = [make_user(f"rep{i}", "Sales rep", [north]) for i in range(3)]
    rule = assignment_rule_create(
        actor=marketer,
        data={"name": "North in turn", "strategy": "round_robin", "team_id": north.pk},
    )
    owners = []
    for _ in range(9):
        contact = make_contact(admin)
        assert lead_assign(actor=None, contact=contact) == rule
        owners.append(contact.owner_id)
    assert Counter(owners) == {r.pk: 3 for r in reps}
    assert owners[:3] == [r.pk for r in reps]  # in id order, then around again
    rule.refresh_from_db()
    assert rule.last_assigned_id == reps[-1].pk


def test_round_robin_skips_inactive_members(admin, marketer, north):
    first = make_user("rep-a", "Sales rep", [north])
    second = make_user("rep-b", "Sales rep", [north], is_active=False)
    assignment_rule_create(
        actor=marketer, data={"name": "RR", "strategy": "round_robin", "team_id": north.pk}
    )
    owners = []
    for _ in range(2):
        contact = make_contact(admin)
        lead_assign(actor=None, contact=contact)
        owners.append(contact.owner_id)
    assert owners == [first.pk, first.pk]
    assert second.pk not in owners


def test_the_assigning_rule_is_recorded(admin, marketer, north):
    rep = make_user("rep-a", "Sales rep", [north])
    rule = assignment_rule_create(
        actor=marketer, data={"name": "RR", "strategy": "round_robin", "team_id": north.pk}
    )
    contact = make_contact(admin)
    lead_assign(actor=None, contact=contact)
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.owner_id, stored.team_id, stored.assigned_by_rule_id) == (
        rep.pk,
        north.pk,
        rule.pk,
    )
    entry = AuditEntry.objects.filter(object_id=str(contact.pk), action="assign").get()
    assert entry.changes["rule"] == [None, "RR"]
    assert entry.changes["owner_id"] == [admin.pk, rep.pk]


def test_lowest_load_picks_the_least_loaded(admin, marketer, north):
    busy = make_user("busy", "Sales rep", [north])
    calm = make_user("calm", "Sales rep", [north])
    idle = make_user("idle", "Sales rep", [north])
    for _ in range(2):
        make_contact(busy, lifecycle_stage="lead")
    make_contact(calm, lifecycle_stage="lead")
    deal_create(actor=idle, data={"name": "Idle's deal", "amount": "100"})
    make_contact(idle, lifecycle_stage="customer")  # not an open lead
    assert open_loads([busy.pk, calm.pk, idle.pk]) == {busy.pk: 2, calm.pk: 1, idle.pk: 1}
    assignment_rule_create(
        actor=marketer, data={"name": "Least", "strategy": "lowest_load", "team_id": north.pk}
    )
    contact = make_contact(admin, lifecycle_stage="lead")
    lead_assign(actor=None, contact=contact)
    assert contact.owner_id == calm.pk  # tie between calm and idle: the lower id
    second = make_contact(admin, lifecycle_stage="lead")
    lead_assign(actor=None, contact=second)
    assert second.owner_id == idle.pk  # calm now has 2


def test_by_territory_uses_its_default_owner(admin, marketer, owner, north):
    territory = territory_create(
        actor=admin,
        data={
            "name": "India",
            "countries": ["IN"],
            "default_owner_id": owner.pk,
            "team_id": north.pk,
        },
    )
    rule = assignment_rule_create(
        actor=marketer, data={"name": "Territory", "strategy": "territory"}
    )
    contact = make_contact(admin, country="IN")
    contact.refresh_from_db()
    assert contact.territory_id == territory.pk
    assert lead_assign(actor=None, contact=contact) == rule
    assert (contact.owner_id, contact.team_id) == (owner.pk, north.pk)


def test_conditions_pick_the_rule_and_order_counts(admin, marketer, north, south):
    north_rep = make_user("north-rep", "Sales rep", [north])
    south_rep = make_user("south-rep", "Sales rep", [south])
    assignment_rule_create(
        actor=marketer,
        data={
            "name": "Indian leads",
            "position": 1,
            "strategy": "round_robin",
            "team_id": north.pk,
            "conditions": {"country": ["IN", "NP"]},
        },
    )
    fallback = assignment_rule_create(
        actor=marketer,
        data={
            "name": "Everyone else",
            "position": 2,
            "strategy": "round_robin",
            "team_id": south.pk,
        },
    )
    indian = make_contact(admin, country="IN")
    lead_assign(actor=None, contact=indian)
    other = make_contact(admin, country="US")
    assert lead_assign(actor=None, contact=other) == fallback
    assert (indian.owner_id, other.owner_id) == (north_rep.pk, south_rep.pk)


def test_no_matching_rule_leaves_the_contact_alone(admin, marketer, north):
    assignment_rule_create(
        actor=marketer,
        data={
            "name": "Only web",
            "strategy": "round_robin",
            "team_id": north.pk,
            "conditions": {"source": "web"},
        },
    )
    contact = make_contact(admin, source="event")
    before = AuditEntry.objects.count()
    assert lead_assign(actor=None, contact=contact) is None
    assert Contact.objects.get(pk=contact.pk).owner_id == admin.pk
    assert AuditEntry.objects.count() == before


def test_rules_are_validated(marketer):
    with pytest.raises(ValidationError) as exc:
        assignment_rule_create(actor=marketer, data={"name": "RR", "strategy": "round_robin"})
    assert exc.value.fields == {"team_id": ["This strategy needs a team."]}
    with pytest.raises(ValidationError) as exc:
        assignment_rule_create(
            actor=marketer,
            data={"name": "X", "strategy": "territory", "conditions": {"shoe_size": "9"}},
        )
    assert list(exc.value.fields) == ["conditions"]
    assert not AssignmentRule.objects.exists()


def test_reps_cannot_change_assignment_rules(owner, marketer, north):
    with pytest.raises(PermissionDenied):
        assignment_rule_create(actor=owner, data={"name": "Mine", "strategy": "territory"})
    rule = assignment_rule_create(actor=marketer, data={"name": "T", "strategy": "territory"})
    with pytest.raises(PermissionDenied):
        assignment_rule_update(actor=owner, rule=rule, data={"name": "x"}, version=1)
    assert AssignmentRule.objects.get().name == "T"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_round_robin_is_race_safe_under_concurrent_assignments(marketer, north):
    """Threads assigning at once still hand out leads in turn (the rule row is locked)."""
    import threading

    from django.db import connection

    from sambandh.core.models import User

    reps = [make_user(f"rep{i}", "Sales rep", [north]) for i in range(4)]
    assignment_rule_create(
        actor=marketer, data={"name": "RR", "strategy": "round_robin", "team_id": north.pk}
    )
    admin = User.objects.get(username="marketer")
    contacts = [make_contact(admin) for _ in range(8)]
    barrier = threading.Barrier(len(contacts))
    errors: list[BaseException] = []

    def assign(contact):
        try:
            barrier.wait(timeout=10)
            lead_assign(actor=None, contact=contact)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(c,)) for c in contacts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    owners = Counter(
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("owner_id", flat=True)
    )
    assert owners == {r.pk: 2 for r in reps}
