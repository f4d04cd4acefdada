"""The notifications share of the permission matrix (see ``tests/matrix.py``).

Every role reaches only its own notifications: the target notification belongs to the
administrator who owns every target, so marking it read is a 404 for everyone else, and
nothing changes."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.notifications import services
from sambandh.notifications.models import Notification, NotificationKind, NotificationPreference
from tests.matrix import MatrixPart, Targets

EVERYONE = "200 200 200 200 200 200"
NOBODY = "404 404 404 404 404 404"
POST_ONLY = "405 405 405 405 405 405"

API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/notifications"): EVERYONE,
    ("POST", "/api/v1/notifications/read-all"): EVERYONE,
    ("POST", "/api/v1/notifications/{id}/read"): NOBODY,
}


def _make_targets(t: Targets) -> None:
    t.objects["notification"] = services.notify(
        recipient=t.admin,
        kind=NotificationKind.SYSTEM,
        params={"message": "For the target administrator only"},
        link="/notifications/",
    )


def html_views(pk: int = 1) -> list[tuple[str, str]]:
    return [
        ("notifications:list", reverse("notifications:list")),
        ("notifications:read_all", reverse("notifications:read_all")),
        ("notifications:preferences", reverse("notifications:preferences")),
        ("notifications:read", reverse("notifications:read", args=[pk])),
    ]


HTML_GET_MATRIX: dict[str, str] = {
    "notifications:list": EVERYONE,
    "notifications:read_all": POST_ONLY,
    "notifications:preferences": EVERYONE,
    "notifications:read": POST_ONLY,
}
# Marking one's own notifications read is not audited (it is the reader's inbox state, not
# a business record), so read_all is left out here: the matrix asserts an audit entry for
# every allowed POST. tests/notifications/test_views.py covers it.
HTML_POST_MATRIX: dict[str, str] = {
    "notifications:read": NOBODY,
    "notifications:preferences": "302 302 302 302 302 302",
}


def _html_url(name: str, path: str, t: Targets) -> str:
    if name == "notifications:read":
        return path.replace("/1/", f"/{t.notification.pk}/")
    return path


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    if name == "notifications:preferences":
        return {"digest_enabled": "on", "digest_hour": "9"}
    return {"go": "1"}


PART = MatrixPart(
    name="notifications",
    api=API_MATRIX,
    api_ids=[("/api/v1/notifications/", "notification")],
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[Notification, NotificationPreference],
)
