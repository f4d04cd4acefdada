"""Importing contacts in Debian's chromium over real HTTP: upload a CSV from the contacts list,
check the proposed mapping, run the import and watch its progress, fix the row that failed,
then undo the whole import. The Huey worker is played by calling the task functions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sambandh.contacts.models import Contact
from sambandh.dataio.models import ImportJob, ImportStatus
from sambandh.dataio.services import import_run, import_undo_run
from tests.browser.conftest import to_docs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "First Name,Last Name,Email,Phone Number,City,Country/Region,Company Name\n"
    "Asha,Rao,asha@example.in,98765 43210,Pune,India,Acme Pvt Ltd\n"
    "Ravi,Kumar,ravi@example,98765 43211,Delhi,भारत,Acme Pvt Ltd\n"
    "Meera,Iyer,meera@example.in,+91 98765 43212,Chennai,IN,Iyer Traders\n"
)


def test_a_csv_is_imported_fixed_and_undone(page, screenshot, owner, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    upload = tmp_path / "people.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()

    page.goto("/contacts/")
    page.get_by_test_id("import-contacts").click()
    page.get_by_test_id("upload-file").set_input_files(str(upload))
    page.get_by_test_id("upload-submit").click()

    # The mapping screen proposes a field for every column of a HubSpot-style header.
    expect(page.get_by_test_id("mapping-table")).to_be_visible()
    expect(page.get_by_test_id("mapping-2")).to_have_value("email")
    expect(page.get_by_test_id("mapping-6")).to_have_value("account_name")
    expect(page.get_by_test_id("preview-row")).to_have_count(3)
    to_docs(screenshot("1-mapping"), "import-mapping.png")
    page.get_by_test_id("import-start").click()

    # Queued: the page shows the progress bar and polls it.
    expect(page.get_by_test_id("progress-bar")).to_be_visible()
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED
    import_run(job.pk)  # the worker
    expect(page.get_by_test_id("import-counts")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_contain_text("2")
    expect(page.get_by_test_id("count-failed")).to_contain_text("1")
    expect(page.get_by_test_id("problem-row")).to_contain_text("ravi@example")
    to_docs(screenshot("2-done"), "import-done.png")

    # Fix the failed row: correct its email and import it into the same job.
    page.get_by_test_id("fix-row-3").click()
    email = page.get_by_test_id("fix-cell-2")
    expect(email).to_have_value("ravi@example")
    email.fill("ravi@example.in")
    page.get_by_test_id("fix-submit").click()
    expect(page.get_by_test_id("count-created")).to_contain_text("3")
    expect(page.get_by_test_id("count-failed")).to_contain_text("0")
    ravi = Contact.objects.get(email="ravi@example.in")
    assert (ravi.phone, ravi.country) == ("+919876543211", "IN")
    assert ravi.account is not None and ravi.account.name == "Acme Pvt Ltd"
    assert Contact.objects.count() == 3

    # Undo: a confirm step, then the worker removes everything the import created.
    page.get_by_test_id("undo-import").click()
    page.get_by_test_id("undo-confirm").click()
    expect(page.get_by_test_id("progress-bar")).to_be_visible()
    import_undo_run(job.pk)
    expect(page.get_by_test_id("import-status")).to_have_text(re.compile("Undone"))
    screenshot("3-undone")
    assert Contact.objects.count() == 0
