"""HTML: the public web form (anonymous, embeddable, CSRF by signed token, honeypot, rate
limit, visitor's language), the lead settings pages (list, create, edit, delete), the lead
panel and qualifying a lead."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.template.loader import get_template, render_to_string
from django.test import Client
from django.utils import translation

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import AuditEntry, User
from sambandh.sales.models import (
    AssignmentRule,
    Deal,
    LeadForm,
    LeadFormSubmission,
    ScoringRule,
    Territory,
)
from sambandh.sales.services.assignment import assignment_rule_create
from sambandh.sales.services.leads import RATE_LIMIT, form_token, lead_form_create
from sambandh.sales.services.scoring import scoring_rule_create
from sambandh.sales.services.territories import territory_create
from tests.factories import make_contact

pytestmark = pytest.mark.django_db
URL = "/sales/forms/diwali/"


@pytest.fixture
def form(marketer):
    return lead_form_create(
        actor=marketer,
        data={
            "name": "Diwali offer",
            "slug": "diwali",
            "source": "diwali",
            "fields": ["first_name", "email", "phone"],
            "thank_you_en": "Thanks, we will call you.",
            "thank_you_hi": "धन्यवाद, हम आपको कॉल करेंगे।",
        },
    )


def _post(client, form, **data):
    body = {"token": form_token(form), "first_name": "Meera", "email": "meera@example.in", **data}
    return client.post(URL, body)


def _state():
    return (
        Contact.objects.count(),
        LeadFormSubmission.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_public_form_is_open_and_embeddable(form):
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL)
    assert page.status_code == 200
    assert "X-Frame-Options" not in page
    html = page.content.decode()
    assert 'name="token"' in html and 'name="website"' in html and 'name="phone"' in html
    response = _post(client, form)
    assert response.status_code == 200
    assert "Thanks, we will call you." in response.content.decode()
    contact = Contact.objects.get()
    assert (contact.first_name, contact.source, getattr(contact.lifecycle_stage, "key", None)) == (
        "Meera",
        "diwali",
        "lead",
    )


def test_other_pages_still_refuse_framing(form, marketer):
    client = Client()
    client.force_login(marketer)
    assert client.get("/sales/lead-forms/")["X-Frame-Options"] == "DENY"


def test_a_filled_honeypot_pretends_success_and_stores_nothing(form):
    before = _state()
    response = _post(Client(), form, website="http://spam.example")
    assert response.status_code == 200
    assert "Thanks, we will call you." in response.content.decode()
    assert _state() == before


def test_a_missing_or_expired_token_stores_nothing(form):
    before = _state()
    client = Client()
    missing = client.post(URL, {"email": "meera@example.in"})
    expired = _post(client, form, token=form_token(form, issued_at=time.time() - 3 * 3600))
    assert (missing.status_code, expired.status_code) == (400, 400)
    assert "This form has expired" in expired.content.decode()
    assert _state() == before


def test_invalid_email_re_renders_with_the_message(form):
    before = _state()
    response = _post(Client(), form, email="meera-at-example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="Meera"' in html  # what the visitor typed stays
    assert _state() == before


def test_errors_in_the_visitors_language(form):
    by_query = (
        Client()
        .post(URL + "?lang=hi", {"token": form_token(form), "email": "bad"})
        .content.decode()
    )
    assert "मान्य ईमेल पता दर्ज करें।" in by_query
    by_header = Client().post(
        URL, {"token": form_token(form), "email": "bad"}, headers={"Accept-Language": "hi"}
    )
    assert "मान्य ईमेल पता दर्ज करें।" in by_header.content.decode()
    thanks = _post(Client(headers={"Accept-Language": "hi"}), form)
    assert "धन्यवाद, हम आपको कॉल करेंगे।" in thanks.content.decode()


def test_the_rate_limit_answers_429(form):
    client = Client()
    for i in range(RATE_LIMIT):
        assert _post(client, form, email=f"p{i}@example.in").status_code == 200
    before = _state()
    response = _post(client, form, email="late@example.in")
    assert response.status_code == 429
    assert "Too many submissions" in response.content.decode()
    assert _state() == before


def test_a_duplicate_email_updates_the_existing_contact(form, owner):
    existing = make_contact(owner, first_name="Meera", email="meera@example.in")
    response = _post(Client(), form, first_name="Other", phone="+91 98765 43210")
    assert response.status_code == 200
    assert Contact.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.first_name, existing.phone, existing.owner_id) == (
        "Meera",
        "+919876543210",
        owner.pk,
    )


def test_an_unknown_or_closed_form_is_not_found(form, marketer):
    assert Client().get("/sales/forms/nothing/").status_code == 404
    LeadForm.objects.filter(pk=form.pk).update(is_active=False)
    assert Client().get(URL).status_code == 404
    assert Client().post(URL, {"email": "x@example.in"}).status_code == 404


def test_the_embed_page_shows_an_iframe_snippet(form, marketer):
    client = Client()
    client.force_login(marketer)
    html = client.get(f"/sales/lead-forms/{form.pk}/embed/").content.decode()
    assert "&lt;iframe src=&quot;http://testserver/sales/forms/diwali/&quot;" in html


def test_settings_pages_list_create_and_edit(marketer, admin):
    client = Client()
    client.force_login(marketer)
    created = client.post(
        "/sales/scoring-rules/new/",
        {"name": "Opened", "kind": "behaviour", "event": "email_opened", "points": "3"},
    )
    assert created.status_code == 302
    rule = ScoringRule.objects.get()
    listing = client.get("/sales/scoring-rules/").content.decode()
    assert "Opened" in listing and "Email opened" in listing
    bad = client.post(
        f"/sales/scoring-rules/{rule.pk}/",
        {
            "name": "Opened",
            "kind": "behaviour",
            "event": "email_opened",
            "points": "x",
            "version": "1",
        },
    )
    assert bad.status_code == 400
    assert "Enter a whole number." in bad.content.decode()
    stale = client.post(
        f"/sales/scoring-rules/{rule.pk}/",
        {
            "name": "Opened",
            "kind": "behaviour",
            "event": "email_opened",
            "points": "4",
            "version": "7",
        },
    )
    assert stale.status_code == 409
    rule.refresh_from_db()
    assert rule.points == 3


def test_territory_page_rejects_a_cycle(admin):
    client = Client()
    client.force_login(admin)
    client.post("/sales/territories/new/", {"name": "India", "countries": "IN", "is_active": "on"})
    india = Territory.objects.get()
    client.post(
        "/sales/territories/new/",
        {"name": "North", "parent_id": str(india.pk), "states": "Delhi", "is_active": "on"},
    )
    north = Territory.objects.get(name="North")
    response = client.post(
        f"/sales/territories/{india.pk}/",
        {"name": "India", "parent_id": str(north.pk), "version": "1", "is_active": "on"},
    )
    assert response.status_code == 400
    assert "A territory cannot be inside itself." in response.content.decode()


def test_the_contact_page_loads_the_lead_panel(admin, marketer, django_assert_max_num_queries):
    scoring_rule_create(
        actor=marketer,
        data={
            "name": "India",
            "kind": "attribute",
            "field": "country",
            "operator": "equals",
            "value": "IN",
            "points": 10,
        },
    )
    contact = make_contact(admin, country="IN")
    client = Client()
    client.force_login(admin)
    # The contact page includes a loader for the panel (rendered here on its own, so this
    # test does not depend on every other panel of the contact page).
    loader = render_to_string(
        "sales/leads/_contact_panel.html", {"kind": {"key": "contact"}, "obj": contact}
    )
    assert f'hx-get="/sales/contacts/{contact.pk}/lead/"' in loader
    source = get_template("contacts/detail.html").template.source  # type: ignore[attr-defined]
    assert '{% include "sales/leads/_contact_panel.html" %}' in source
    with django_assert_max_num_queries(16):
        panel = client.get(f"/sales/contacts/{contact.pk}/lead/", headers={"HX-Request": "true"})
    html = panel.content.decode()
    assert '<span data-testid="lead-score">10</span>' in html
    assert "Country equals IN" in html
    assert "<html" not in html  # a fragment for htmx


def test_qualify_from_the_page(owner):
    contact = make_contact(owner, first_name="Meera", lifecycle_stage="lead")
    client = Client()
    client.force_login(owner)
    form = client.get(f"/sales/contacts/{contact.pk}/qualify/").content.decode()
    assert "Meera Test – deal" in form
    response = client.post(
        f"/sales/contacts/{contact.pk}/qualify/",
        {
            "create_account_name": "Meera Textiles",
            "deal.name": "Looms",
            "deal.amount": "50000",
            "deal.currency": "INR",
            "version": str(contact.version),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    deal = Deal.objects.get()
    assert (deal.name, getattr(deal.account, "name", None)) == ("Looms", "Meera Textiles")
    panel = client.get(f"/sales/contacts/{contact.pk}/lead/").content.decode()
    assert "Looms" in panel


def test_qualify_with_bad_data_shows_errors_and_changes_nothing(owner):
    contact = make_contact(owner, lifecycle_stage="lead")
    client = Client()
    client.force_login(owner)
    before = (AuditEntry.objects.count(), Account.objects.count(), Deal.objects.count())
    response = client.post(
        f"/sales/contacts/{contact.pk}/qualify/",
        {"create_account_name": "Half Ltd", "deal.name": "", "version": str(contact.version)},
    )
    assert response.status_code == 400
    assert 'data-testid="errors-deal.name"' in response.content.decode()
    assert (AuditEntry.objects.count(), Account.objects.count(), Deal.objects.count()) == before


# ---------------------------------------------------------------- deleting settings

# key: (address prefix, model, how to make one as an actor)
SETTINGS: dict[str, tuple[str, Any, Callable[[User], Any]]] = {
    "territory": (
        "/sales/territories/",
        Territory,
        lambda actor: territory_create(actor=actor, data={"name": "Nepal", "countries": ["NP"]}),
    ),
    "lead_form": (
        "/sales/lead-forms/",
        LeadForm,
        lambda actor: lead_form_create(actor=actor, data={"name": "Holi", "slug": "holi"}),
    ),
    "scoring_rule": (
        "/sales/scoring-rules/",
        ScoringRule,
        lambda actor: scoring_rule_create(
            actor=actor,
            data={"name": "Opened", "kind": "behaviour", "event": "email_opened", "points": 3},
        ),
    ),
    "assignment_rule": (
        "/sales/assignment-rules/",
        AssignmentRule,
        lambda actor: assignment_rule_create(
            actor=actor, data={"name": "Web leads", "strategy": "territory"}
        ),
    ),
}


def _logged_in(user, *, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _csrf_token(html):
    marker = 'name="csrfmiddlewaretoken" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("key", list(SETTINGS))
def test_each_settings_kind_is_deleted_after_a_confirm_page(key, admin):
    prefix, model, make = SETTINGS[key]
    obj = make(admin)
    client = _logged_in(admin, csrf=True)
    listing = client.get(prefix).content.decode()
    assert f'href="{prefix}{obj.pk}/delete/" data-testid="settings-delete"' in listing
    edit = client.get(f"{prefix}{obj.pk}/").content.decode()
    assert f'href="{prefix}{obj.pk}/delete/" data-testid="settings-delete"' in edit
    confirm = client.get(f"{prefix}{obj.pk}/delete/")
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f"Delete “{obj}”?" in html
    assert f'<form method="post" class="actions" data-testid="delete-form" action="{prefix}' in html
    assert model.objects.filter(pk=obj.pk).exists()  # asking deletes nothing
    audit_before = AuditEntry.objects.filter(action="delete").count()
    response = client.post(f"{prefix}{obj.pk}/delete/", {"csrfmiddlewaretoken": _csrf_token(html)})
    assert (response.status_code, response["Location"]) == (302, prefix)
    assert not model.objects.filter(pk=obj.pk).exists()
    assert AuditEntry.objects.filter(action="delete").count() == audit_before + 1
    assert "Deleted." in client.get(prefix).content.decode()


def test_a_delete_without_the_csrf_token_is_refused(admin):
    prefix, model, make = SETTINGS["lead_form"]
    form = make(admin)
    before = _state()
    response = _logged_in(admin, csrf=True).post(f"{prefix}{form.pk}/delete/")
    assert response.status_code == 403
    assert model.objects.filter(pk=form.pk).exists()
    assert _state() == before


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("territory", "marketer"),  # marketers configure lead settings, not territories
        ("territory", "owner"),
        ("lead_form", "reader"),
        ("scoring_rule", "agent"),
        ("assignment_rule", "owner"),
    ],
)
def test_a_role_that_may_not_delete_sees_no_button_and_gets_403(key, role, admin, request):
    prefix, model, make = SETTINGS[key]
    obj = make(admin)
    client = _logged_in(request.getfixturevalue(role))
    listing = client.get(prefix)
    assert listing.status_code == 200
    assert str(obj) in listing.content.decode()
    assert 'data-testid="settings-delete"' not in listing.content.decode()
    before = (model.objects.count(), AuditEntry.objects.count())
    assert client.get(f"{prefix}{obj.pk}/delete/").status_code == 403
    assert client.post(f"{prefix}{obj.pk}/delete/").status_code == 403
    assert (model.objects.count(), AuditEntry.objects.count()) == before


def test_a_marketer_sees_delete_on_lead_settings(admin, marketer):
    prefix, _model, make = SETTINGS["scoring_rule"]
    rule = make(admin)
    html = _logged_in(marketer).get(prefix).content.decode()
    assert f'href="{prefix}{rule.pk}/delete/" data-testid="settings-delete"' in html


def test_deleting_an_unknown_record_is_not_found(admin):
    client = _logged_in(admin)
    assert client.get("/sales/territories/999999/delete/").status_code == 404
    assert client.post("/sales/assignment-rules/999999/delete/").status_code == 404


def test_a_territory_with_sub_territories_is_kept_and_the_page_says_why(admin):
    india = territory_create(actor=admin, data={"name": "India", "countries": ["IN"]})
    north = territory_create(
        actor=admin, data={"name": "North", "parent_id": india.pk, "states": ["Delhi"]}
    )
    before = (Territory.objects.count(), AuditEntry.objects.count())
    response = _logged_in(admin).post(f"/sales/territories/{india.pk}/delete/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This territory has sub-territories. Move or delete them first." in html
    assert 'data-testid="confirm-delete"' in html
    assert (Territory.objects.count(), AuditEntry.objects.count()) == before
    # Once the sub-territory is gone, the parent can go too.
    client = _logged_in(admin)
    assert client.post(f"/sales/territories/{north.pk}/delete/").status_code == 302
    assert client.post(f"/sales/territories/{india.pk}/delete/").status_code == 302
    assert not Territory.objects.exists()


def test_deleting_a_territory_in_use_leaves_its_contacts_without_it(admin):
    nepal = territory_create(actor=admin, data={"name": "Nepal", "countries": ["NP"]})
    contact = make_contact(admin, country="NP")
    contact.refresh_from_db()
    assert contact.territory_id == nepal.pk
    response = _logged_in(admin).post(f"/sales/territories/{nepal.pk}/delete/")
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.territory_id is None
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_the_delete_page_in_the_users_language(admin):
    rule = SETTINGS["assignment_rule"][2](admin)
    admin.language = "hi"
    admin.save()
    # The user-preferences middleware leaves Hindi active after the request; override puts
    # back the language this test started with, so later tests are not run in Hindi.
    with translation.override(translation.get_language()):
        page = _logged_in(admin).get(f"/sales/assignment-rules/{rule.pk}/delete/")
    html = page.content.decode()
    assert "“Web leads” हटाएँ?" in html
    assert "इसके द्वारा सौंपे गए संपर्कों के स्वामी वही रहेंगे।" in html
    assert "ऑडिट ट्रेल में रिकॉर्ड बना रहेगा।" in html
