"""Webhooks in Debian's chromium over real HTTP: an administrator creates a webhook that points
at a real receiver on loopback, sends a test message, and after the worker's pump (run here,
in-process, against the live server's database) sees it delivered in the log and opens it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from sambandh.automation.delivery import pump
from sambandh.automation.models import WebhookEndpoint
from tests.automation.receiver import Receiver, running_receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.SAMBANDH_WEBHOOK_SENDERS = 1
    settings.SAMBANDH_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with running_receiver() as state:
        yield state


def test_an_administrator_creates_a_webhook_sends_a_test_and_sees_it_delivered(
    page: Any, screenshot: Any, admin: Any, receiver: Receiver
) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()

    page.get_by_test_id("nav-webhooks").click()
    expect(page.get_by_test_id("list-empty")).to_be_visible()
    page.get_by_test_id("webhook-create").click()
    form = page.get_by_test_id("webhook-form")
    form.get_by_label("URL").fill("ftp://nowhere.example.com")
    form.get_by_label("Events").fill("contact.*, deal.won")
    form.get_by_test_id("save").click()
    expect(page.get_by_test_id("errors-url")).to_have_text("Enter an http or https address.")
    form.get_by_label("URL").fill(receiver.url)
    form.get_by_label("Description").fill("Loopback receiver")
    form.get_by_test_id("save").click()

    expect(page.get_by_test_id("page-title")).to_have_text("Loopback receiver")
    endpoint = WebhookEndpoint.objects.get()
    secret = page.get_by_test_id("secret-value")
    expect(secret).to_be_hidden()
    page.get_by_test_id("secret").locator("summary").click()
    expect(secret).to_have_text(endpoint.secret)

    page.get_by_test_id("send-test").click()
    expect(page.get_by_test_id("delivery-state")).to_have_text("Waiting")
    assert pump()["sent"] == 1
    [request] = receiver.requests
    assert Webhook(endpoint.secret).verify(request.body, request.headers)["type"] == "webhook.test"

    page.reload()
    expect(page.get_by_test_id("delivery-state")).to_have_text("Delivered")
    expect(page.get_by_test_id("delivery-last")).to_have_text("200")
    screenshot("1-delivery-log")
    page.get_by_test_id("delivery-link").click()
    expect(page.get_by_test_id("attempt-status")).to_have_text("200")
    expect(page.get_by_test_id("delivery-body")).to_contain_text('"type": "webhook.test"')
    screenshot("2-delivery")
