"""The edit form's save: the fields of an activity and, for a task, its status, together."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.activities.models import Activity, ActivityKind, ActivityStatus
from sambandh.activities.services.records import activity_update, task_complete, task_reopen
from sambandh.core.errors import ValidationError
from sambandh.core.models import User

# The statuses a task's form offers; a meeting is held or cancelled by its own actions.
TASK_STATUSES = (ActivityStatus.OPEN.value, ActivityStatus.DONE.value)


def activity_edit(
    *,
    actor: User,
    activity: Activity,
    data: dict[str, Any],
    version: int | None,
    status: str | None = None,
) -> Activity:
    """Save an edit form in one transaction: the fields through ``activity_update`` (a stale
    ``version`` is a Conflict), then, when a task's ``status`` changed, complete or reopen
    it. Any error leaves the activity as it was; field errors come back together."""
    errors: dict[str, list[str]] = {}
    if status is not None and (activity.kind != ActivityKind.TASK or status not in TASK_STATUSES):
        errors["status"] = [_("Choose one of the offered values.")]
    with transaction.atomic():
        try:
            activity = activity_update(actor=actor, activity=activity, data=data, version=version)
        except ValidationError as exc:
            if not errors:
                raise
            raise ValidationError({**exc.fields, **errors}) from exc
        if errors:
            raise ValidationError(errors)
        if status is not None and status != activity.status:
            change = task_complete if status == ActivityStatus.DONE else task_reopen
            activity = change(actor=actor, activity=activity, version=activity.version)
    return activity
