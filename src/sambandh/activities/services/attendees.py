"""Meeting attendees: contacts, users or plain addresses, each in their own time zone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sambandh.activities.models import Activity, AttendeeResponse, MeetingAttendee
from sambandh.contacts.models import Contact
from sambandh.core import validation
from sambandh.core.models import User
from sambandh.core.permissions import visible

MAX_ATTENDEES = 200
KEYS = {"contact_id", "user_id", "email", "name", "time_zone"}


def _pk(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_("Enter a valid id."))
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(_("Enter a valid id.")) from exc
    if not 1 <= number < 2**63:
        raise ValueError(_("Enter a valid id."))
    return number


def _one(
    actor: User,
    raw: Any,
    meeting_zone: str,
    contacts: dict[int, Contact],
    users: dict[int, User],
) -> MeetingAttendee:
    if not isinstance(raw, dict) or not raw:
        raise ValueError(_("Enter a contact, a user or an email address."))
    if set(raw) - KEYS:
        raise ValueError(_("Unknown field."))
    given = [k for k in ("contact_id", "user_id") if raw.get(k) not in (None, "")]
    if len(given) > 1:
        raise ValueError(_("Enter a contact, a user or an email address."))
    name = validation.clean_text(raw.get("name"), max_length=200)
    email = validation.clean_email(raw.get("email"))
    zone = validation.clean_time_zone(raw.get("time_zone"))
    contact = user = None
    if given == ["contact_id"]:
        contact = contacts.get(_pk(raw["contact_id"]))
        if contact is None:
            raise ValueError(_("Choose a contact you can see."))
        email = email or contact.email.lower()
        name = name or str(contact)
        zone = zone or contact.time_zone
    elif given == ["user_id"]:
        user = users.get(_pk(raw["user_id"]))
        if user is None:
            raise ValueError(_("Choose an active user."))
        email = email or user.email.lower()
        name = name or str(user)
        zone = zone or user.time_zone
    if not email:
        raise ValueError(_("This attendee has no email address."))
    return MeetingAttendee(
        contact=contact,
        user=user,
        name=name,
        email=email,
        time_zone=zone or meeting_zone,
    )


def _ids(items: list[Any], key: str) -> set[int]:
    found: set[int] = set()
    for raw in items:
        if isinstance(raw, dict) and raw.get(key) not in (None, ""):
            try:
                found.add(_pk(raw[key]))
            except ValueError:
                continue
    return found


def clean_attendees(
    actor: User, raw: Any, meeting_zone: str, errors: dict[str, list[str]]
) -> list[MeetingAttendee]:
    """Unsaved attendees; problems go into ``errors`` as ``attendees.<n>``. Contacts must be
    visible to the actor; a contact or a user brings their email and time zone."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ATTENDEES:
        errors.setdefault("attendees", []).append(
            _("Enter a list of at most %(n)d attendees.") % {"n": MAX_ATTENDEES}
        )
        return []
    contacts = {c.pk: c for c in visible(actor, Contact).filter(pk__in=_ids(raw, "contact_id"))}
    users = {u.pk: u for u in User.objects.filter(pk__in=_ids(raw, "user_id"), is_active=True)}
    result: list[MeetingAttendee] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        try:
            attendee = _one(actor, item, meeting_zone, contacts, users)
        except ValueError as exc:
            errors.setdefault(f"attendees.{index}", []).append(str(exc))
            continue
        if attendee.email in seen:
            errors.setdefault(f"attendees.{index}", []).append(_("This attendee is listed twice."))
            continue
        seen.add(attendee.email)
        result.append(attendee)
    return result


def replace_attendees(activity: Activity, attendees: list[MeetingAttendee]) -> list[Any] | None:
    """Make ``attendees`` the meeting's list; answers already given by an address are kept.
    Returns the audit pair ``[before emails, after emails]``, or None when nothing changed."""
    current = {a.email: a for a in activity.attendees.all()}
    wanted = {a.email: a for a in attendees}

    def shape(a: MeetingAttendee) -> tuple[Any, ...]:
        return (a.contact_id, a.user_id, a.name, a.time_zone)

    if current.keys() == wanted.keys() and all(
        shape(current[e]) == shape(wanted[e]) for e in wanted
    ):
        return None
    responses = {e: a.response for e, a in current.items()}
    activity.attendees.all().delete()
    for attendee in attendees:
        attendee.activity = activity
        attendee.response = responses.get(attendee.email, AttendeeResponse.NEEDS_ACTION)
    MeetingAttendee.objects.bulk_create(attendees)
    return [sorted(current), sorted(wanted)]
