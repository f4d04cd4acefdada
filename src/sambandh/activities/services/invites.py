"""The iCalendar (RFC 5545) invite of a meeting: what Outlook, Google Calendar and Apple
Calendar import. Times are written in the meeting's own zone (TZID) with a VTIMEZONE that
describes it, so each attendee's client converts to their zone, across DST changes too."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.activities.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    AttendeeResponse,
    MeetingAttendee,
)
from sambandh.core.errors import ValidationError

PRODID = "-//Sambandh//Sambandh CRM//EN"
PARTSTAT = {
    AttendeeResponse.NEEDS_ACTION: "NEEDS-ACTION",
    AttendeeResponse.ACCEPTED: "ACCEPTED",
    AttendeeResponse.DECLINED: "DECLINED",
    AttendeeResponse.TENTATIVE: "TENTATIVE",
}


def _address(email: str, name: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


def _attendee(attendee: MeetingAttendee) -> icalendar.vCalAddress:
    address = _address(attendee.email, attendee.name)
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["ROLE"] = "REQ-PARTICIPANT"
    address.params["PARTSTAT"] = PARTSTAT.get(AttendeeResponse(attendee.response), "NEEDS-ACTION")
    address.params["RSVP"] = "TRUE"
    return address


def meeting_invite(*, meeting: Activity, attendees: list[MeetingAttendee], url: str = "") -> bytes:
    """The .ics file of ``meeting``: METHOD:REQUEST (CANCEL once cancelled), a stable UID and
    the SEQUENCE that grows with every change. ``url`` is where the meeting is in Sambandh."""
    if meeting.kind != ActivityKind.MEETING or meeting.ends_at is None:
        raise ValidationError({"kind": [_("Only meetings have a calendar invite.")]})
    zone = zoneinfo.ZoneInfo(meeting.time_zone or "UTC")
    cancelled = meeting.status == ActivityStatus.CANCELLED
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", meeting.ical_uid or f"activity-{meeting.pk}@sambandh")
    event.add("sequence", meeting.ical_sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("created", meeting.created_at.astimezone(dt.UTC))
    event.add("last-modified", meeting.updated_at.astimezone(dt.UTC))
    event.add("dtstart", meeting.occurred_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.subject)
    if meeting.body:
        event.add("description", meeting.body)
    location = meeting.location or meeting.meeting_url
    if location:
        event.add("location", location)
    link = meeting.meeting_url or url
    if link:
        event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = meeting.owner
    if organizer is not None and organizer.email:
        event.add("organizer", _address(organizer.email, str(organizer)))
    for attendee in attendees:
        event.add("attendee", _attendee(attendee))
    calendar.add_component(event)
    # A VTIMEZONE for the meeting's zone, covering the years around it (not 1970-2038 in full).
    year = meeting.occurred_at.astimezone(zone).year
    calendar.add_missing_timezones(
        first_date=dt.date(year - 1, 1, 1), last_date=dt.date(year + 2, 1, 1)
    )
    return bytes(calendar.to_ical())
