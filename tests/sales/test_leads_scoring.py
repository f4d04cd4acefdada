"""Lead scoring: attribute and behaviour rules, decay over time, stored scores."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sambandh.contacts import services as contact_services
from sambandh.contacts.models import Contact
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.sales.models import LeadScoreEvent, ScoringRule
from sambandh.sales.services.scoring import (
    decayed,
    lead_score_compute,
    lead_score_record,
    lead_scores_refresh,
    scoring_rule_create,
    scoring_rule_update,
)
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _attribute(actor, name, field, operator, value, points):
    return scoring_rule_create(
        actor=actor,
        data={
            "name": name,
            "kind": "attribute",
            "field": field,
            "operator": operator,
            "value": value,
            "points": points,
        },
    )


def _behaviour(actor, name, event, points, decay_days=None):
    return scoring_rule_create(
        actor=actor,
        data={
            "name": name,
            "kind": "behaviour",
            "event": event,
            "points": points,
            "decay_days": decay_days,
        },
    )


def test_attribute_rules_add_points_with_reasons(marketer, admin):
    _attribute(marketer, "In India", "country", "equals", "in", 10)
    _attribute(marketer, "Leader", "job_title", "contains", "director", 15)
    _attribute(marketer, "Big company", "account.size_band", "gte", "201-1000", 20)
    _attribute(marketer, "IT", "account.industry", "in", "Software, IT services", 5)
    account = make_account(admin, size_band="1001-5000", industry="it services")
    contact = make_contact(admin, country="IN", job_title="Sales Director", account_id=account.pk)
    score = lead_score_compute(contact)
    assert score.total == 50
    assert sorted((r.rule, r.points) for r in score.reasons) == [
        ("Big company", 20),
        ("IT", 5),
        ("In India", 10),
        ("Leader", 15),
    ]
    contact.refresh_from_db()
    assert contact.lead_score == 50  # stored when the contact was created


def test_a_smaller_company_does_not_reach_gte(marketer, admin):
    _attribute(marketer, "Big company", "account.size_band", "gte", "201-1000", 20)
    account = make_account(admin, size_band="51-200")
    contact = make_contact(admin, account_id=account.pk)
    assert lead_score_compute(contact).total == 0


def test_changing_a_field_updates_the_stored_score(marketer, admin):
    _attribute(marketer, "In India", "country", "equals", "IN", 10)
    contact = make_contact(admin, country="US")
    assert Contact.objects.get(pk=contact.pk).lead_score == 0
    contact_services.contact_update(
        actor=admin, contact=contact, data={"country": "IN"}, version=contact.version
    )
    assert Contact.objects.get(pk=contact.pk).lead_score == 10


def test_company_changes_rescore_its_contacts(marketer, admin):
    _attribute(marketer, "IT", "account.industry", "equals", "Software", 7)
    account = make_account(admin, industry="Retail")
    contact = make_contact(admin, account_id=account.pk)
    account.refresh_from_db()
    contact_services.account_update(
        actor=admin, account=account, data={"industry": "Software"}, version=account.version
    )
    assert Contact.objects.get(pk=contact.pk).lead_score == 7


def test_behaviour_points_are_recorded_and_summed(marketer, admin):
    _behaviour(marketer, "Opened", "email_opened", 3)
    contact = make_contact(admin)
    lead_score_record(contact=contact, event="email_opened", reason="Newsletter")
    lead_score_record(contact=contact, event="email_opened", reason="Offer")
    lead_score_record(contact=contact, event="meeting_held")  # no rule scores it
    assert LeadScoreEvent.objects.filter(contact=contact).count() == 2
    score = lead_score_compute(contact)
    assert score.total == 6
    assert [(r.rule, r.points, r.detail) for r in score.reasons] == [
        ("Opened", 6, "Email opened × 2")
    ]
    assert Contact.objects.get(pk=contact.pk).lead_score == 6


def test_an_unknown_behaviour_is_refused(admin):
    contact = make_contact(admin)
    with pytest.raises(ValidationError):
        lead_score_record(contact=contact, event="danced")
    assert not LeadScoreEvent.objects.exists()


def test_decay_fades_points_linearly_to_zero():
    at = NOW - dt.timedelta(days=15)
    assert decayed(20, at, 30, NOW) == pytest.approx(10)
    assert decayed(20, NOW, 30, NOW) == 20
    assert decayed(20, NOW - dt.timedelta(days=31), 30, NOW) == 0
    assert decayed(20, NOW - dt.timedelta(days=400), None, NOW) == 20


def test_decay_over_time_with_explicit_now(marketer, admin):
    _behaviour(marketer, "Meeting", "meeting_held", 40, decay_days=10)
    contact = make_contact(admin)
    lead_score_record(contact=contact, event="meeting_held", occurred_at=NOW)
    assert lead_score_compute(contact, now=NOW).total == 40
    assert lead_score_compute(contact, now=NOW + dt.timedelta(days=5)).total == 20
    assert lead_score_compute(contact, now=NOW + dt.timedelta(days=10)).total == 0
    # The daily task stores the faded score, in batches.
    other = make_contact(admin)
    lead_score_record(contact=other, event="meeting_held", occurred_at=NOW)
    changed = lead_scores_refresh(now=NOW + dt.timedelta(days=5), only_decaying=True, batch_size=1)
    assert changed == 2
    assert sorted(
        Contact.objects.filter(pk__in=[contact.pk, other.pk]).values_list("lead_score", flat=True)
    ) == [20, 20]


def test_a_rule_change_rescores_stored_scores(marketer, admin):
    rule = _attribute(marketer, "In India", "country", "equals", "IN", 10)
    contact = make_contact(admin, country="IN")
    assert Contact.objects.get(pk=contact.pk).lead_score == 10
    scoring_rule_update(actor=marketer, rule=rule, data={"points": 25}, version=rule.version)
    assert Contact.objects.get(pk=contact.pk).lead_score == 25
    scoring_rule_update(actor=marketer, rule=rule, data={"is_active": False}, version=2)
    assert Contact.objects.get(pk=contact.pk).lead_score == 0


def test_rules_are_validated_per_kind(marketer):
    with pytest.raises(ValidationError) as exc:
        scoring_rule_create(
            actor=marketer,
            data={"name": "x", "kind": "attribute", "field": "country", "points": 5},
        )
    assert set(exc.value.fields) == {"operator", "value"}
    with pytest.raises(ValidationError) as exc:
        scoring_rule_create(
            actor=marketer,
            data={
                "name": "x",
                "kind": "attribute",
                "field": "country",
                "operator": "gte",
                "value": "IN",
                "points": 5,
            },
        )
    assert set(exc.value.fields) == {"operator"}
    with pytest.raises(ValidationError) as exc:
        scoring_rule_create(
            actor=marketer, data={"name": "x", "kind": "behaviour", "event": "sang", "points": 5}
        )
    assert set(exc.value.fields) == {"event"}
    with pytest.raises(ValidationError) as exc:
        scoring_rule_create(
            actor=marketer,
            data={"name": "x", "kind": "behaviour", "event": "email_opened", "points": 5000},
        )
    assert set(exc.value.fields) == {"points"}
    assert not ScoringRule.objects.exists()


def test_sales_reps_cannot_change_rules(owner):
    with pytest.raises(PermissionDenied):
        _behaviour(owner, "Opened", "email_opened", 3)
    assert not ScoringRule.objects.exists()


def test_scores_use_now_by_default(marketer, admin):
    _behaviour(marketer, "Form", "form_submitted", 5, decay_days=30)
    contact = make_contact(admin)
    lead_score_record(contact=contact, event="form_submitted", occurred_at=timezone.now())
    assert lead_score_compute(contact).total == 5


def test_the_daily_decay_task_stores_faded_scores(marketer, admin):
    from sambandh.sales.tasks import lead_scores_decay_task

    _behaviour(marketer, "Meeting", "meeting_held", 30, decay_days=1)
    contact = make_contact(admin)
    lead_score_record(
        contact=contact, event="meeting_held", occurred_at=timezone.now() - dt.timedelta(days=2)
    )
    Contact.objects.filter(pk=contact.pk).update(lead_score=30)  # as stored two days ago
    assert lead_scores_decay_task.call_local() == 1
    assert Contact.objects.get(pk=contact.pk).lead_score == 0
    assert lead_scores_decay_task.call_local() == 0
