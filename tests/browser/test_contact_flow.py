"""The issue's browser flow, in Debian's chromium over real HTTP: log in, switch to Hindi,
create a contact with a Devanagari name, find it by global search, edit it, see the history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sambandh.contacts.models import Contact
from sambandh.core.models import AuditEntry, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hindi_contact_is_created_found_edited_and_its_history_shown(page, screenshot, owner):
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("nav-contacts")).to_be_visible()
    screenshot("1-logged-in")

    page.get_by_test_id("language-hi").click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_test_id("nav-contacts")).to_have_text("संपर्क")
    owner.refresh_from_db()
    assert owner.language == "hi"

    page.goto("/contacts/new/")
    form = page.get_by_test_id("contact-form")
    form.locator("input[name=first_name]").fill("प्रिया")
    form.locator("input[name=last_name]").fill("शर्मा")
    form.locator("input[name=email]").fill("Priya.Sharma@Example.in")
    form.locator("input[name=phone]").fill("98765 43210")
    screenshot("2-new-contact")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("record-title")).to_have_text("प्रिया शर्मा")
    contact = Contact.objects.get(first_name="प्रिया")
    assert (contact.email, contact.phone) == ("priya.sharma@example.in", "+919876543210")

    page.goto("/contacts/")
    page.keyboard.press("/")
    expect(page.get_by_test_id("global-search")).to_be_focused()
    page.keyboard.type("शर्म")
    hit = page.get_by_test_id("global-search-results").get_by_role(
        "link", name=re.compile("प्रिया शर्मा")
    )
    expect(hit).to_be_visible()
    screenshot("3-search")
    hit.click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))

    page.get_by_test_id("edit-job_title").click()
    editor = page.get_by_test_id("inline-form-job_title")
    editor.locator("input[name=job_title]").fill("मुख्य वित्त अधिकारी")
    editor.get_by_test_id("inline-save").click()
    expect(page.get_by_test_id("value-job_title")).to_have_text("मुख्य वित्त अधिकारी")
    history = page.get_by_test_id("history")
    expect(history.get_by_test_id("history-entry").first).to_contain_text("मुख्य वित्त अधिकारी")
    screenshot("4-edited-with-history")

    contact.refresh_from_db()
    assert contact.job_title == "मुख्य वित्त अधिकारी"
    assert contact.version == 2
    update = AuditEntry.objects.get(
        object_type="contact", object_id=str(contact.pk), action="update"
    )
    assert update.changes == {"job_title": ["", "मुख्य वित्त अधिकारी"]}
    assert update.actor == User.objects.get(username="owner")
