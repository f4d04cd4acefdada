"""Lead capture through the services: dedup by email, stage and source, assignment, scoring,
rate limit, form tokens; and qualifying a lead in one all-or-nothing action."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry
from sambandh.sales.models import Deal, DealContact, LeadFormSubmission
from sambandh.sales.services.assignment import assignment_rule_create
from sambandh.sales.services.leads import (
    RATE_LIMIT,
    RateLimited,
    capture_actor,
    form_token,
    form_token_valid,
    lead_capture,
    lead_capture_api,
    lead_form_create,
    lead_qualify,
)
from sambandh.sales.services.scoring import scoring_rule_create
from tests.factories import make_contact, make_user

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def form(marketer):
    return lead_form_create(
        actor=marketer,
        data={
            "name": "Diwali offer",
            "slug": "diwali",
            "source": "diwali-campaign",
            "fields": ["first_name", "last_name", "email", "phone", "country"],
        },
    )


def test_a_new_lead_is_created_with_stage_and_source(form):
    result = lead_capture(
        form=form,
        data={"first_name": "Meera", "email": "Meera@Example.in", "country": "IN"},
        client="c1",
    )
    assert result.was_created
    contact = Contact.objects.get(pk=result.contact.pk)
    assert (contact.email, getattr(contact.lifecycle_stage, "key", None), contact.source) == (
        "meera@example.in",
        "lead",
        "diwali-campaign",
    )
    assert contact.owner_id is None
    assert getattr(contact.created_by, "username", None) == "system-web-forms"
    submission = LeadFormSubmission.objects.get()
    assert (submission.contact_id, submission.was_new_contact) == (contact.pk, True)
    entry = AuditEntry.objects.filter(
        object_type="contact", object_id=str(contact.pk), action="create"
    ).get()
    assert entry.actor_label == "system-web-forms"


def test_a_duplicate_email_updates_instead_of_creating(form, owner):
    existing = make_contact(owner, first_name="Meera", email="meera@example.in", phone="")
    result = lead_capture(
        form=form,
        data={
            "first_name": "Someone Else",
            "last_name": "",
            "email": "MEERA@example.in",
            "phone": "98765 43210",
        },
        client="c1",
    )
    assert not result.was_created
    assert result.contact.pk == existing.pk
    assert Contact.objects.count() == 1
    existing.refresh_from_db()
    # Empty fields are filled; values are never overwritten, blanks never clear them.
    assert (existing.first_name, existing.last_name, existing.phone) == (
        "Meera",
        "Test",
        "+919876543210",
    )
    assert existing.owner_id == owner.pk
    assert existing.source == "diwali-campaign"
    assert LeadFormSubmission.objects.get().was_new_contact is False


def test_invalid_email_stores_nothing(form):
    before = (Contact.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        lead_capture(form=form, data={"first_name": "X", "email": "not-an-email"}, client="c1")
    assert exc.value.fields == {"email": ["Enter a valid email address."]}
    with pytest.raises(ValidationError) as exc:
        lead_capture(form=form, data={"first_name": "X"}, client="c1")
    assert exc.value.fields == {"email": ["Enter your email address."]}
    assert (Contact.objects.count(), AuditEntry.objects.count()) == before
    assert not LeadFormSubmission.objects.exists()


def test_the_rate_limit_counts_recent_submissions_per_client(form):
    for i in range(RATE_LIMIT):
        lead_capture(form=form, data={"email": f"p{i}@example.in"}, client="c1", now=NOW)
    with pytest.raises(RateLimited):
        lead_capture(form=form, data={"email": "late@example.in"}, client="c1", now=NOW)
    assert not Contact.objects.filter(email="late@example.in").exists()
    # Another client is not affected; a minute later the first may post again.
    lead_capture(form=form, data={"email": "other@example.in"}, client="c2", now=NOW)
    later = NOW + dt.timedelta(seconds=61)
    lead_capture(form=form, data={"email": "late@example.in"}, client="c1", now=later)
    assert Contact.objects.filter(email="late@example.in").exists()


def test_new_web_leads_are_assigned_then_scored(form, marketer, north):
    rep = make_user("rep", "Sales rep", [north])
    rule = assignment_rule_create(
        actor=marketer, data={"name": "RR", "strategy": "round_robin", "team_id": north.pk}
    )
    scoring_rule_create(
        actor=marketer,
        data={"name": "Form", "kind": "behaviour", "event": "form_submitted", "points": 12},
    )
    result = lead_capture(form=form, data={"email": "new@example.in"}, client="c1")
    contact = Contact.objects.get(pk=result.contact.pk)
    assert (contact.owner_id, contact.assigned_by_rule_id, contact.lead_score) == (
        rep.pk,
        rule.pk,
        12,
    )


def test_a_closed_form_refuses(form, marketer):
    from sambandh.sales.services.leads import lead_form_update

    form = lead_form_update(actor=marketer, form=form, data={"is_active": False}, version=1)
    with pytest.raises(ValidationError):
        lead_capture(form=form, data={"email": "new@example.in"}, client="c1")
    assert not Contact.objects.exists()


def test_form_tokens_are_signed_per_form_and_expire(form, marketer):
    other = lead_form_create(actor=marketer, data={"name": "Other", "slug": "other"})
    token = form_token(form)
    assert form_token_valid(form, token)
    assert not form_token_valid(other, token)
    assert not form_token_valid(form, token + "x")
    assert not form_token_valid(form, form_token(form, issued_at=time.time() - 3 * 60 * 60))


def test_the_capture_actor_cannot_log_in(form):
    actor = capture_actor()
    assert not actor.is_active
    assert not actor.has_usable_password()


def test_api_capture_updates_a_duplicate_the_caller_may_change(owner, manager):
    first = lead_capture_api(actor=owner, data={"email": "a@example.in", "first_name": "A"})
    assert first.was_created and first.contact.owner_id == owner.pk
    again = lead_capture_api(actor=manager, data={"email": "A@example.in", "job_title": "CTO"})
    assert not again.was_created
    stored = Contact.objects.get()
    assert (stored.job_title, stored.owner_id) == ("CTO", owner.pk)


def test_api_capture_of_a_duplicate_the_caller_may_not_change_is_refused(owner, teammate):
    lead_capture_api(actor=owner, data={"email": "a@example.in"})
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        lead_capture_api(actor=teammate, data={"email": "a@example.in", "job_title": "CTO"})
    assert Contact.objects.get().job_title == ""
    assert AuditEntry.objects.count() == before


def test_api_capture_does_not_see_duplicates_outside_the_callers_scope(owner, outsider):
    lead_capture_api(actor=owner, data={"email": "a@example.in"})
    result = lead_capture_api(actor=outsider, data={"email": "a@example.in"})
    assert result.was_created  # the outsider cannot learn that the owner has this lead
    assert Contact.objects.filter(email="a@example.in").count() == 2


# ---------------------------------------------------------------- qualify


def _deal(**extra):
    return {"name": "Meera's deal", "amount": "250000", "currency": "INR", **extra}


def test_qualify_creates_the_company_and_the_deal(owner):
    lead = make_contact(owner, first_name="Meera", country="IN", lifecycle_stage="lead")
    result = lead_qualify(
        actor=owner,
        contact=lead,
        create_account_name="Meera Textiles",
        deal=_deal(expected_close_on="2026-06-30"),
        version=lead.version,
    )
    lead.refresh_from_db()
    assert getattr(lead.account, "name", None) == "Meera Textiles"
    assert getattr(lead.account, "country", None) == "IN"
    assert getattr(lead.lifecycle_stage, "key", None) == "opportunity"
    deal = Deal.objects.get()
    assert (deal.account_id, deal.amount, str(deal.expected_close_on)) == (
        lead.account_id,
        Decimal("250000"),
        "2026-06-30",
    )
    assert result.deal.pk == deal.pk
    assert DealContact.objects.get().role == "decision_maker"
    assert AuditEntry.objects.filter(action="qualify", object_id=str(lead.pk)).exists()


def test_qualify_links_an_existing_company(owner):
    from tests.factories import make_account

    account = make_account(owner, name="Known Ltd")
    lead = make_contact(owner, lifecycle_stage="lead")
    lead_qualify(actor=owner, contact=lead, account=account.pk, deal=_deal())
    lead.refresh_from_db()
    assert lead.account_id == account.pk
    assert Account.objects.count() == 1


def test_qualifying_a_customer_keeps_its_stage_and_still_makes_the_deal(owner):
    customer = make_contact(owner, first_name="Loyal", lifecycle_stage="customer")
    lead_qualify(
        actor=owner,
        contact=customer,
        create_account_name="Loyal Traders",
        deal=_deal(name="Second order"),
        version=customer.version,
    )
    customer.refresh_from_db()
    assert getattr(customer.lifecycle_stage, "key", None) == "customer"
    assert Deal.objects.get().name == "Second order"


def test_qualify_rolls_back_everything_on_invalid_deal_data(owner):
    lead = make_contact(owner, lifecycle_stage="lead")
    before = (Account.objects.count(), Deal.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        lead_qualify(
            actor=owner,
            contact=lead,
            create_account_name="Half Made Ltd",
            deal=_deal(amount="-5", currency="XYZ"),
        )
    assert set(exc.value.fields) == {"deal.amount", "deal.currency"}
    assert (Account.objects.count(), Deal.objects.count(), AuditEntry.objects.count()) == before
    lead.refresh_from_db()
    assert (lead.account_id, getattr(lead.lifecycle_stage, "key", None)) == (None, "lead")


def test_qualify_needs_a_company(owner):
    lead = make_contact(owner)
    with pytest.raises(ValidationError) as exc:
        lead_qualify(actor=owner, contact=lead, deal=_deal())
    assert list(exc.value.fields) == ["account"]
    assert not Deal.objects.exists()
