"""Merging two contacts in Debian's chromium over real HTTP: the duplicate queue finds them by
email, the side-by-side page keeps one and takes a field from the other, the note moves, and
the old address leads to the survivor."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sambandh.contacts.models import Contact
from sambandh.dedup.models import MergedRecord
from tests.factories import make_contact, make_note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_contacts_are_merged_from_the_duplicate_queue(page, screenshot, admin):
    keep = make_contact(admin, first_name="Anita", last_name="Mehta", email="anita@mehta.in")
    lose = make_contact(
        admin, first_name="Anita", last_name="Mehta", email="ANITA@mehta.in", job_title="Director"
    )
    make_note(admin, contact=lose, body="Met at the Pune trade fair")

    page.goto("/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()

    page.goto("/duplicates/")
    group = page.get_by_test_id("duplicate-group")
    expect(group.get_by_test_id("duplicate-record")).to_have_count(2)
    screenshot("1-queue")
    group.get_by_test_id("merge-link").click()

    form = page.get_by_test_id("merge-form")
    expect(form.get_by_test_id(f"survivor-{keep.pk}")).to_be_checked()
    # Keep the first record, but take the job title the second one has.
    form.get_by_test_id("row-job_title").locator(f'input[value="{lose.pk}"]').check()
    screenshot("2-compare")
    form.get_by_test_id("merge-submit").click()

    expect(page).to_have_url(f"{page.url.split('/contacts/')[0]}/contacts/{keep.pk}/")
    expect(page.get_by_test_id("note").get_by_text("Met at the Pune trade fair")).to_be_visible()
    expect(page.get_by_text("Director").first).to_be_visible()
    screenshot("3-survivor")
    assert not Contact.objects.filter(pk=lose.pk).exists()
    assert MergedRecord.objects.filter(old_id=lose.pk, survivor_id=keep.pk).exists()
    assert Contact.objects.get(pk=keep.pk).job_title == "Director"

    # The loser's old address leads to the survivor.
    page.goto(f"/contacts/{lose.pk}/")
    expect(page).to_have_url(f"{page.url.split('/contacts/')[0]}/contacts/{keep.pk}/")
