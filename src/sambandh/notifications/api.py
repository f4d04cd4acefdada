"""API routes for the caller's own notifications: list (keyset, ``unread`` filter), mark one
read, mark all read. Nobody reaches anyone else's: another user's id is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from sambandh.core.api import actor_of
from sambandh.core.schemas import ERRORS, Id
from sambandh.notifications import selectors, services
from sambandh.notifications.models import Notification
from sambandh.notifications.rendering import notification_text

router = Router(tags=["notifications"])
PageSize = Annotated[int, Field(ge=1, le=200)]


class NotificationOut(Schema):
    id: int
    kind: str
    text: str = Field(description="The message, in the caller's language.")
    params: dict[str, Any]
    link: str = Field(description="A path inside Sambandh, or empty.")
    object_type: str
    object_id: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class ReadAllOut(Schema):
    marked: int = Field(description="How many notifications were marked read.")


class ListQuery(Schema):
    unread: bool = False
    cursor: str | None = Field(None, max_length=1000)
    limit: PageSize = 50


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "text": notification_text(n),
        "params": n.params if isinstance(n.params, dict) else {},
        "link": n.link,
        "object_type": n.object_type,
        "object_id": n.object_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "is_read": n.read_at is not None,
    }


@router.get(
    "/notifications",
    response={200: NotificationPageOut, **ERRORS},
    summary="List my notifications",
    description=(
        "Your notifications, newest first; `unread=true` for the unread ones only. Pass "
        "`next_cursor` back as `cursor` for older ones."
    ),
)
def notifications_list(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    page = selectors.notification_list(
        actor=actor_of(request), unread=q.unread, cursor=q.cursor, limit=q.limit
    )
    return {"items": [notification_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/notifications/read-all",
    response={200: ReadAllOut, **ERRORS},
    summary="Mark all my notifications read",
)
def notifications_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notifications_mark_all_read(actor=actor_of(request))}


@router.post(
    "/notifications/{id}/read",
    response={200: NotificationOut, **ERRORS},
    summary="Mark a notification read",
    description="Marking it again keeps the first time it was read.",
)
def notifications_read(request: HttpRequest, id: Id) -> dict[str, Any]:
    actor = actor_of(request)
    notification = selectors.notification_get(actor=actor, pk=id)
    return notification_out(services.notification_mark_read(actor=actor, notification=notification))
