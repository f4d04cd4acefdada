"""How a notification reads: a translatable template per kind, filled with its params, in
the language active when it is shown (the reader's), never the one active when it was made.

The params each kind uses (all strings; a missing one reads as empty, never an error):

- ``assignment``: ``actor`` (who assigned it), ``object_type`` (``contact``, ``account``,
  ``deal``, ``activity``), ``record`` (its name), ``rule`` (the assignment rule's name when a
  rule picked the owner; the message then names the rule).
- ``mention``: ``actor``, ``record``.
- ``reminder``: ``record``.
- ``workflow``: ``message`` (the text the rule's author wrote), ``rule`` (optional).
- ``webhook_disabled``: ``webhook`` (its name or URL), ``failures`` (optional count),
  ``reason`` (optional, shown as given).
- ``system``: ``message`` (shown as given).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sambandh.notifications.models import Notification, NotificationKind


class _Params(dict[str, str]):
    """Template values: missing keys read as empty instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def _params(raw: Any) -> _Params:
    if not isinstance(raw, dict):
        return _Params()
    return _Params({str(k): "" if v is None else str(v) for k, v in raw.items()})


def _assignment(p: _Params) -> str:
    if p["rule"]:
        if p["object_type"] == "contact":
            return _("The rule “%(rule)s” assigned the contact “%(record)s” to you.") % p
        return _("The rule “%(rule)s” assigned “%(record)s” to you.") % p
    by_type = {
        "contact": _("%(actor)s assigned the contact “%(record)s” to you."),
        "account": _("%(actor)s assigned the company “%(record)s” to you."),
        "deal": _("%(actor)s assigned the deal “%(record)s” to you."),
        "activity": _("%(actor)s assigned the activity “%(record)s” to you."),
    }
    return by_type.get(p["object_type"], _("%(actor)s assigned “%(record)s” to you.")) % p


def _webhook(p: _Params) -> str:
    if p["failures"]:
        text = _("The webhook “%(webhook)s” was turned off after %(failures)s failed deliveries.")
    else:
        text = _("The webhook “%(webhook)s” was turned off.")
    text = text % p
    if p["reason"]:
        text = f"{text} {p['reason']}"
    return text


def _workflow(p: _Params) -> str:
    if p["rule"]:
        return _("Workflow “%(rule)s”: %(message)s") % p
    return p["message"]


def notification_text(notification: Notification) -> str:
    """The message in the active language (plain text: templates escape it)."""
    p = _params(notification.params)
    kind = notification.kind
    if kind == NotificationKind.ASSIGNMENT:
        return _assignment(p)
    if kind == NotificationKind.MENTION:
        return _("%(actor)s mentioned you in “%(record)s”.") % p
    if kind == NotificationKind.REMINDER:
        return _("Reminder: “%(record)s” is due.") % p
    if kind == NotificationKind.WORKFLOW:
        return _workflow(p)
    if kind == NotificationKind.WEBHOOK_DISABLED:
        return _webhook(p)
    return p["message"]


def kind_label(kind: str) -> str:
    try:
        return str(NotificationKind(kind).label)
    except ValueError:
        return kind
