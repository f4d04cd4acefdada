"""The .ics invite, read back with the ``icalendar`` package as a calendar client would."""

from __future__ import annotations

import zoneinfo
from typing import Any

import icalendar
import pytest

from sambandh.activities import services
from tests.activities.helpers import make_meeting
from tests.api.conftest import client_for
from tests.factories import make_contact

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")


def _event(body: bytes) -> tuple[icalendar.Calendar, Any]:
    calendar = icalendar.Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def _meeting(owner, starts: str, ends: str, zone: str = "America/New_York"):
    owner.email = "asha@example.com"
    owner.save(update_fields=["email"])
    contact = make_contact(owner, email="ravi@example.in", time_zone="Asia/Kolkata")
    return make_meeting(
        owner,
        subject="Quarterly review",
        body="Agenda: renewal",
        contact_id=contact.pk,
        time_zone=zone,
        starts_at=starts,
        ends_at=ends,
        location="Board room",
        meeting_url="https://meet.example.com/q1",
        attendees=[
            {"contact_id": contact.pk},
            {"email": "pat@example.com", "name": "Pat", "time_zone": "America/New_York"},
            {"email": "sam@example.co.uk", "name": "Sam", "time_zone": "Europe/London"},
        ],
    )


def test_the_invite_is_a_request_with_a_stable_uid_organizer_and_attendees(owner) -> None:
    meeting = _meeting(owner, "2025-03-05T09:00", "2025-03-05T10:00")
    response = client_for(owner).get(f"/activities/{meeting.pk}/ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="meeting-{meeting.pk}.ics"'
    calendar, event = _event(response.content)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == meeting.ical_uid
    assert event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Quarterly review"
    assert str(event["DESCRIPTION"]) == "Agenda: renewal"
    assert str(event["LOCATION"]) == "Board room"
    assert str(event["URL"]) == "https://meet.example.com/q1"
    assert str(event["ORGANIZER"]) == "mailto:asha@example.com"
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {
        "mailto:ravi@example.in",
        "mailto:pat@example.com",
        "mailto:sam@example.co.uk",
    }
    for params in attendees.values():
        assert params["PARTSTAT"] == "NEEDS-ACTION"
        assert params["RSVP"] == "TRUE"
    # The start carries the meeting's zone, and that zone is described in a VTIMEZONE.
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


@pytest.mark.parametrize(
    ("starts", "ends", "expected"),
    [
        # Before the US DST change (9 March 2025): New York is UTC-5, London UTC+0.
        (
            "2025-03-05T09:00",
            "2025-03-05T10:00",
            {
                KOLKATA: ((2025, 3, 5, 19, 30), (2025, 3, 5, 20, 30)),
                NEW_YORK: ((2025, 3, 5, 9, 0), (2025, 3, 5, 10, 0)),
                LONDON: ((2025, 3, 5, 14, 0), (2025, 3, 5, 15, 0)),
            },
        ),
        # After it (London has not changed yet): New York is UTC-4, one hour closer to India.
        (
            "2025-03-12T09:00",
            "2025-03-12T10:00",
            {
                KOLKATA: ((2025, 3, 12, 18, 30), (2025, 3, 12, 19, 30)),
                NEW_YORK: ((2025, 3, 12, 9, 0), (2025, 3, 12, 10, 0)),
                LONDON: ((2025, 3, 12, 13, 0), (2025, 3, 12, 14, 0)),
            },
        ),
        # A meeting across the change itself: 01:00-04:00 New York time lasts two hours.
        (
            "2025-03-09T01:00",
            "2025-03-09T04:00",
            {
                KOLKATA: ((2025, 3, 9, 11, 30), (2025, 3, 9, 13, 30)),
                NEW_YORK: ((2025, 3, 9, 1, 0), (2025, 3, 9, 4, 0)),
                LONDON: ((2025, 3, 9, 6, 0), (2025, 3, 9, 8, 0)),
            },
        ),
    ],
)
def test_each_attendee_sees_the_right_wall_clock_time(owner, starts, ends, expected) -> None:
    meeting = _meeting(owner, starts, ends)
    body = services.meeting_invite(meeting=meeting, attendees=list(meeting.attendees.all()))
    _calendar, event = _event(body)
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")
    assert len(event["ATTENDEE"]) == 3
    for zone, (local_start, local_end) in expected.items():
        assert start.astimezone(zone).timetuple()[:5] == local_start
        assert end.astimezone(zone).timetuple()[:5] == local_end
    by_email = {a.email: zoneinfo.ZoneInfo(a.time_zone) for a in meeting.attendees.all()}
    assert by_email == {
        "ravi@example.in": KOLKATA,
        "pat@example.com": NEW_YORK,
        "sam@example.co.uk": LONDON,
    }


def test_a_change_raises_the_sequence_and_a_cancellation_says_cancel(owner) -> None:
    meeting = _meeting(owner, "2025-03-05T09:00", "2025-03-05T10:00")
    moved = services.meeting_update(
        actor=owner,
        activity=meeting,
        data={"starts_at": "2025-03-05T11:00", "ends_at": "2025-03-05T12:00"},
        version=meeting.version,
    )
    _calendar, event = _event(
        services.meeting_invite(meeting=moved, attendees=list(moved.attendees.all()))
    )
    assert event["SEQUENCE"] == 1
    assert str(event["UID"]) == meeting.ical_uid
    assert event.decoded("DTSTART").astimezone(NEW_YORK).hour == 11
    cancelled = services.meeting_cancel(actor=owner, activity=moved)
    calendar, event = _event(
        services.meeting_invite(meeting=cancelled, attendees=list(cancelled.attendees.all()))
    )
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2


def test_only_meetings_have_an_invite_and_only_for_who_sees_them(owner, outsider) -> None:
    meeting = _meeting(owner, "2025-03-05T09:00", "2025-03-05T10:00")
    assert client_for(outsider).get(f"/activities/{meeting.pk}/ics").status_code == 404
    task = services.task_create(
        actor=owner, data={"subject": "t", "contact_id": meeting.contact_id}
    )
    response = client_for(owner).get(f"/activities/{task.pk}/ics")
    assert response.status_code == 400
    assert response.json()["fields"] == {"kind": ["Only meetings have a calendar invite."]}
