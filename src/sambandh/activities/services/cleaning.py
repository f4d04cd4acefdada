"""Field cleaners and shared checks for activity writes. Each cleaner returns a clean value or
raises ``ValueError`` with a translated message; the services collect those per field."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.activities.models import (
    Activity,
    ActivityKind,
    CallOutcome,
    Direction,
    Priority,
)
from sambandh.contacts.models import Account, Contact
from sambandh.contacts.services.cleaning import _check_assignment, _check_assignment_create
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType, OrganisationSettings, Team, User
from sambandh.core.permissions import get_visible
from sambandh.core.records import collect, reject_unknown
from sambandh.sales.models import Deal

Cleaner = Callable[[Any], Any]
SUBJECT_MAX = 300
BODY_MAX = 20000
MAX_DURATION = 24 * 60 * 60
MAX_RECIPIENTS = 100
# Far enough for any real schedule, near enough that no database or zone table overflows.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)

PARENTS: dict[str, type[Contact] | type[Account] | type[Deal]] = {
    "contact_id": Contact,
    "account_id": Account,
    "deal_id": Deal,
}
COMMON_FIELDS = ("subject", "body", "owner_id", "team_id", *PARENTS)
TASK_FIELDS = (*COMMON_FIELDS, "due_at", "priority", "reminder_at")
CALL_FIELDS = (*COMMON_FIELDS, "occurred_at", "direction", "duration_seconds", "outcome")
EMAIL_FIELDS = (*COMMON_FIELDS, "occurred_at", "direction", "email_from", "email_to")
MEETING_FIELDS = (
    *COMMON_FIELDS,
    "starts_at",
    "ends_at",
    "time_zone",
    "location",
    "meeting_url",
    "attendees",
)
FIELDS_BY_KIND = {
    ActivityKind.TASK: TASK_FIELDS,
    ActivityKind.CALL: CALL_FIELDS,
    ActivityKind.EMAIL: EMAIL_FIELDS,
    ActivityKind.MEETING: MEETING_FIELDS,
}


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """The user's IANA zone, else the organisation's, else UTC."""
    for name in (user.time_zone, OrganisationSettings.get().time_zone):
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def clean_datetime(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """An aware datetime in UTC. A time without an offset is read in ``zone`` (the user's or
    the meeting's): a form's ``2025-03-09T10:00`` means ten o'clock where the user is."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(_("Enter a date and time such as 2025-03-09T14:30.")) from exc
    if not isinstance(value, dt.datetime):
        raise ValueError(_("Enter a date and time such as 2025-03-09T14:30."))
    result: dt.datetime
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        result = value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError(_("Enter a date and time such as 2025-03-09T14:30.")) from exc
    if not EARLIEST <= result < LATEST:
        raise ValueError(_("Enter a date between 1970 and 2200."))
    return result


def _choice(choices: list[str]) -> Cleaner:
    def clean(value: Any) -> str:
        text = validation.clean_text(value, max_length=40)
        if text and text not in choices:
            raise ValueError(_("Choose one of the offered values."))
        return text

    return clean


def _duration(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter a whole number."))
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise ValueError(_("Enter a whole number.")) from exc
    if not 0 <= number <= MAX_DURATION:
        raise ValueError(_("Enter a number of seconds from 0 to %(n)d.") % {"n": MAX_DURATION})
    return number


def _email_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",") if part.strip()]
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        raise ValueError(_("Enter at most %(n)d email addresses.") % {"n": MAX_RECIPIENTS})
    return [validation.clean_email(v, required=True) for v in value]


def _id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter a valid id."))
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise ValueError(_("Enter a valid id.")) from exc
    if not 1 <= number < 2**63:
        raise ValueError(_("Enter a valid id."))
    return number


def _owner(value: Any) -> int | None:
    pk = _id(value)
    if pk is not None and not User.objects.filter(pk=pk, is_active=True).exists():
        raise ValueError(_("Choose an active user."))
    return pk


def _team(value: Any) -> int | None:
    pk = _id(value)
    if pk is not None and not Team.objects.filter(pk=pk).exists():
        raise ValueError(_("Choose an existing team."))
    return pk


def cleaners(zone: dt.tzinfo) -> dict[str, Cleaner]:
    """Every plain field's cleaner. Parents and attendees are checked against the actor."""

    def when(value: Any) -> dt.datetime | None:
        return clean_datetime(value, zone)

    return {
        "subject": lambda v: validation.clean_text(v, max_length=SUBJECT_MAX, required=True),
        "body": lambda v: validation.clean_text(v, max_length=BODY_MAX),
        "owner_id": _owner,
        "team_id": _team,
        "due_at": when,
        "reminder_at": when,
        "occurred_at": when,
        "starts_at": when,
        "ends_at": when,
        "priority": _choice(list(Priority.values)),
        "direction": _choice(list(Direction.values)),
        "outcome": _choice(list(CallOutcome.values)),
        "duration_seconds": _duration,
        "email_from": lambda v: validation.clean_email(v),
        "email_to": _email_list,
        "location": lambda v: validation.clean_text(v, max_length=300),
        "meeting_url": validation.clean_url,
        "contact_id": _id,
        "account_id": _id,
        "deal_id": _id,
    }


def clean_fields(
    data: Any, allowed: tuple[str, ...], zone: dt.tzinfo, errors: dict[str, list[str]]
) -> dict[str, Any]:
    """The plain fields of ``data`` (not attendees, not the time zone), cleaned."""
    if not isinstance(data, dict):
        raise ValidationError({"": [_("Enter an object.")]})
    reject_unknown(data, allowed)
    table = cleaners(zone)
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name in {"attendees", "time_zone"}:
            continue
        value = collect(errors, name, table[name], raw)
        if name not in errors:
            values[name] = value
    return values


def resolve_parents(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Replace parent ids by records the actor can see. An unseen parent is NotFound, as if it
    did not exist; the ids stay in ``values`` for the audit entry."""
    found: dict[str, Any] = {}
    for name, model in PARENTS.items():
        if name in values:
            pk = values[name]
            found[name[:-3]] = get_visible(actor, model, pk) if pk is not None else None
    return found


def require_a_parent(contact: Any, account: Any, deal: Any) -> None:
    if contact is None and account is None and deal is None:
        raise ValidationError(
            {"": [_("Link the activity to a contact, a company or a deal.")]},
            code="validation_error",
        )


def check_assignment(actor: User, values: dict[str, Any], current: Activity | None) -> None:
    """Owner and team follow the same rules as contacts: without an ``all`` scope a user
    assigns work to themselves (or, with a team read scope, within their own teams)."""
    if current is None:
        _check_assignment_create(actor, values, ObjectType.ACTIVITY)
    else:
        _check_assignment(actor, values, current)


def check_order(
    errors: dict[str, list[str]], start: dt.datetime | None, end: dt.datetime | None
) -> None:
    if start is not None and end is not None and end <= start:
        errors.setdefault("ends_at", []).append(_("The end must be after the start."))


def now() -> dt.datetime:
    return timezone.now()


def clean_zone(value: Any, errors: dict[str, list[str]], *, required: bool) -> str:
    try:
        return validation.clean_time_zone(value, required=required)
    except ValueError as exc:
        errors.setdefault("time_zone", []).append(str(exc))
        return ""
