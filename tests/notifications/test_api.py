from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sambandh.core.models import User
from sambandh.core.services import api_token_create
from sambandh.notifications import services
from sambandh.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

BASE = "/api/v1/notifications"


def _api(user: User, language: str = "en") -> tuple[Client, dict[str, str]]:
    _token, raw = api_token_create(actor=user, name="notifications test")
    return Client(), {"Authorization": f"Bearer {raw}", "Accept-Language": language}


def _get(user: User, path: str, language: str = "en") -> Any:
    client, headers = _api(user, language)
    return client.get(path, headers=headers)


def _post(user: User, path: str) -> Any:
    client, headers = _api(user)
    return client.post(path, data=json.dumps({}), content_type="application/json", headers=headers)


def _notify(user: User, record: str = "Acme") -> Notification:
    return services.notify(
        recipient=user,
        kind=NotificationKind.ASSIGNMENT,
        params={"actor": "Asha Rao", "object_type": "deal", "record": record},
        link="/sales/deals/7/",
        object_type="deal",
        object_id=7,
    )


def test_the_list_has_the_callers_own_newest_first(owner, teammate):
    first = _notify(owner, "First")
    second = _notify(owner, "Second")
    _notify(teammate, "Theirs")
    response = _get(owner, BASE)
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert item == {
        "id": second.pk,
        "kind": "assignment",
        "text": "Asha Rao assigned the deal “Second” to you.",
        "params": {"actor": "Asha Rao", "object_type": "deal", "record": "Second"},
        "link": "/sales/deals/7/",
        "object_type": "deal",
        "object_id": "7",
        "created_at": item["created_at"],
        "read_at": None,
        "is_read": False,
    }


def test_the_text_comes_in_the_callers_language(owner):
    _notify(owner)
    body = _get(owner, BASE, language="hi").json()
    assert body["items"][0]["text"] == "Asha Rao ने सौदा “Acme” आपको सौंपा।"


def test_unread_true_lists_only_unread_ones(owner):
    read = _notify(owner, "Read")
    unread = _notify(owner, "Unread")
    services.notification_mark_read(actor=owner, notification=read)
    body = _get(owner, BASE + "?unread=true").json()
    assert [item["id"] for item in body["items"]] == [unread.pk]


def test_the_cursor_walks_every_page_once(owner):
    made = [_notify(owner, f"N{i}").pk for i in range(5)]
    seen: list[int] = []
    url = BASE + "?limit=2"
    while True:
        body = _get(owner, url).json()
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        url = f"{BASE}?limit=2&cursor={body['next_cursor']}"
    assert seen == sorted(made, reverse=True)


def test_a_bad_cursor_is_a_validation_error(owner):
    response = _get(owner, BASE + "?cursor=bogus")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["cursor"]


def test_marking_read_returns_the_notification_read(owner):
    n = _notify(owner)
    response = _post(owner, f"{BASE}/{n.pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert response.json()["read_at"] is not None
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_anothers_notification_is_not_found_and_stays_unread(owner, teammate, admin):
    n = _notify(owner)
    for other in (teammate, admin):
        response = _post(other, f"{BASE}/{n.pk}/read")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_read_all_marks_only_the_callers_own(owner, teammate):
    _notify(owner)
    _notify(owner)
    theirs = _notify(teammate)
    response = _post(owner, f"{BASE}/read-all")
    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=owner, read_at=None).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_anonymous_callers_get_401_and_nothing_changes(owner):
    n = _notify(owner)
    client = Client()
    assert client.get(BASE).status_code == 401
    response = client.post(f"{BASE}/{n.pk}/read")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert client.post(f"{BASE}/read-all").status_code == 401
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_a_browser_session_needs_the_csrf_token_to_mark_read(owner):
    n = _notify(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(BASE).status_code == 200
    response = client.post(f"{BASE}/{n.pk}/read")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert Notification.objects.get(pk=n.pk).read_at is None
