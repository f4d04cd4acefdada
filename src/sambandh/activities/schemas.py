"""API schemas of activities, "my day" and timelines.

Inputs are loose (strings for times): the services parse them and answer with translated
per-field messages. A time without an offset is read in the caller's time zone (a meeting's:
in its ``time_zone``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from sambandh.core.schemas import Id, In, Version

Text = str | None
When = str | None


class AttendeeIn(In):
    """One of ``contact_id``, ``user_id`` or ``email``; a contact or user brings their own
    email and time zone unless given."""

    contact_id: Id | None = None
    user_id: Id | None = None
    email: Text = None
    name: Text = None
    time_zone: Text = None


class AttendeeOut(Schema):
    id: int
    contact_id: int | None
    user_id: int | None
    name: str
    email: str
    time_zone: str
    response: str


class ActivityOut(Schema):
    id: int
    version: int
    kind: str
    subject: str
    body: str
    status: str
    owner_id: int | None
    team_id: int | None
    contact_id: int | None
    account_id: int | None
    deal_id: int | None
    occurred_at: dt.datetime = Field(description="Orders the timeline.")
    completed_at: dt.datetime | None
    due_at: dt.datetime | None
    priority: str
    reminder_at: dt.datetime | None
    reminder_dismissed_at: dt.datetime | None
    direction: str
    duration_seconds: int | None
    outcome: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    time_zone: str
    location: str
    meeting_url: str
    ical_uid: str
    ical_sequence: int
    email_from: str
    email_to: list[str]
    attendees: list[AttendeeOut] | None = Field(
        description="A meeting's attendees; null where not included (timelines)."
    )
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityPageOut(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class _Common(In):
    subject: Text = None
    body: Text = None
    owner_id: Id | None = None
    team_id: Id | None = None
    contact_id: Id | None = None
    account_id: Id | None = None
    deal_id: Id | None = None


class TaskIn(_Common):
    due_at: When = None
    priority: Text = None
    reminder_at: When = None


class CallIn(_Common):
    occurred_at: When = None
    direction: Text = None
    duration_seconds: int | None = Field(None, ge=0, le=86400)
    outcome: Text = None


class EmailIn(_Common):
    occurred_at: When = None
    direction: Text = None
    email_from: Text = None
    email_to: list[str] | None = Field(None, max_length=100)


class MeetingIn(_Common):
    starts_at: When = None
    ends_at: When = None
    time_zone: Text = None
    location: Text = None
    meeting_url: Text = None
    attendees: list[AttendeeIn] | None = Field(None, max_length=200)


class ActivityPatchIn(TaskIn, CallIn, EmailIn, MeetingIn):
    """Any field of the activity's kind; a field of another kind is a 400."""

    version: Version


class VersionIn(In):
    version: Version | None = None


class MyDayOut(Schema):
    date: dt.date = Field(description="Today in your time zone.")
    time_zone: str
    overdue: list[ActivityOut]
    today: list[ActivityOut]
    upcoming: list[ActivityOut] = Field(description="The next seven days.")
    no_due_date: list[ActivityOut]
    reminders: list[ActivityOut]


class NoteItemOut(Schema):
    id: int
    body: str
    created_by_id: int | None
    created_by: str | None


class StageChangeOut(Schema):
    deal_id: int
    deal: str
    from_stage: str | None
    to_stage: str
    changed_by_id: int | None
    changed_by: str | None
    seconds_in_from_stage: int | None


class FieldChangeOut(Schema):
    field: str
    label: str
    before: Any
    after: Any


class ChangeOut(Schema):
    action: str
    actor_id: int | None
    actor: str
    changes: list[FieldChangeOut]


class OrderItemOut(Schema):
    id: int
    number: str
    status: str
    ordered_on: dt.date
    currency: str
    total: str
    deal_id: int | None


class TimelineItemOut(Schema):
    kind: str = Field(description="activity, change, note, order or stage.")
    id: int
    at: dt.datetime
    activity: ActivityOut | None = None
    note: NoteItemOut | None = None
    stage_change: StageChangeOut | None = None
    change: ChangeOut | None = None
    order: OrderItemOut | None = None


class TimelinePageOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str | None
