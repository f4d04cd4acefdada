"""Workflows in Debian's chromium over real HTTP: an administrator makes the birthday
greeting from its template (saved switched off), finds it in the list, opens the builder,
adds a tag action (its settings appear in place through htmx), turns it on and saves; the
workflow's page then says it is on and shows both versions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sambandh.automation.models import Workflow
from sambandh.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_birthday_template_to_a_workflow_that_is_on(page, screenshot, admin: User) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()

    page.get_by_test_id("nav-workflows").click()
    page.wait_for_url("**/automation/workflows/")
    expect(page.get_by_test_id("list-empty")).to_be_visible()
    page.get_by_test_id("use-template-birthday_greeting").click()
    page.wait_for_url("**/automation/workflows/*/")
    expect(page.get_by_test_id("workflow-status")).to_contain_text("Off")
    expect(page.get_by_test_id("definition").get_by_test_id("definition-trigger")).to_contain_text(
        "On the Birthday, at 09:00 in the contact's time zone"
    )

    page.get_by_test_id("nav-workflows").click()
    row = page.get_by_test_id("workflow-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("workflow-name")).to_have_text("Birthday greeting at 9:00 local time")
    expect(row.get_by_test_id("workflow-status")).to_have_text("Off")
    screenshot("list")

    row.get_by_test_id("workflow-name").click()
    page.get_by_test_id("workflow-edit").click()
    expect(page.get_by_test_id("input-a0-email_subject_hi")).to_have_value(
        "जन्मदिन की शुभकामनाएँ, {first_name}!"
    )
    # Choosing a type for the blank row shows its settings without a reload (htmx).
    page.get_by_test_id("input-a1-type").select_option("add_tag")
    page.get_by_test_id("input-a1-tag").fill("birthday greeted")
    page.get_by_test_id("input-is_active").check()
    screenshot("builder")
    page.get_by_test_id("save").click()

    page.wait_for_url("**/automation/workflows/*/")
    expect(page.get_by_test_id("workflow-status")).to_contain_text("On")
    expect(page.get_by_test_id("definition").get_by_test_id("definition-actions")).to_contain_text(
        "Add the tag “birthday greeted”."
    )
    expect(page.get_by_test_id("version")).to_have_count(2)
    screenshot("detail")
    workflow = Workflow.objects.get()
    assert (workflow.is_active, workflow.version, workflow.template_key) == (
        True,
        2,
        "birthday_greeting",
    )
    assert workflow.actions[1] == {"type": "add_tag", "tag": "birthday greeted"}
