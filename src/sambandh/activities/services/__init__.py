"""Every write to activities: tasks, calls, logged emails, meetings and reminders.

``cleaning`` holds the field cleaners, ``attendees`` the meeting guest list, ``records`` the
writes, ``editing`` the edit form's save, ``invites`` the iCalendar file. Callers import from here.
"""

from __future__ import annotations

from sambandh.activities.services.editing import activity_edit
from sambandh.activities.services.invites import meeting_invite
from sambandh.activities.services.records import (
    activity_delete,
    activity_update,
    call_log,
    email_log,
    meeting_cancel,
    meeting_schedule,
    meeting_update,
    reminder_dismiss,
    task_complete,
    task_create,
    task_delete,
    task_reopen,
    task_update,
)

__all__ = [
    "activity_delete",
    "activity_edit",
    "activity_update",
    "call_log",
    "email_log",
    "meeting_cancel",
    "meeting_invite",
    "meeting_schedule",
    "meeting_update",
    "reminder_dismiss",
    "task_complete",
    "task_create",
    "task_delete",
    "task_reopen",
    "task_update",
]
