"""Notifications in Debian's chromium over real HTTP: a manager hands deals to a rep; the
rep sees the bell's count, marks one read in place (htmx), opens the other from the list and
lands on the deal, and turns the daily digest on from "My settings"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sambandh.notifications.models import Notification, NotificationPreference
from sambandh.sales.services.deals import deal_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_the_list_and_the_digest_setting(page, screenshot, manager, owner) -> None:
    first = deal_create(
        actor=manager, data={"name": "Acme renewal", "amount": "5000", "owner_id": owner.pk}
    )
    second = deal_create(
        actor=manager, data={"name": "Globex pilot", "amount": "900", "owner_id": owner.pk}
    )
    page.goto("/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()
    bell = page.get_by_test_id("nav-notifications")
    expect(bell.get_by_test_id("notification-count")).to_contain_text("2")

    bell.click()
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Globex pilot")
    expect(items.first).to_have_attribute("data-state", "unread")
    screenshot("list")

    items.first.get_by_test_id("mark-read").click()
    expect(items.first).to_have_attribute("data-state", "read")
    expect(
        page.get_by_test_id("nav-notifications").get_by_test_id("notification-count")
    ).to_contain_text("1")

    items.nth(1).get_by_test_id("notification-open").click()
    page.wait_for_url(f"**/sales/deals/{first.pk}/")
    expect(
        page.get_by_test_id("nav-notifications").get_by_test_id("notification-count")
    ).to_have_count(0)
    assert not Notification.objects.filter(recipient=owner, read_at=None).exists()
    assert second.pk != first.pk

    page.goto("/settings/")
    form = page.get_by_test_id("digest-form")
    form.get_by_test_id("digest-enabled").check()
    form.get_by_test_id("digest-hour").select_option("18")
    form.get_by_test_id("digest-save").click()
    page.wait_for_url("**/settings/")
    expect(page.get_by_test_id("digest-hour")).to_have_value("18")
    stored = NotificationPreference.objects.get(user=owner)
    assert (stored.digest_enabled, stored.digest_hour) == (True, 18)
