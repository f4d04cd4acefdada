"""The webhook pages: administrators manage endpoints, read the delivery log, retry dead
letters, replay deliveries and allow networks; nobody else sees or changes anything."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from sambandh.automation.delivery import deliveries_run, pump
from sambandh.automation.models import AllowedNetwork, Delivery, DeliveryState, WebhookEndpoint
from sambandh.automation.services import endpoint_create, endpoint_send_test
from sambandh.core.models import AuditEntry, User
from tests.automation.receiver import Receiver

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def browser(admin: User) -> Client:
    return signed_in(admin)


def _dead(endpoint: WebhookEndpoint, receiver: Receiver) -> Delivery:
    receiver.statuses = [503, 503]
    delivery = endpoint_send_test(actor=endpoint.owner, endpoint=endpoint)
    deliveries_run()
    Delivery.objects.filter(pk=delivery.pk).update(
        first_attempt_at=timezone.now() - dt.timedelta(days=3), next_attempt_at=timezone.now()
    )
    deliveries_run()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    return delivery


def _state() -> tuple[object, ...]:
    return (
        AuditEntry.objects.count(),
        WebhookEndpoint.objects.count(),
        Delivery.objects.count(),
        AllowedNetwork.objects.count(),
        tuple(WebhookEndpoint.objects.order_by("id").values_list("version", "secret")),
        tuple(Delivery.objects.order_by("id").values_list("state", flat=True)),
    )


FORM = {
    "url": "https://hooks.example.com/crm",
    "description": "ERP",
    "event_types": "deal.won, contact.*",
    "filters": "stage = won, lost\npipeline = 1",
    "is_active": "on",
}


# ---------------------------------------------------------------- list and navigation


def test_the_list_shows_each_webhook_its_events_status_and_last_delivery(
    admin: User, browser: Client, endpoint: WebhookEndpoint
) -> None:
    off = endpoint_create(actor=admin, data={"url": "https://off.example.com", "event_types": "*"})
    WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False, disabled_reason="failing")
    endpoint_send_test(actor=admin, endpoint=endpoint)
    response = browser.get(reverse("automation:webhook_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="webhook-create"' in page
    assert page.count('data-testid="webhook-row"') == 2
    assert "contact.*, deal.won" in page
    assert "its deliveries failed for the whole retry window" in page
    rows = response.context["rows"]
    assert [(r["endpoint"].pk, r["last_state"]) for r in rows] == [
        (endpoint.pk, "Waiting"),
        (off.pk, ""),
    ]
    # The list never shows a secret.
    assert endpoint.secret not in page


def test_only_administrators_see_the_webhooks_link(admin: User, owner: User) -> None:
    assert (
        'data-testid="nav-webhooks"'
        in signed_in(admin).get("/automation/webhooks/").content.decode()
    )
    page = signed_in(owner).get(reverse("web:settings")).content.decode()
    assert 'data-testid="nav-webhooks"' not in page


# ---------------------------------------------------------------- create, edit, delete


def test_an_administrator_creates_a_webhook_from_the_form(admin: User, browser: Client) -> None:
    response = browser.post(reverse("automation:webhook_create"), FORM)
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:webhook_detail", args=[endpoint.pk])
    assert (endpoint.url, endpoint.description, endpoint.event_types, endpoint.filters) == (
        "https://hooks.example.com/crm",
        "ERP",
        ["deal.won", "contact.*"],
        {"stage": ["won", "lost"], "pipeline": "1"},
    )
    assert (endpoint.is_active, endpoint.owner_id) == (True, admin.pk)
    page = browser.get(response["Location"]).content.decode()
    # The secret is on the page, behind a "Show".
    assert (
        f'<details data-testid="secret"><summary>Show</summary><code data-testid="secret-value">{endpoint.secret}</code></details>'
        in page
    )
    assert "stage = won, lost\npipeline = 1" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "ftp://files.example.com/x"}, "url", "Enter an http or https address."),
        (
            {"event_types": "deal.won, deal.Won!"},
            "event_types",
            "“deal.Won!” is not an event name such as deal.won or deal.*.",
        ),
        ({"event_types": ""}, "event_types", "Choose at least one event, or * for every event."),
        (
            {"filters": "stage won"},
            "filters",
            "“stage won”: write each filter as field = value, one a line.",
        ),
        ({"filters": "Stage Name = won"}, "filters", "“Stage Name” is not a payload field name."),
    ],
    ids=["ftp-url", "event-name", "no-event", "filter-line", "filter-field"],
)
def test_bad_input_shows_its_error_next_to_the_field_and_creates_nothing(
    browser: Client, changes: dict[str, str], field: str, message: str
) -> None:
    response = browser.post(reverse("automation:webhook_create"), {**FORM, **changes})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        f'<ul id="w-{field}-errors" class="errors" data-testid="errors-{field}"><li>{html.escape(message, quote=False)}</li></ul>'
        in page
    )
    # What was typed stays in the form.
    assert 'value="https://hooks.example.com/crm"' in page or field == "url"
    assert WebhookEndpoint.objects.count() == 0


def test_errors_come_in_the_administrators_language(admin: User, browser: Client) -> None:
    admin.language = "hi"
    admin.save(update_fields=["language"])
    response = browser.post(
        reverse("automation:webhook_create"),
        {**FORM, "url": "ftp://files.example.com/x", "event_types": "deal.Won!"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<li>http या https पता दर्ज करें।</li>" in page
    assert "<li>“deal.Won!” deal.won या deal.* जैसा इवेंट नाम नहीं है।</li>" in page
    assert WebhookEndpoint.objects.count() == 0


def test_editing_saves_the_changes_and_a_stale_form_is_a_409_that_changes_nothing(
    browser: Client, endpoint: WebhookEndpoint
) -> None:
    url = reverse("automation:webhook_edit", args=[endpoint.pk])
    form = browser.get(url)
    assert form.context["values"]["event_types"] == "contact.*, deal.won"
    response = browser.post(url, {**FORM, "url": endpoint.url, "version": "1"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.version, endpoint.description, endpoint.event_types) == (
        2,
        "ERP",
        ["deal.won", "contact.*"],
    )
    before = _state()
    stale = browser.post(url, {**FORM, "description": "Old tab", "version": "1"})
    assert stale.status_code == 409
    assert 'data-testid="form-errors"' in stale.content.decode()
    assert _state() == before


def test_deleting_asks_first_then_removes_the_webhook(
    browser: Client, endpoint: WebhookEndpoint
) -> None:
    url = reverse("automation:webhook_delete", args=[endpoint.pk])
    assert browser.get(url).status_code == 200
    assert WebhookEndpoint.objects.count() == 1
    response = browser.post(url)
    assert response["Location"] == reverse("automation:webhook_list")
    assert WebhookEndpoint.objects.count() == 0


# ---------------------------------------------------------------- detail actions


def test_rotating_asks_first_and_the_next_message_is_signed_with_the_new_secret(
    browser: Client, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    old = endpoint.secret
    url = reverse("automation:webhook_rotate", args=[endpoint.pk])
    assert browser.get(url).status_code == 200
    assert WebhookEndpoint.objects.get().secret == old
    response = browser.post(url)
    assert response["Location"] == reverse("automation:webhook_detail", args=[endpoint.pk])
    new = WebhookEndpoint.objects.get().secret
    assert new != old
    browser.post(reverse("automation:webhook_test", args=[endpoint.pk]))
    pump()
    [request] = receiver.requests
    Webhook(new).verify(request.body, request.headers)


def test_a_test_message_is_delivered_and_shows_in_the_log_with_a_link(
    browser: Client, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    detail = reverse("automation:webhook_detail", args=[endpoint.pk])
    response = browser.post(reverse("automation:webhook_test", args=[endpoint.pk]))
    assert response["Location"] == detail
    assert pump()["sent"] == 1
    assert len(receiver.requests) == 1
    page = browser.get(detail).content.decode()
    delivery = Delivery.objects.get()
    assert f'data-testid="delivery-row" data-id="{delivery.pk}" data-state="succeeded"' in page
    assert reverse("automation:delivery_detail", args=[delivery.pk]) in page
    assert '<td data-testid="delivery-state">Delivered</td>' in page
    assert '<td data-testid="delivery-last">200</td>' in page


def test_the_log_is_newest_first_and_more_brings_the_older_rows_by_htmx(
    admin: User, browser: Client, endpoint: WebhookEndpoint
) -> None:
    made = [endpoint_send_test(actor=admin, endpoint=endpoint) for _ in range(52)]
    detail = reverse("automation:webhook_detail", args=[endpoint.pk])
    response = browser.get(detail)
    shown = [d.pk for d in response.context["page"].items]
    assert shown == [d.pk for d in reversed(made)][:50]
    next_url = response.context["next_url"]
    assert next_url.startswith(detail + "?cursor=")
    rows = browser.get(next_url, headers=HTMX)
    assert rows.status_code == 200
    fragment = rows.content.decode()
    assert "<html" not in fragment
    assert fragment.count('data-testid="delivery-row"') == 2
    assert f'data-id="{made[0].pk}"' in fragment
    assert 'data-testid="load-more"' not in fragment


def test_the_log_filters_by_state_and_a_bad_state_is_a_400(
    admin: User, browser: Client, endpoint: WebhookEndpoint
) -> None:
    waiting = endpoint_send_test(actor=admin, endpoint=endpoint)
    done = endpoint_send_test(actor=admin, endpoint=endpoint)
    Delivery.objects.filter(pk=done.pk).update(state=DeliveryState.SUCCEEDED)
    detail = reverse("automation:webhook_detail", args=[endpoint.pk])
    shown = browser.get(detail + "?state=pending").context["page"].items
    assert [d.pk for d in shown] == [waiting.pk]
    bad = browser.get(detail + "?state=lost")
    assert bad.status_code == 400
    assert "Choose one of the offered values." in bad.content.decode()


def test_turning_a_webhook_off_and_on(browser: Client, endpoint: WebhookEndpoint) -> None:
    url = reverse("automation:webhook_toggle", args=[endpoint.pk])
    assert browser.post(url, {"is_active": "0", "version": "1"}).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.version) == (False, 2)
    page = browser.get(reverse("automation:webhook_detail", args=[endpoint.pk])).content.decode()
    assert 'data-testid="turn-on"' in page
    assert "turned off by an administrator" in page
    stale = browser.post(url, {"is_active": "1", "version": "1"})
    assert stale.status_code == 409
    assert WebhookEndpoint.objects.get().is_active is False
    browser.post(url, {"is_active": "1", "version": "2"})
    assert WebhookEndpoint.objects.get().is_active is True


# ---------------------------------------------------------------- deliveries


def test_a_delivery_page_shows_the_body_and_each_attempt_escaped(
    admin: User, browser: Client, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    receiver.answer_body = b"<script>alert(1)</script>"
    delivery = endpoint_send_test(actor=admin, endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(
        body='{"type":"webhook.test","data":{"note":"<img src=x onerror=alert(1)>"}}'
    )
    deliveries_run()
    response = browser.get(reverse("automation:delivery_detail", args=[delivery.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Pretty JSON: one key a line, indented.
    assert "  &quot;type&quot;: &quot;webhook.test&quot;,\n" in page
    assert '<dd data-testid="attempt-status">500</dd>' in page
    assert f"webhook-id: {delivery.msg_id}" in page
    assert "content-length: 25" in page
    # Not dead: Replay, but no Retry.
    assert 'data-testid="replay"' in page
    assert 'data-testid="retry"' not in page


def test_retry_from_the_dead_letter_list_sends_it_again(
    browser: Client, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    dead = _dead(endpoint, receiver)
    listing = reverse("automation:dead_letters")
    page = browser.get(listing).content.decode()
    assert f'data-id="{dead.pk}" data-state="dead"' in page
    assert 'data-testid="retry"' in page
    detail = browser.get(reverse("automation:delivery_detail", args=[dead.pk])).content.decode()
    assert 'data-testid="retry"' in detail
    response = browser.post(reverse("automation:delivery_retry", args=[dead.pk]), {"next": listing})
    assert response["Location"] == listing
    assert pump()["sent"] == 1
    dead.refresh_from_db()
    assert dead.state == DeliveryState.SUCCEEDED
    assert 'data-testid="list-empty"' in browser.get(listing).content.decode()


def test_retry_goes_back_only_to_a_page_of_ours(
    browser: Client, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    dead = _dead(endpoint, receiver)
    response = browser.post(
        reverse("automation:delivery_retry", args=[dead.pk]), {"next": "//evil.example.com/"}
    )
    assert response["Location"] == reverse("automation:delivery_detail", args=[dead.pk])


def test_retrying_a_delivered_message_is_refused_with_a_reason(
    admin: User, browser: Client, endpoint: WebhookEndpoint
) -> None:
    delivery = endpoint_send_test(actor=admin, endpoint=endpoint)
    before = _state()
    response = browser.post(reverse("automation:delivery_retry", args=[delivery.pk]))
    assert response.status_code == 400
    assert "Only a delivery that failed for good can be retried." in response.content.decode()
    assert _state() == before


def test_replay_makes_a_new_delivery_with_the_same_webhook_id(
    admin: User, browser: Client, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    original = endpoint_send_test(actor=admin, endpoint=endpoint)
    pump()
    response = browser.post(reverse("automation:delivery_replay", args=[original.pk]))
    replay = Delivery.objects.exclude(pk=original.pk).get()
    assert response["Location"] == reverse("automation:delivery_detail", args=[replay.pk])
    assert (replay.msg_id, replay.replay_of_id) == (original.msg_id, original.pk)
    pump()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [original.msg_id] * 2


# ---------------------------------------------------------------- networks


def test_an_administrator_allows_and_removes_a_network(browser: Client) -> None:
    url = reverse("automation:networks")
    response = browser.post(url, {"network": "10.1.0.0/16", "note": "VPN"})
    assert response["Location"] == url
    allowed = AllowedNetwork.objects.get()
    assert (allowed.network, allowed.note) == ("10.1.0.0/16", "VPN")
    assert "<code>10.1.0.0/16</code>" in browser.get(url).content.decode()
    response = browser.post(reverse("automation:network_delete", args=[allowed.pk]))
    assert response["Location"] == url
    assert AllowedNetwork.objects.count() == 0


def test_a_bad_network_is_refused_next_to_its_field_in_hindi(admin: User, browser: Client) -> None:
    admin.language = "hi"
    admin.save(update_fields=["language"])
    response = browser.post(reverse("automation:networks"), {"network": "10.0.0.0/99"})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<ul id="n-network-errors" class="errors" data-testid="errors-network">'
        "<li>10.0.0.0/8 या 127.0.0.1 जैसा नेटवर्क दर्ज करें।</li></ul>"
    ) in page
    assert 'value="10.0.0.0/99"' in page
    assert AllowedNetwork.objects.count() == 0


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("persona", ["manager", "owner", "agent", "marketer", "reader"])
def test_nobody_but_administrators_sees_or_changes_anything(
    request: pytest.FixtureRequest, persona: str, endpoint: WebhookEndpoint, receiver: Receiver
) -> None:
    client = signed_in(request.getfixturevalue(persona))
    dead = _dead(endpoint, receiver)
    allowed = AllowedNetwork.objects.create(network="10.9.0.0/16")
    hook, delivery = [endpoint.pk], [dead.pk]
    pages = [
        reverse("automation:webhook_list"),
        reverse("automation:webhook_create"),
        reverse("automation:webhook_detail", args=hook),
        reverse("automation:webhook_edit", args=hook),
        reverse("automation:webhook_delete", args=hook),
        reverse("automation:webhook_rotate", args=hook),
        reverse("automation:delivery_detail", args=delivery),
        reverse("automation:dead_letters"),
        reverse("automation:networks"),
    ]
    writes = [
        (reverse("automation:webhook_create"), FORM),
        (reverse("automation:webhook_edit", args=hook), {**FORM, "version": "1"}),
        (reverse("automation:webhook_delete", args=hook), {}),
        (reverse("automation:webhook_rotate", args=hook), {}),
        (reverse("automation:webhook_test", args=hook), {}),
        (reverse("automation:webhook_toggle", args=hook), {"is_active": "0", "version": "1"}),
        (reverse("automation:delivery_retry", args=delivery), {}),
        (reverse("automation:delivery_replay", args=delivery), {}),
        (reverse("automation:networks"), {"network": "10.0.0.0/8"}),
        (reverse("automation:network_delete", args=[allowed.pk]), {}),
    ]
    before = _state()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert endpoint.secret not in response.content.decode()
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert _state() == before


def test_posts_need_the_csrf_token(admin: User, endpoint: WebhookEndpoint) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    before = _state()
    response = client.post(reverse("automation:webhook_rotate", args=[endpoint.pk]))
    assert response.status_code == 403
    assert _state() == before


def test_a_missing_or_huge_id_is_not_found(browser: Client) -> None:
    assert browser.get("/automation/webhooks/12345/").status_code == 404
    assert browser.get(f"/automation/deliveries/{2**70}/").status_code == 404
