"""Every write to notifications and digest preferences.

Other apps call ``notify`` / ``notify_many`` explicitly (no signals), inside their own
transaction, so a notification exists exactly when the change that caused it was committed.
Marking read is the reader's own inbox state, not a change to the business's records: it is
neither audited nor published as a domain event (an assignment already is, by its service).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.core.audit import audit_record
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import ObjectType, User
from sambandh.notifications.models import Notification, NotificationKind, NotificationPreference

MAX_PARAM_LENGTH = 1000
BATCH_SIZE = 500
DIGEST_HOURS = range(24)
# Where an assignment notification leads, by object type.
RECORD_URLS: dict[str, str] = {
    ObjectType.CONTACT: "web:contact_detail",
    ObjectType.ACCOUNT: "web:account_detail",
    ObjectType.DEAL: "sales:deal_detail",
    ObjectType.ACTIVITY: "activities:detail",
}


def _clean_link(link: str) -> str:
    """A path inside the app. "//host" and "/\\host" are other sites to a browser: refused,
    so a notification can never send its reader elsewhere."""
    if not isinstance(link, str):
        raise ValidationError({"link": [_("Enter a path inside Sambandh, starting with “/”.")]})
    if link == "":
        return link
    if (
        not link.startswith("/")
        or link[1:2] in {"/", "\\"}
        or len(link) > 500
        or any(c.isspace() or ord(c) < 32 for c in link)
    ):
        raise ValidationError({"link": [_("Enter a path inside Sambandh, starting with “/”.")]})
    return link


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValidationError({"params": [_("Enter an object.")]})
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not (
            value is None or isinstance(value, str | int | float | bool)
        ):
            raise ValidationError({"params": [_("Enter text or numbers only.")]})
        clean[key] = value[:MAX_PARAM_LENGTH] if isinstance(value, str) else value
    return clean


def _build(
    *,
    recipient: User | int,
    kind: str,
    params: Mapping[str, Any] | None,
    link: str,
    object_type: str,
    object_id: str | int | None,
    dedupe_key: str,
    at: Any,
) -> Notification:
    if kind not in NotificationKind.values:
        raise ValidationError({"kind": [_("Choose one of the offered values.")]})
    object_id = "" if object_id is None else str(object_id)
    if len(object_type) > 40 or len(object_id) > 64 or len(dedupe_key) > 200:
        raise ValidationError({"": [_("Enter a valid value.")]})
    recipient_id = recipient.pk if isinstance(recipient, User) else recipient
    return Notification(
        recipient_id=recipient_id,
        kind=kind,
        params=_clean_params(params),
        link=_clean_link(link),
        object_type=object_type,
        object_id=object_id,
        dedupe_key=dedupe_key,
        created_at=at,
    )


def notify(
    *,
    recipient: User | int,
    kind: str,
    params: Mapping[str, Any] | None,
    link: str = "",
    object_type: str = "",
    object_id: str | int | None = "",
    dedupe_key: str = "",
) -> Notification:
    """Leave ``recipient`` a notification of ``kind`` (worded from ``params`` when read, in the
    reader's language; see ``rendering``). ``link`` is a path inside the app.

    With a ``dedupe_key``, calling again for the same recipient and key creates nothing and
    returns the notification made the first time: an event handler that runs twice for one
    event notifies once. Runs in the caller's transaction."""
    notification = _build(
        recipient=recipient,
        kind=kind,
        params=params,
        link=link,
        object_type=object_type,
        object_id=object_id,
        dedupe_key=dedupe_key,
        at=timezone.now(),
    )
    if not dedupe_key:
        notification.save(force_insert=True)
        return notification
    with transaction.atomic():
        # ON CONFLICT DO NOTHING (INSERT OR IGNORE): a concurrent twin waits for the first
        # insert to commit and then inserts nothing, instead of failing on the unique index.
        Notification.objects.bulk_create([notification], ignore_conflicts=True)
        return Notification.objects.get(
            recipient_id=notification.recipient_id, dedupe_key=dedupe_key
        )


def notify_many(
    *,
    recipients: Iterable[User | int],
    kind: str,
    params: Mapping[str, Any] | None,
    link: str = "",
    object_type: str = "",
    object_id: str | int | None = "",
    dedupe_key: str = "",
) -> None:
    """The same notification for many users, inserted in batches. A recipient listed twice
    gets one; with a ``dedupe_key``, a recipient who already has it gets nothing new."""
    at = timezone.now()
    seen: set[int] = set()
    rows: list[Notification] = []
    for recipient in recipients:
        rid = recipient.pk if isinstance(recipient, User) else recipient
        if rid in seen:
            continue
        seen.add(rid)
        rows.append(
            _build(
                recipient=rid,
                kind=kind,
                params=params,
                link=link,
                object_type=object_type,
                object_id=object_id,
                dedupe_key=dedupe_key,
                at=at,
            )
        )
    if rows:
        Notification.objects.bulk_create(
            rows, batch_size=BATCH_SIZE, ignore_conflicts=bool(dedupe_key)
        )


def assignment_notify(
    *,
    actor: User | None,
    obj: models.Model,
    object_type: str,
    previous_owner_id: int | None,
    rule: str = "",
) -> Notification | None:
    """Tell the owner of ``obj`` that it became theirs, unless they did it themself or the
    owner did not change. Called by the services that set an owner, in their transaction;
    ``actor`` None with ``rule`` is an assignment rule's doing."""
    owner_id = getattr(obj, "owner_id", None)
    if owner_id is None or owner_id == previous_owner_id:
        return None
    if actor is not None and actor.pk == owner_id:
        return None
    params: dict[str, Any] = {
        "actor": str(actor) if actor is not None else "",
        "object_type": object_type,
        "record": str(obj),
    }
    if rule:
        params["rule"] = rule
    url_name = RECORD_URLS.get(object_type)
    return notify(
        recipient=owner_id,
        kind=NotificationKind.ASSIGNMENT,
        params=params,
        link=reverse(url_name, args=[obj.pk]) if url_name else "",
        object_type=object_type,
        object_id=obj.pk,
    )


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read (reading it twice keeps the first time).
    Anyone else's is PermissionDenied and stays as it was."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied()
    moment = timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=moment
    )
    if updated:
        notification.read_at = moment
    else:
        notification.read_at = (
            Notification.objects.filter(pk=notification.pk)
            .values_list("read_at", flat=True)
            .first()
        )
    return notification


def notifications_mark_all_read(*, actor: User, up_to_id: int | None = None) -> int:
    """Mark all of the actor's unread notifications read; with ``up_to_id``, only those up to
    that id (what the page showed, not what arrived since). Returns how many."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if up_to_id is not None:
        qs = qs.filter(pk__lte=up_to_id)
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------- digest preference


def notification_preference_get(*, user: User) -> NotificationPreference:
    """The user's preference; the defaults (digest off, 08:00) when never saved."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found if found is not None else NotificationPreference(user=user)


def _clean_preference(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key in data:
        if key not in {"digest_enabled", "digest_hour"}:
            errors[key] = [_("Unknown field.")]
    if "digest_enabled" in data:
        enabled = data["digest_enabled"]
        if isinstance(enabled, bool):
            values["digest_enabled"] = enabled
        else:
            errors["digest_enabled"] = [_("Enter yes or no.")]
    if "digest_hour" in data:
        hour = data["digest_hour"]
        if isinstance(hour, str) and hour.strip().isdigit():
            hour = int(hour.strip())
        if isinstance(hour, int) and not isinstance(hour, bool) and hour in DIGEST_HOURS:
            values["digest_hour"] = hour
        else:
            errors["digest_hour"] = [_("Choose an hour from 0 to 23.")]
    if errors:
        raise ValidationError(errors)
    return values


def notification_preference_update(
    *, actor: User, user: User, data: Mapping[str, Any]
) -> NotificationPreference:
    """Turn the daily digest on or off and set its hour (0-23, in the user's own time zone).
    Only the user themself; the change is in the audit trail under the user."""
    if actor.pk != user.pk:
        raise PermissionDenied()
    values = _clean_preference(data)
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user
        )
        changes = {
            name: [getattr(preference, name), value]
            for name, value in values.items()
            if getattr(preference, name) != value
        }
        if changes:
            for name, (_before, after) in changes.items():
                setattr(preference, name, after)
            preference.updated_at = timezone.now()
            preference.save()
            audit_record(
                actor=actor,
                action="update",
                object_type=ObjectType.USER,
                object_id=user.pk,
                object_repr=str(user),
                changes=changes,
            )
    return preference
