from __future__ import annotations

import pytest
from django.utils import translation

from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, User
from sambandh.notifications import services
from sambandh.notifications.models import Notification, NotificationKind, NotificationPreference
from sambandh.notifications.rendering import notification_text

pytestmark = pytest.mark.django_db

ASSIGNED = {"actor": "Asha Rao", "object_type": "deal", "record": "Acme"}


def _notify(recipient: User, **extra: object) -> Notification:
    values: dict[str, object] = {
        "recipient": recipient,
        "kind": NotificationKind.ASSIGNMENT,
        "params": ASSIGNED,
        "link": "/deals/7/",
        **extra,
    }
    return services.notify(**values)  # type: ignore[arg-type]


def test_notify_stores_the_message_as_kind_and_params(owner):
    n = _notify(owner, object_type="deal", object_id=7)
    stored = Notification.objects.get(pk=n.pk)
    assert stored.recipient_id == owner.pk
    assert stored.kind == "assignment"
    assert stored.params == ASSIGNED
    assert stored.link == "/deals/7/"
    assert (stored.object_type, stored.object_id) == ("deal", "7")
    assert stored.read_at is None
    assert stored.emailed_at is None


def test_the_message_is_worded_in_the_language_active_when_it_is_read(owner):
    n = _notify(owner)
    with translation.override("en"):
        assert notification_text(n) == "Asha Rao assigned the deal “Acme” to you."
    with translation.override("hi"):
        assert notification_text(n) == "Asha Rao ने सौदा “Acme” आपको सौंपा।"


def test_a_missing_param_reads_as_empty_instead_of_failing(owner):
    n = services.notify(recipient=owner, kind=NotificationKind.REMINDER, params={})
    with translation.override("en"):
        assert notification_text(n) == "Reminder: “” is due."


def test_webhook_and_workflow_messages_use_their_params(owner):
    hook = services.notify(
        recipient=owner,
        kind=NotificationKind.WEBHOOK_DISABLED,
        params={"webhook": "ERP sync", "failures": 12},
    )
    flow = services.notify(
        recipient=owner,
        kind=NotificationKind.WORKFLOW,
        params={"rule": "Big deals", "message": "Call the customer today"},
    )
    with translation.override("en"):
        assert notification_text(hook) == (
            "The webhook “ERP sync” was turned off after 12 failed deliveries."
        )
        assert notification_text(flow) == "Workflow “Big deals”: Call the customer today"


def test_notify_twice_with_one_dedupe_key_creates_one_notification(owner):
    first = _notify(owner, dedupe_key="event-41")
    second = _notify(owner, dedupe_key="event-41")
    assert second.pk == first.pk
    assert Notification.objects.filter(recipient=owner).count() == 1


def test_a_dedupe_key_is_per_recipient(owner, teammate):
    _notify(owner, dedupe_key="event-41")
    _notify(teammate, dedupe_key="event-41")
    assert Notification.objects.filter(dedupe_key="event-41").count() == 2


def test_without_a_dedupe_key_every_call_notifies(owner):
    _notify(owner)
    _notify(owner)
    assert Notification.objects.filter(recipient=owner).count() == 2


def test_notify_many_notifies_each_recipient_once(owner, teammate, outsider):
    services.notify_many(
        recipients=[owner, teammate.pk, owner],
        kind=NotificationKind.SYSTEM,
        params={"message": "Maintenance tonight"},
    )
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
        [owner.pk, teammate.pk]
    )


def test_notify_many_with_a_dedupe_key_skips_who_already_has_it(owner, teammate):
    _notify(owner, dedupe_key="event-9")
    services.notify_many(
        recipients=[owner, teammate],
        kind=NotificationKind.ASSIGNMENT,
        params=ASSIGNED,
        dedupe_key="event-9",
    )
    assert Notification.objects.filter(recipient=owner).count() == 1
    assert Notification.objects.filter(recipient=teammate).count() == 1


@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/", "/\\evil.example", "deals/7/", "/a b"]
)
def test_a_link_must_be_a_path_inside_the_app(owner, link):
    with pytest.raises(ValidationError) as exc:
        _notify(owner, link=link)
    assert list(exc.value.fields) == ["link"]
    assert not Notification.objects.exists()


def test_an_unknown_kind_is_refused(owner):
    with pytest.raises(ValidationError) as exc:
        services.notify(recipient=owner, kind="gossip", params={})
    assert list(exc.value.fields) == ["kind"]
    assert not Notification.objects.exists()


def test_params_must_be_flat_text_or_numbers(owner):
    with pytest.raises(ValidationError):
        services.notify(
            recipient=owner, kind=NotificationKind.SYSTEM, params={"message": ["a", "b"]}
        )
    assert not Notification.objects.exists()


def test_the_recipient_marks_a_notification_read(owner):
    n = _notify(owner)
    marked = services.notification_mark_read(actor=owner, notification=n)
    assert marked.read_at is not None
    assert Notification.objects.get(pk=n.pk).read_at == marked.read_at


def test_reading_twice_keeps_the_first_time(owner):
    n = _notify(owner)
    first = services.notification_mark_read(actor=owner, notification=n).read_at
    again = services.notification_mark_read(
        actor=owner, notification=Notification.objects.get(pk=n.pk)
    )
    assert again.read_at == first


def test_nobody_else_may_mark_a_notification_read(owner, teammate, admin):
    n = _notify(owner)
    for other in (teammate, admin):
        with pytest.raises(PermissionDenied):
            services.notification_mark_read(actor=other, notification=n)
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_mark_all_read_marks_only_the_actors_own(owner, teammate):
    mine = [_notify(owner) for _ in range(3)]
    theirs = _notify(teammate)
    assert services.notifications_mark_all_read(actor=owner) == 3
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_up_to_an_id_leaves_newer_ones_unread(owner):
    older, shown, newer = _notify(owner), _notify(owner), _notify(owner)
    assert services.notifications_mark_all_read(actor=owner, up_to_id=shown.pk) == 2
    assert Notification.objects.get(pk=older.pk).read_at is not None
    assert Notification.objects.get(pk=newer.pk).read_at is None


def test_the_digest_is_off_at_eight_until_the_user_turns_it_on(owner):
    preference = services.notification_preference_get(user=owner)
    assert (preference.digest_enabled, preference.digest_hour) == (False, 8)


def test_a_user_turns_the_digest_on_and_it_is_audited(owner):
    before = AuditEntry.objects.count()
    services.notification_preference_update(
        actor=owner, user=owner, data={"digest_enabled": True, "digest_hour": 18}
    )
    stored = NotificationPreference.objects.get(user=owner)
    assert (stored.digest_enabled, stored.digest_hour) == (True, 18)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry is not None
    assert (entry.object_type, entry.object_id) == ("user", str(owner.pk))
    assert entry.changes == {"digest_enabled": [False, True], "digest_hour": [8, 18]}


def test_saving_the_same_preference_again_writes_nothing(owner):
    data = {"digest_enabled": True, "digest_hour": 8}
    services.notification_preference_update(actor=owner, user=owner, data=data)
    before = AuditEntry.objects.count()
    services.notification_preference_update(actor=owner, user=owner, data=data)
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"digest_hour": 24}, "digest_hour"),
        ({"digest_hour": -1}, "digest_hour"),
        ({"digest_hour": True}, "digest_hour"),
        ({"digest_enabled": "yes"}, "digest_enabled"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_preference_is_refused_and_nothing_changes(owner, data, field):
    with pytest.raises(ValidationError) as exc:
        services.notification_preference_update(actor=owner, user=owner, data=data)
    assert list(exc.value.fields) == [field]
    assert not NotificationPreference.objects.exists()


def test_nobody_changes_another_users_digest(owner, admin):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.notification_preference_update(
            actor=admin, user=owner, data={"digest_enabled": True}
        )
    assert not NotificationPreference.objects.exists()
    assert AuditEntry.objects.count() == before
