"""Reads of notifications: always the actor's own, never anyone else's."""

from __future__ import annotations

from django.db.models import QuerySet

from sambandh.core.errors import NotFound
from sambandh.core.models import User
from sambandh.core.pagination import Page, SortKey, bounded_count, paginate
from sambandh.notifications.models import Notification

BY_ID = SortKey("id", ("id",))
# The bell says "99+" beyond this.
BELL_MAX = 99
LIST_COLUMNS = (
    "id",
    "recipient_id",
    "kind",
    "params",
    "link",
    "object_type",
    "object_id",
    "created_at",
    "read_at",
)


def _own(actor: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=actor)


def notification_list(
    *, actor: User, unread: bool = False, cursor: str | None = None, limit: int = 50
) -> Page[Notification]:
    """One page of the actor's notifications, newest first (keyset on id, never counted)."""
    qs = _own(actor).only(*LIST_COLUMNS)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return paginate(qs, sort=BY_ID, descending=True, cursor=cursor, limit=limit)


def notification_get(*, actor: User, pk: int) -> Notification:
    """One of the actor's notifications; anyone else's is NotFound (its existence stays hidden)."""
    found = _own(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def unread_count(*, actor: User) -> tuple[int, bool]:
    """Unread notifications up to ``BELL_MAX``, and whether there are more: one query with a
    LIMIT on the inbox index, never a count of everything."""
    return bounded_count(_own(actor).filter(read_at__isnull=True), BELL_MAX)
