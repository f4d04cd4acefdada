"""The daily email digest, sent through a real SMTP server (aiosmtpd on a loopback port)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from sambandh.core.models import User
from sambandh.notifications import services
from sambandh.notifications.digest import digest_send_due
from sambandh.notifications.models import Notification, NotificationKind, NotificationPreference
from sambandh.notifications.tasks import digest_send_task
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# 08:00 and 09:00 in Asia/Kolkata (UTC+05:30).
KOLKATA_8 = dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)
KOLKATA_9 = dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.UTC)


def _digest_user(name: str, *, language: str = "en", zone: str = "Asia/Kolkata", hour: int = 8):
    user = make_user(
        name,
        "Sales rep",
        email=f"{name}@example.com",
        first_name=name.title(),
        language=language,
        time_zone=zone,
    )
    services.notification_preference_update(
        actor=user, user=user, data={"digest_enabled": True, "digest_hour": hour}
    )
    return user


def _notify(user: User, record: str) -> Notification:
    return services.notify(
        recipient=user,
        kind=NotificationKind.ASSIGNMENT,
        params={"actor": "Asha Rao", "object_type": "deal", "record": record},
        link="/sales/deals/7/",
    )


def test_a_hindi_user_gets_a_hindi_digest_of_their_own_notifications(smtp):
    meera = _digest_user("meera", language="hi")
    other = _digest_user("other")
    _notify(meera, "Acme")
    _notify(other, "Secret deal of someone else")
    sent = digest_send_due(now=KOLKATA_8)
    assert sent == 2
    by_rcpt = {tuple(r): m for r, m in zip(smtp.recipients, smtp.messages, strict=True)}
    message = by_rcpt[("meera@example.com",)]
    assert message["Subject"] == "संबंध: 1 नई सूचना"
    assert message["To"] == "meera@example.com"
    assert message["From"] == "Sambandh <crm@example.com>"
    assert message["Content-Language"] == "hi"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Asha Rao ने सौदा “Acme” आपको सौंपा।" in text
    assert "https://crm.example.com/sales/deals/7/" in text
    assert "https://crm.example.com/notifications/" in text
    assert "Secret deal" not in text
    assert "Secret deal" not in html
    assert '<a href="https://crm.example.com/sales/deals/7/">' in html


def test_the_digest_comes_at_the_chosen_hour_of_the_users_own_day(smtp):
    user = _digest_user("ravi", hour=8)
    _notify(user, "Acme")
    assert digest_send_due(now=KOLKATA_9) == 0
    assert smtp.messages == []
    assert digest_send_due(now=KOLKATA_8) == 1
    assert smtp.recipients == [["ravi@example.com"]]


def test_the_same_hour_in_utc_is_another_hour_in_london(smtp):
    london = _digest_user("lena", zone="Europe/London", hour=8)
    _notify(london, "Acme")
    assert digest_send_due(now=KOLKATA_8) == 0
    assert digest_send_due(now=dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC)) == 1
    assert smtp.recipients == [["lena@example.com"]]


def test_running_twice_sends_once(smtp):
    user = _digest_user("ravi")
    _notify(user, "Acme")
    assert digest_send_due(now=KOLKATA_8) == 1
    assert digest_send_due(now=KOLKATA_8) == 0
    assert len(smtp.messages) == 1
    assert Notification.objects.get(recipient=user).emailed_at is not None


def test_one_digest_a_day_even_when_more_arrives_the_same_hour(smtp):
    user = _digest_user("ravi")
    _notify(user, "Acme")
    digest_send_due(now=KOLKATA_8)
    later = _notify(user, "Later")
    assert digest_send_due(now=KOLKATA_8 + dt.timedelta(minutes=20)) == 0
    assert Notification.objects.get(pk=later.pk).emailed_at is None
    assert digest_send_due(now=KOLKATA_8 + dt.timedelta(days=1)) == 1
    text = smtp.messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Later" in text
    assert "Acme" not in text


def test_nothing_new_means_no_email(smtp):
    user = _digest_user("ravi")
    read = _notify(user, "Seen")
    services.notification_mark_read(actor=user, notification=read)
    assert digest_send_due(now=KOLKATA_8) == 0
    assert smtp.messages == []
    # The day was not used up: something arriving later that hour still goes out.
    _notify(user, "Fresh")
    assert digest_send_due(now=KOLKATA_8 + dt.timedelta(minutes=30)) == 1


def test_users_without_the_digest_or_an_address_get_nothing(smtp, owner):
    _notify(owner, "Acme")  # digest never turned on
    quiet = _digest_user("quiet")
    User.objects.filter(pk=quiet.pk).update(email="")
    _notify(quiet, "Acme")
    gone = _digest_user("gone")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    _notify(gone, "Acme")
    off = _digest_user("off")
    services.notification_preference_update(actor=off, user=off, data={"digest_enabled": False})
    _notify(off, "Acme")
    assert digest_send_due(now=KOLKATA_8) == 0
    assert smtp.messages == []


def test_an_english_digest_counts_and_lists_the_newest(smtp):
    user = _digest_user("ravi")
    for name in ("One", "Two", "Three"):
        _notify(user, name)
    digest_send_due(now=KOLKATA_8)
    message = smtp.messages[0]
    assert message["Subject"] == "Sambandh: 3 new notifications"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.index("Three") < text.index("Two") < text.index("One")
    assert "Hello Ravi," in text


def test_a_failed_send_gives_the_notifications_back_for_the_next_digest(smtp, settings):
    user = _digest_user("ravi")
    n = _notify(user, "Acme")
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there on loopback: the send fails
    assert digest_send_due(now=KOLKATA_8) == 0
    assert Notification.objects.get(pk=n.pk).emailed_at is None
    assert NotificationPreference.objects.get(user=user).last_digest_on is None
    settings.EMAIL_PORT = port
    assert digest_send_due(now=KOLKATA_8) == 1
    assert smtp.recipients == [["ravi@example.com"]]


def test_the_hourly_task_runs_the_digest(smtp):
    # Huey's task object called directly runs the function in this process.
    assert digest_send_task.call_local() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_one_digest(smtp):
    user = _digest_user("ravi")
    _notify(user, "Acme")
    barrier = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(digest_send_due(now=KOLKATA_8))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    assert smtp.recipients == [["ravi@example.com"]]
