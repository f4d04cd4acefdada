from __future__ import annotations

import re

import pytest
from django.urls import reverse

from sambandh.notifications import services
from sambandh.notifications.models import Notification, NotificationKind, NotificationPreference

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/notifications/"


def _notify(user, record="Acme", link="/deals/7/") -> Notification:
    return services.notify(
        recipient=user,
        kind=NotificationKind.ASSIGNMENT,
        params={"actor": "Asha Rao", "object_type": "deal", "record": record},
        link=link,
    )


def _many(user, n: int) -> None:
    services.notify_many(
        recipients=[user], kind=NotificationKind.SYSTEM, params={"message": "x"}
    )  # one, then the rest in bulk below
    Notification.objects.bulk_create(
        Notification(recipient=user, kind="system", params={"message": f"m{i}"})
        for i in range(n - 1)
    )


def _bell(html: str) -> str:
    match = re.search(r'<a [^>]*data-testid="nav-notifications".*?</a>', html, re.S)
    assert match, "no bell"
    return match.group(0)


def test_the_route_names_are_the_ones_the_templates_use():
    assert reverse("notifications:list") == LIST
    assert reverse("notifications:read", args=[3]) == "/notifications/3/read/"
    assert reverse("notifications:read_all") == "/notifications/read-all/"
    assert reverse("notifications:preferences") == "/notifications/preferences/"


def test_the_list_shows_the_users_notifications_newest_first(owner, teammate, client_for):
    _notify(owner, record="Older")
    newer = _notify(owner, record="Newer")
    _notify(teammate, record="Not mine")
    services.notification_mark_read(actor=owner, notification=newer)
    response = client_for(owner).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Newer") < html.index("Older")
    assert "Not mine" not in html
    assert html.count('data-state="unread"') == 1
    assert html.count('data-state="read"') == 1


def test_the_list_is_in_the_readers_language(owner, client_for):
    owner.language = "hi"
    owner.save()
    _notify(owner, record="Acme")
    html = client_for(owner).get(LIST).content.decode()
    assert "Asha Rao ने सौदा “Acme” आपको सौंपा।" in html


def test_an_empty_list_says_so(owner, client_for):
    response = client_for(owner).get(LIST)
    assert 'data-testid="no-notifications"' in response.content.decode()
    assert 'data-testid="mark-all-read"' not in response.content.decode()


def test_the_unread_filter_hides_read_ones(owner, client_for):
    read = _notify(owner, record="Seen")
    _notify(owner, record="Fresh")
    services.notification_mark_read(actor=owner, notification=read)
    html = client_for(owner).get(LIST + "?unread=1").content.decode()
    assert "Fresh" in html
    assert "Seen" not in html


def test_more_loads_the_next_page_by_cursor(owner, client_for):
    Notification.objects.bulk_create(
        Notification(recipient=owner, kind="system", params={"message": f"item-{i:03d}"})
        for i in range(55)
    )
    client = client_for(owner)
    first = client.get(LIST).content.decode()
    assert first.count('data-testid="notification"') == 50
    assert "item-054" in first and "item-004" not in first
    more = re.search(r'data-testid="load-more"', first)
    assert more
    found = re.search(r'href="([^"]+cursor=[^"]+)"', first)
    assert found is not None
    next_url = found.group(1).replace("&amp;", "&")
    rest = client.get(next_url, **HTMX)
    html = rest.content.decode()
    assert rest.status_code == 200
    assert "<html" not in html
    shown = list(dict.fromkeys(re.findall(r"item-\d{3}", html)))
    assert shown == [f"item-{i:03d}" for i in range(4, -1, -1)]
    assert 'data-testid="load-more"' not in html


def test_a_forged_cursor_is_a_400(owner, client_for):
    assert client_for(owner).get(LIST + "?cursor=nonsense").status_code == 400


def test_the_bell_shows_the_unread_count(owner, client_for):
    _notify(owner)
    _notify(owner)
    read = _notify(owner)
    services.notification_mark_read(actor=owner, notification=read)
    bell = _bell(client_for(owner).get(reverse("web:settings")).content.decode())
    assert 'href="/notifications/"' in bell
    assert '<span aria-hidden="true">2</span>' in bell
    assert "2 unread notifications" in bell


def test_the_bell_has_no_count_when_all_is_read(owner, client_for):
    bell = _bell(client_for(owner).get(LIST).content.decode())
    assert 'data-testid="notification-count"' not in bell


def test_the_bell_says_99_plus_beyond_99(owner, client_for):
    _many(owner, 100)
    bell = _bell(client_for(owner).get(LIST).content.decode())
    assert '<span aria-hidden="true">99+</span>' in bell
    Notification.objects.filter(pk=Notification.objects.order_by("id")[0].pk).delete()
    bell = _bell(client_for(owner).get(LIST).content.decode())
    assert '<span aria-hidden="true">99</span>' in bell


def test_the_bell_costs_one_bounded_query(owner, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _many(owner, 150)
    client = client_for(owner)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("web:settings"))
    bell_queries = [
        q["sql"] for q in captured.captured_queries if '"notifications_notification"' in q["sql"]
    ]
    assert len(bell_queries) == 1
    assert "LIMIT 100" in bell_queries[0]


def test_mark_as_read_without_javascript_goes_back_to_the_list(owner, client_for):
    n = _notify(owner)
    response = client_for(owner).post(reverse("notifications:read", args=[n.pk]), {"next": LIST})
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_mark_as_read_with_htmx_returns_the_read_item_and_the_new_bell(owner, client_for):
    n = _notify(owner)
    _notify(owner)
    response = client_for(owner).post(reverse("notifications:read", args=[n.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{n.pk}"' in html
    assert 'data-state="read"' in html
    assert 'data-testid="mark-read"' not in html
    assert 'hx-swap-oob="true"' in html
    assert '<span aria-hidden="true">1</span>' in _bell(html)


def test_clicking_an_item_marks_it_read_and_follows_its_link(owner, client_for):
    n = _notify(owner, link="/sales/deals/7/")
    response = client_for(owner).post(reverse("notifications:read", args=[n.pk]), {"go": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/sales/deals/7/"
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_a_forged_link_is_never_followed(owner, client_for):
    n = _notify(owner)
    Notification.objects.filter(pk=n.pk).update(link="/\\evil.example/")
    response = client_for(owner).post(reverse("notifications:read", args=[n.pk]), {"go": "1"})
    assert response["Location"] == LIST


def test_nobody_can_mark_anothers_notification_read(owner, teammate, admin, client_for):
    n = _notify(owner)
    for other in (teammate, admin):
        response = client_for(other).post(reverse("notifications:read", args=[n.pk]), {"go": "1"})
        assert response.status_code == 404
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_mark_as_read_needs_a_post(owner, client_for):
    n = _notify(owner)
    assert client_for(owner).get(reverse("notifications:read", args=[n.pk])).status_code == 405
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_mark_all_as_read_marks_what_the_page_showed(owner, teammate, client_for):
    shown = [_notify(owner), _notify(owner)]
    arrived_later = _notify(owner)
    theirs = _notify(teammate)
    response = client_for(owner).post(
        reverse("notifications:read_all"), {"up_to": shown[-1].pk, "next": LIST}
    )
    assert response.status_code == 302
    assert not Notification.objects.filter(pk__in=[n.pk for n in shown], read_at=None).exists()
    assert Notification.objects.get(pk=arrived_later.pk).read_at is None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_as_read_with_htmx_returns_the_list_and_the_bell(owner, client_for):
    _notify(owner)
    response = client_for(owner).post(reverse("notifications:read_all"), **HTMX)
    html = response.content.decode()
    assert 'id="notification-list"' in html
    assert 'data-state="unread"' not in html
    assert 'data-testid="notification-count"' not in _bell(html)


def test_the_page_uses_csrf_protected_posts(owner):
    from django.test import Client

    n = _notify(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 403
    assert client.post(reverse("notifications:read_all")).status_code == 403
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_the_list_page_costs_the_same_for_5_or_50_notifications(
    owner, client_for, django_assert_max_num_queries
):
    client = client_for(owner)
    _many(owner, 5)
    client.get(LIST)  # warm the session and caches
    with django_assert_max_num_queries(20) as small:
        assert client.get(LIST).status_code == 200
    _many(owner, 45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(LIST).content.decode()
    assert html.count('data-testid="notification"') == 50


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in (LIST, reverse("notifications:preferences")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_my_settings_shows_the_digest_form(owner, client_for):
    html = client_for(owner).get(reverse("web:settings")).content.decode()
    assert 'data-testid="digest-form"' in html
    assert 'action="/notifications/preferences/"' in html
    assert '<option value="8" selected>08:00</option>' in html


def test_saving_the_digest_form_returns_to_my_settings(owner, client_for):
    response = client_for(owner).post(
        reverse("notifications:preferences"),
        {"digest_enabled": "on", "digest_hour": "18", "next": "/settings/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    stored = NotificationPreference.objects.get(user=owner)
    assert (stored.digest_enabled, stored.digest_hour) == (True, 18)


def test_unticking_the_box_turns_the_digest_off(owner, client_for):
    services.notification_preference_update(actor=owner, user=owner, data={"digest_enabled": True})
    client_for(owner).post(reverse("notifications:preferences"), {"digest_hour": "8"})
    assert NotificationPreference.objects.get(user=owner).digest_enabled is False


def test_a_bad_hour_shows_the_form_again_with_the_error(owner, client_for):
    response = client_for(owner).post(
        reverse("notifications:preferences"), {"digest_enabled": "on", "digest_hour": "25"}
    )
    assert response.status_code == 400
    assert "Choose an hour from 0 to 23." in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_next_elsewhere_is_ignored(owner, client_for):
    response = client_for(owner).post(
        reverse("notifications:preferences"),
        {"digest_hour": "8", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("notifications:preferences")
