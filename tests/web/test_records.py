"""Contacts and companies through the HTML pages: lists, forms, inline edit, notes, search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sambandh.contacts.models import Account, Contact, Note
from sambandh.core.models import AuditEntry
from tests.factories import make_account, make_contact, make_note
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def _rows(body: str) -> int:
    return body.count('data-testid="contact-row"')


# ---------------------------------------------------------------- lists


def test_list_filter_by_city_returns_only_matching_rows_as_a_fragment(owner, client_for):
    make_contact(owner, first_name="Meera", city="Pune")
    make_contact(owner, first_name="Ravi", city="Delhi")
    response = client_for(owner).get(reverse("web:contact_list"), {"city": "Pune"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert _rows(body) == 1
    assert "Meera" in body
    assert "Ravi" not in body
    assert "<html" not in body
    assert "<tbody" not in body


def test_list_filter_by_lifecycle_stage(owner, client_for):
    make_contact(owner, first_name="Meera", lifecycle_stage="lead")
    make_contact(owner, first_name="Ravi", lifecycle_stage="customer")
    response = client_for(owner).get(reverse("web:contact_list"), {"stage": "customer"})
    body = response.content.decode()
    assert _rows(body) == 1
    assert "Ravi" in body


def test_list_pages_with_load_more_and_the_next_page_continues_where_the_first_ended(
    owner, client_for
):
    for n in range(55):
        make_contact(owner, first_name=f"P{n:02d}", last_name="Same")
    client = client_for(owner)
    first = client.get(reverse("web:contact_list"), {"sort": "first_name"}).content.decode()
    assert _rows(first) == 50
    assert 'data-testid="load-more"' in first
    next_url = first.split('data-testid="load-more-row"')[1].split('hx-get="')[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&"), **HTMX).content.decode()
    assert _rows(second) == 5
    assert "P50 Same" in second
    assert "P49 Same" not in second
    assert 'data-testid="load-more"' not in second


def test_list_hides_contacts_of_other_teams(owner, outsider, client_for):
    make_contact(outsider, first_name="Hidden")
    body = client_for(owner).get(reverse("web:contact_list")).content.decode()
    assert "Hidden" not in body


def test_list_with_a_bad_sort_is_a_400_with_a_message(owner, client_for):
    response = client_for(owner).get(reverse("web:contact_list"), {"sort": "password"}, **HTMX)
    assert response.status_code == 400
    assert 'data-testid="list-error"' in response.content.decode()


def test_account_list_filters_by_type(owner, client_for):
    make_account(owner, name="Acme", type="customer")
    make_account(owner, name="Globex", type="partner")
    body = client_for(owner).get(reverse("web:account_list"), {"type": "partner"}).content.decode()
    assert body.count('data-testid="account-row"') == 1
    assert "Globex" in body


# ---------------------------------------------------------------- create and edit


def test_create_contact_saves_and_redirects_to_its_page(owner, client_for):
    response = client_for(owner).post(
        reverse("web:contact_create"),
        {"first_name": "प्रिया", "last_name": "शर्मा", "email": "Priya@Example.in"},
    )
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert (contact.first_name, contact.email, contact.owner) == (
        "प्रिया",
        "priya@example.in",
        owner,
    )


def test_create_contact_with_bad_input_shows_field_errors_and_writes_nothing(owner, client_for):
    audit_before = AuditEntry.objects.count()
    response = client_for(owner).post(
        reverse("web:contact_create"),
        {"first_name": "Ravi", "email": "not-an-email", "birthday": "2999-01-01"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="errors-email"' in body
    assert "Enter a valid email address." in body
    assert 'data-testid="errors-birthday"' in body
    assert "Enter a date that is not in the future." in body
    assert 'value="Ravi"' in body
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_create_is_forbidden_for_a_read_only_user(reader, client_for):
    response = client_for(reader).post(reverse("web:contact_create"), {"first_name": "X"})
    assert response.status_code == 403
    assert Contact.objects.count() == 0


def test_edit_saves_only_the_changed_field(owner, client_for):
    contact = make_contact(owner, first_name="Meera", last_name="Iyer", city="Pune")
    client = client_for(owner)
    form = client.get(reverse("web:contact_edit", args=[contact.pk]))
    assert form.status_code == 200
    data = {
        "version": contact.version,
        "first_name": "Meera",
        "last_name": "Iyer",
        "city": "Mumbai",
        "owner_id": str(owner.pk),
        "team_id": str(contact.team_id),
        "type": "",
    }
    response = client.post(reverse("web:contact_edit", args=[contact.pk]), data)
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_id=str(contact.pk), action="update").get()
    assert entry.changes == {"city": ["Pune", "Mumbai"]}


def test_edit_with_a_stale_version_shows_the_conflict_and_changes_nothing(owner, client_for):
    contact = make_contact(owner, first_name="Meera", city="Pune")
    response = client_for(owner).post(
        reverse("web:contact_edit", args=[contact.pk]),
        {
            "version": contact.version - 1 if contact.version > 1 else 99,
            "first_name": "Meera",
            "city": "Mumbai",
            "owner_id": str(owner.pk),
            "team_id": str(contact.team_id),
        },
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "This record was changed by someone else. Reload it and try again." in body
    assert 'data-testid="reload-form"' in body
    contact.refresh_from_db()
    assert contact.city == "Pune"


def test_teammate_may_see_but_not_edit_the_owners_contact(owner, teammate, client_for):
    contact = make_contact(owner, first_name="Meera")
    client = client_for(teammate)
    assert client.get(reverse("web:contact_detail", args=[contact.pk])).status_code == 200
    response = client.post(
        reverse("web:contact_edit", args=[contact.pk]), {"version": 1, "first_name": "Changed"}
    )
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.first_name == "Meera"


def test_delete_asks_first_then_deletes_on_post(owner, client_for):
    contact = make_contact(owner)
    client = client_for(owner)
    confirm = client.get(reverse("web:contact_delete", args=[contact.pk]))
    assert confirm.status_code == 200
    assert Contact.objects.filter(pk=contact.pk).exists()
    response = client.post(reverse("web:contact_delete", args=[contact.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_delete_by_a_teammate_is_forbidden_and_keeps_the_contact(owner, teammate, client_for):
    contact = make_contact(owner)
    response = client_for(teammate).post(reverse("web:contact_delete", args=[contact.pk]))
    assert response.status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_create_account_with_revenue_shows_it_in_indian_grouping(owner, client_for):
    client = client_for(owner)
    response = client.post(
        reverse("web:account_create"),
        {"name": "Tata Steel", "type": "customer", "annual_revenue": "100000"},
    )
    account = Account.objects.get()
    assert response["Location"] == f"/accounts/{account.pk}/"
    body = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "₹1,00,000.00" in body


# ---------------------------------------------------------------- inline edit


def test_inline_edit_form_carries_the_current_version(owner, client_for):
    contact = make_contact(owner, job_title="CFO")
    response = client_for(owner).get(
        reverse("web:contact_field_edit", args=[contact.pk, "job_title"]), **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="version" value="{contact.version}"' in body
    assert 'value="CFO"' in body


def test_inline_edit_saves_one_field_and_returns_the_new_value(owner, client_for):
    contact = make_contact(owner, job_title="CFO")
    response = client_for(owner).post(
        reverse("web:contact_field", args=[contact.pk, "job_title"]),
        {"job_title": "CEO", "version": contact.version},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="value-job_title">CEO</span>' in body
    assert response["HX-Trigger"] == '{"recordChanged": {}}'
    contact.refresh_from_db()
    assert (contact.job_title, contact.version) == ("CEO", 2)


def test_inline_edit_with_a_stale_version_is_a_409_and_changes_nothing(owner, client_for):
    contact = make_contact(owner, job_title="CFO")
    response = client_for(owner).post(
        reverse("web:contact_field", args=[contact.pk, "job_title"]),
        {"job_title": "CEO", "version": contact.version + 1},
        **HTMX,
    )
    assert response.status_code == 409
    assert "This record was changed by someone else." in response.content.decode()
    contact.refresh_from_db()
    assert contact.job_title == "CFO"


def test_inline_edit_with_a_bad_value_shows_the_field_error(owner, client_for):
    contact = make_contact(owner, email="a@example.com")
    response = client_for(owner).post(
        reverse("web:contact_field", args=[contact.pk, "email"]),
        {"email": "nope", "version": contact.version},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    contact.refresh_from_db()
    assert contact.email == "a@example.com"


def test_inline_edit_of_an_unknown_field_is_not_found(owner, client_for):
    contact = make_contact(owner)
    response = client_for(owner).get(
        reverse("web:contact_field_edit", args=[contact.pk, "password"]), **HTMX
    )
    assert response.status_code == 404


# ---------------------------------------------------------------- notes and history


def test_adding_a_note_returns_the_notes_with_the_new_one(owner, client_for):
    contact = make_contact(owner)
    response = client_for(owner).post(
        reverse("web:contact_notes", args=[contact.pk]), {"body": "Wants a demo"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Wants a demo" in body
    assert body.count('data-testid="note"') == 1
    assert Note.objects.get().contact == contact


def test_an_empty_note_is_refused_with_a_message(owner, client_for):
    contact = make_contact(owner)
    response = client_for(owner).post(
        reverse("web:contact_notes", args=[contact.pk]), {"body": "  "}, **HTMX
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Note.objects.count() == 0


def test_history_shows_who_changed_what_with_before_and_after(owner, client_for):
    contact = make_contact(owner, city="Pune")
    client = client_for(owner)
    client.post(
        reverse("web:contact_field", args=[contact.pk, "city"]),
        {"city": "Mumbai", "version": contact.version},
        **HTMX,
    )
    body = client.get(reverse("web:contact_history", args=[contact.pk]), **HTMX).content.decode()
    assert body.count('data-testid="history-entry"') == 2
    assert "<td>Pune</td><td>Mumbai</td>" in body
    assert "Asha Rao" in body


def test_detail_page_query_count_does_not_grow_with_notes_and_history(owner, client_for):
    contact = make_contact(owner)
    client = client_for(owner)
    url = reverse("web:contact_detail", args=[contact.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        make_note(owner, contact=contact, body=f"note {n}")
        contact.refresh_from_db()
        client.post(
            reverse("web:contact_field", args=[contact.pk, "city"]),
            {"city": f"City {n}", "version": contact.version},
            **HTMX,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('data-testid="note"') == 10
    assert len(many.captured_queries) == len(few.captured_queries)


# ---------------------------------------------------------------- escaping and search


def test_script_in_a_name_is_shown_escaped(owner, client_for):
    contact = make_contact(owner, first_name="<script>alert(1)</script>")
    client = client_for(owner)
    for url in (reverse("web:contact_detail", args=[contact.pk]), reverse("web:contact_list")):
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_search_page_without_htmx_is_a_whole_page(owner, client_for):
    make_account(owner, name="Infosys")
    response = client_for(owner).get(reverse("web:search"), {"q": "fosy"})
    body = response.content.decode()
    assert "<html" in body
    assert "Infosys" in body


def test_search_does_not_show_records_of_other_teams(owner, outsider, client_for):
    make_contact(outsider, first_name="Gupta")
    body = client_for(owner).get(reverse("web:search"), {"q": "Gupta"}, **HTMX).content.decode()
    assert 'data-testid="search-hit"' not in body


def test_search_dropdown_escapes_script_in_a_name(owner, client_for):
    make_contact(owner, first_name="<script>x()</script>", last_name="Kapoor")
    body = client_for(owner).get(reverse("web:search"), {"q": "Kapoor"}, **HTMX).content.decode()
    assert "<script>x()</script>" not in body
    assert "&lt;script&gt;x()&lt;/script&gt; Kapoor" in body


def test_the_author_deletes_a_note_and_gets_the_notes_without_it(owner, client_for):
    contact = make_contact(owner)
    keep = make_note(owner, contact=contact, body="Keep me")
    gone = make_note(owner, contact=contact, body="Delete me")
    response = client_for(owner).post(reverse("web:note_delete", args=[gone.pk]), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Keep me" in body and "Delete me" not in body
    assert list(Note.objects.values_list("pk", flat=True)) == [keep.pk]
    entry = AuditEntry.objects.order_by("-seq")[0]
    assert (entry.action, entry.object_type, entry.object_id) == ("delete", "note", str(gone.pk))


def test_a_teammate_sees_no_delete_button_and_cannot_delete_the_note(owner, teammate, client_for):
    contact = make_contact(owner)
    note = make_note(owner, contact=contact, body="A note by the owner")
    client = client_for(teammate)
    page = client.get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert "A note by the owner" in page
    assert 'data-testid="note-delete"' not in page
    audit_before = AuditEntry.objects.count()
    response = client.post(reverse("web:note_delete", args=[note.pk]), **HTMX)
    assert response.status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()
    assert AuditEntry.objects.count() == audit_before


def test_deleting_a_note_without_htmx_goes_back_to_the_record(owner, client_for):
    account = make_account(owner)
    note = make_note(owner, account=account, body="On the company")
    response = client_for(owner).post(reverse("web:note_delete", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:account_detail", args=[account.pk]) + "#notes"
    assert not Note.objects.filter(pk=note.pk).exists()


def test_note_delete_is_post_only_and_unknown_notes_are_not_found(owner, client_for):
    contact = make_contact(owner)
    note = make_note(owner, contact=contact, body="Stays")
    client = client_for(owner)
    assert client.get(reverse("web:note_delete", args=[note.pk])).status_code == 405
    assert client.post(reverse("web:note_delete", args=[note.pk + 999])).status_code == 404
    assert Note.objects.filter(pk=note.pk).exists()
