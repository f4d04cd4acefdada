"""Workflow rules: saving them (validated, versioned, audited), firing them (from events,
dates, inactivity, a schedule, or by hand), and running them.

Firing makes a ``WorkflowRun`` row per workflow and record, keyed so that a firing happens
once. A worker leases pending runs and runs each in one transaction with its actions: the
run's new state commits with what its actions wrote, or nothing does. A worker that dies
mid-run leaves the run leased; when the lease runs out another worker runs it again.

Loop protection: events written by a run's actions carry the run (``wf:<run id>`` as their
request id); a workflow is not fired again by a chain it is already in, and a chain stops at
``MAX_CHAIN`` workflows.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import FieldError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.automation import actions as _actions  # noqa: F401 - registers the actions
from sambandh.automation.conditions import compile_conditions, count_filters, field_path
from sambandh.automation.leases import lease
from sambandh.automation.models import (
    RunState,
    TriggerType,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)
from sambandh.automation.registry import ACTIONS, OBJECT_TYPES, RunContext, model_for
from sambandh.automation.services import require_admin as require_admin
from sambandh.core import validation
from sambandh.core.audit import audit_record
from sambandh.core.context import request_id_var
from sambandh.core.errors import PermissionDenied, SambandhError, ValidationError
from sambandh.core.models import OrganisationSettings, OutboxEvent, User
from sambandh.core.permissions import visible
from sambandh.core.records import collect, lock_for_update, raise_if

log = logging.getLogger(__name__)

MAX_CHAIN = 5
MAX_ACTIONS = 20
RUN_BATCH = 50
EVENT_TRIGGERS = {
    TriggerType.RECORD_CREATED,
    TriggerType.RECORD_UPDATED,
    TriggerType.FIELD_CHANGED,
    TriggerType.STAGE_CHANGED,
    TriggerType.FORM_SUBMITTED,
}
TIMED_TRIGGERS = {TriggerType.DATE, TriggerType.INACTIVITY, TriggerType.SCHEDULE}
DATE_FIELDS = {"contact": ("birthday", "anniversary"), "deal": ("expected_close_on",)}
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


# ---------------------------------------------------------------- validation


def _int(value: Any, low: int, high: int, message: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not low <= number <= high:
        raise ValueError(message)
    return number


def clean_trigger(object_type: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("type") not in TriggerType.values:
        raise ValueError(_("Choose what starts the workflow."))
    kind = raw["type"]
    trigger: dict[str, Any] = {"type": kind}
    if kind == TriggerType.FIELD_CHANGED:
        name = str(raw.get("field") or "")
        field_path(object_type, name)
        trigger["field"] = name
        if raw.get("to") not in (None, ""):
            if isinstance(raw["to"], dict | list):
                raise ValueError(_("Give one value the field changes to."))
            trigger["to"] = raw["to"]
    elif kind == TriggerType.STAGE_CHANGED:
        if object_type != "deal":
            raise ValueError(_("Only deals change stage."))
        if raw.get("stage_id") not in (None, ""):
            from sambandh.sales.models import Stage

            stage_id = _int(raw["stage_id"], 1, 2**62, _("Choose a stage."))
            if not Stage.objects.filter(pk=stage_id).exists():
                raise ValueError(_("Choose a stage."))
            trigger["stage_id"] = stage_id
    elif kind == TriggerType.FORM_SUBMITTED:
        if object_type != "contact":
            raise ValueError(_("A web form makes contacts."))
        if raw.get("form_id") not in (None, ""):
            from sambandh.sales.models import LeadForm

            form_id = _int(raw["form_id"], 1, 2**62, _("Choose a web form."))
            if not LeadForm.objects.filter(pk=form_id).exists():
                raise ValueError(_("Choose a web form."))
            trigger["form_id"] = form_id
    elif kind == TriggerType.DATE:
        name = str(raw.get("field") or "")
        if name not in DATE_FIELDS.get(object_type, ()) and not name.startswith("cf."):
            raise ValueError(_("Choose a date field such as the birthday."))
        if name.startswith("cf."):
            field_path(object_type, name)
        trigger["field"] = name
        trigger["offset_days"] = _int(
            raw.get("offset_days", 0), -365, 365, _("Give the days before (−) or after (+).")
        )
        at = str(raw.get("at") or "09:00")
        if not TIME_RE.match(at):
            raise ValueError(_("Give the time of day as HH:MM."))
        trigger["at"] = at
    elif kind == TriggerType.INACTIVITY:
        trigger["days"] = _int(raw.get("days"), 1, 3650, _("Give the days without change."))
    elif kind == TriggerType.SCHEDULE:
        cron = str(raw.get("cron") or "").strip()
        _cron(cron)
        trigger["cron"] = cron
    return trigger


def _cron(text: str) -> Any:
    """Huey's crontab for "minute hour day month weekday"; ValueError if it is not one."""
    from huey import crontab

    parts = text.split()
    if len(parts) != 5:
        raise ValueError(_("Give a schedule as five cron fields, such as “0 9 * * 1”."))
    try:
        return crontab(*parts)
    except Exception:  # noqa: BLE001 - huey raises ValueError or others for bad fields
        raise ValueError(_("Give a schedule as five cron fields, such as “0 9 * * 1”.")) from None


def clean_actions(object_type: str, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(_("Add at least one action."))
    if len(raw) > MAX_ACTIONS:
        raise ValueError(_("A workflow has at most %(n)d actions.") % {"n": MAX_ACTIONS})
    cleaned = []
    for number, item in enumerate(raw, start=1):
        action = ACTIONS.get(str(item.get("type"))) if isinstance(item, dict) else None
        if action is None or object_type not in action.object_types:
            raise ValueError(
                _("Action %(n)d: choose an action for this record type.") % {"n": number}
            )
        try:
            config = action.clean(object_type, {k: v for k, v in item.items() if k != "type"})
        except ValueError as exc:
            raise ValueError(_("Action %(n)d: %(error)s") % {"n": number, "error": exc}) from None
        cleaned.append({"type": action.key, **config})
    return cleaned


def clean_conditions(object_type: str, raw: Any) -> dict[str, Any]:
    if raw in (None, "", {}):
        return {}
    q = compile_conditions(object_type, raw)
    if count_filters(raw) > 50:
        raise ValueError(_("A workflow has at most 50 filters."))
    try:
        # Django checks a lookup's value when the filter is built, not when the Q is: a value
        # that does not suit its field ("abc" for a number) must be refused here, or every
        # later query of the workflow (the dispatcher's included) would fail on it.
        model_for(object_type)._default_manager.filter(q)
    except (ValueError, TypeError, FieldError, DjangoValidationError):
        raise ValueError(_("A condition's value does not suit its field.")) from None
    result: dict[str, Any] = raw
    return result


def _storable_json(value: Any) -> None:
    """ValueError for text no database stores (NUL, lone surrogates) or numbers beyond 64
    bits anywhere in a definition: they would fail in the driver, not here."""
    if isinstance(value, dict):
        for key, item in value.items():
            validation.clean_lookup_value(key)
            _storable_json(item)
    elif isinstance(value, list):
        for item in value:
            _storable_json(item)
    else:
        validation.clean_lookup_value(value)


def _stored(cleaner: Any, object_type: str, raw: Any) -> Any:
    _storable_json(raw)
    return cleaner(object_type, raw)


FIELDS = ("name", "description", "object_type", "trigger", "conditions", "actions", "is_active")


def _clean(data: dict[str, Any], current: Workflow | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in sorted(set(data) - set(FIELDS)):
        errors.setdefault(name, []).append(_("Unknown field."))
    clean: dict[str, Any] = {}
    if "name" in data or current is None:
        clean["name"] = collect(
            errors,
            "name",
            lambda: validation.clean_text(data.get("name"), max_length=200, required=True),
        )
    if "description" in data:
        clean["description"] = collect(
            errors,
            "description",
            lambda: validation.clean_text(data.get("description"), max_length=500),
        )
    object_type = data.get("object_type", current.object_type if current else None)
    if object_type not in OBJECT_TYPES:
        errors.setdefault("object_type", []).append(_("Choose a contact, company or deal."))
        raise_if(errors)
    if current is not None and object_type != current.object_type:
        errors.setdefault("object_type", []).append(_("The record type cannot change."))
    clean["object_type"] = object_type
    for name, cleaner in (
        ("trigger", clean_trigger),
        ("conditions", clean_conditions),
        ("actions", clean_actions),
    ):
        if name in data or current is None:
            clean[name] = collect(errors, name, _stored, cleaner, object_type, data.get(name))
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.setdefault("is_active", []).append(_("Enter yes or no."))
        else:
            clean["is_active"] = data["is_active"]
    raise_if(errors)
    return clean


def definition_of(workflow: Workflow) -> dict[str, Any]:
    return {
        "name": workflow.name,
        "object_type": workflow.object_type,
        "trigger": workflow.trigger,
        "conditions": workflow.conditions,
        "actions": workflow.actions,
    }


def _snapshot(workflow: Workflow, actor: User) -> None:
    WorkflowVersion.objects.create(
        workflow=workflow,
        number=workflow.version,
        definition=definition_of(workflow),
        created_by=actor,
    )


# ---------------------------------------------------------------- services


def workflow_create(*, actor: User, data: dict[str, Any], template_key: str = "") -> Workflow:
    """Save a new workflow (off unless ``is_active``); it runs as its creator."""
    require_admin(actor)
    clean = _clean(data, None)
    with transaction.atomic():
        workflow = Workflow.objects.create(
            **clean, owner=actor, template_key=template_key, state=_initial_state(clean)
        )
        _snapshot(workflow, actor)
        audit_record(
            actor=actor,
            action="create",
            object_type="workflow",
            object_id=workflow.pk,
            object_repr=workflow.name,
            changes={"definition": [None, definition_of(workflow)]},
        )
    return workflow


def _initial_state(clean: dict[str, Any]) -> dict[str, Any]:
    # A schedule starts from now: it does not catch up on times before it existed.
    if clean.get("trigger", {}).get("type") == TriggerType.SCHEDULE:
        return {"cron_after": timezone.now().replace(second=0, microsecond=0).isoformat()}
    return {}


def workflow_update(
    *, actor: User, workflow: Workflow, data: dict[str, Any], version: int | None
) -> Workflow:
    """Change a workflow; a changed definition becomes a new version, kept beside the old."""
    require_admin(actor)
    clean = _clean(data, workflow)
    with transaction.atomic():
        workflow = lock_for_update(Workflow, workflow.pk, version=version)
        before = definition_of(workflow)
        was_active = workflow.is_active
        for name, value in clean.items():
            setattr(workflow, name, value)
        after = definition_of(workflow)
        if before == after and was_active == workflow.is_active and "description" not in clean:
            return workflow
        workflow.version += 1
        workflow.updated_at = timezone.now()
        if after["trigger"] != before["trigger"]:
            workflow.state = _initial_state(clean | {"trigger": workflow.trigger})
        workflow.save()
        _snapshot(workflow, actor)
        audit_record(
            actor=actor,
            action="update",
            object_type="workflow",
            object_id=workflow.pk,
            object_repr=workflow.name,
            changes={
                "definition": [before, after],
                **(
                    {"is_active": [was_active, workflow.is_active]}
                    if clean.get("is_active") is not None
                    else {}
                ),
            },
        )
    return workflow


def workflow_delete(*, actor: User, workflow: Workflow) -> None:
    """Remove a workflow with its versions and run history."""
    require_admin(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="delete",
            object_type="workflow",
            object_id=workflow.pk,
            object_repr=workflow.name,
        )
        workflow.delete()


def workflow_test(
    *, actor: User, workflow: Workflow, ids: Sequence[Any] | None = None, limit: int = 20
) -> dict[str, Any]:
    """Test mode: which records (these ``ids``, else the first ``limit`` the actor can see)
    meet the conditions, and what each action would do to them. Writes nothing."""
    require_admin(actor)
    model = model_for(workflow.object_type)
    candidates = visible(actor, model)
    if ids:
        ids = _record_ids(ids)
        candidates = candidates.filter(pk__in=ids[:200])
    q = compile_conditions(workflow.object_type, workflow.conditions)
    matched = list(candidates.filter(q).distinct().order_by("pk")[:limit])
    matched_ids = {r.pk for r in matched}
    checked = (
        list(candidates.order_by("pk").values_list("pk", flat=True)[:limit])
        if not ids
        else list(ids)
    )
    records = []
    for record in matched:
        ctx = RunContext(actor, workflow.pk, None, workflow.object_type, record)
        records.append(
            {
                "id": record.pk,
                "label": str(record),
                "actions": [ACTIONS[a["type"]].describe(ctx, a) for a in workflow.actions],
            }
        )
    return {
        "matching": records,
        "not_matching": [str(pk) for pk in checked if _as_pk(pk) not in matched_ids],
    }


def _record_ids(ids: Sequence[Any]) -> list[int]:
    try:
        return [int(pk) for pk in ids]
    except (TypeError, ValueError):
        raise ValidationError({"ids": [_("Record ids are whole numbers.")]}) from None


def _as_pk(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def workflow_run_manual(*, actor: User, workflow: Workflow, ids: Sequence[Any]) -> int:
    """Run a workflow by hand on a selection: the records the actor can see that meet the
    conditions each get a run. Returns how many runs were made."""
    require_admin(actor)
    if not workflow.is_active:
        raise ValidationError({"": [_("Turn the workflow on before running it.")]})
    if not ids or len(ids) > 10_000:
        raise ValidationError({"ids": [_("Choose between 1 and 10,000 records.")]})
    ids = _record_ids(ids)
    model = model_for(workflow.object_type)
    q = compile_conditions(workflow.object_type, workflow.conditions)
    found = list(
        visible(actor, model).filter(q, pk__in=list(ids)).distinct().values_list("pk", flat=True)
    )
    batch = secrets.token_hex(6)
    with transaction.atomic():
        made = _make_runs(workflow, [(f"manual:{batch}:{pk}", pk, []) for pk in found])
        audit_record(
            actor=actor,
            action="workflow.run",
            object_type="workflow",
            object_id=workflow.pk,
            object_repr=workflow.name,
            changes={"records": [None, len(found)]},
        )
    return made


def _make_runs(workflow: Workflow, firings: Iterable[tuple[str, Any, list[int]]]) -> int:
    """Runs for ``(trigger_key, object_id, chain)``; a key already fired makes nothing.
    Returns how many firings were offered (those already made are not counted apart)."""
    rows = [
        WorkflowRun(
            workflow_id=workflow.pk,
            version=workflow.version,
            trigger_key=key,
            object_type=workflow.object_type,
            object_id=str(object_id),
            chain=chain,
        )
        for key, object_id, chain in firings
    ]
    if rows:
        WorkflowRun.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


# ---------------------------------------------------------------- firing from events


def _event_fires(workflow: Workflow, event: OutboxEvent) -> bool:
    trigger = workflow.trigger
    kind = trigger.get("type")
    object_type = workflow.object_type
    if event.object_type != object_type:
        return False
    if kind == TriggerType.RECORD_CREATED:
        return event.name == f"{object_type}.created"
    if kind == TriggerType.RECORD_UPDATED:
        return event.name == f"{object_type}.updated"
    if kind == TriggerType.FIELD_CHANGED:
        if event.name != f"{object_type}.updated":
            return False
        changes = (event.payload or {}).get("changes") or {}
        change = changes.get(trigger["field"])
        if change is None:
            return False
        if "to" in trigger:
            after = change[1] if isinstance(change, list) and len(change) == 2 else change
            return str(after).lower() == str(trigger["to"]).lower()
        return True
    if kind == TriggerType.FORM_SUBMITTED:
        if event.name != "lead_form.submitted":
            return False
        wanted_form = trigger.get("form_id")
        return wanted_form is None or (event.payload or {}).get("form_id") == wanted_form
    if kind == TriggerType.STAGE_CHANGED:
        if event.name != "deal.stage_changed":
            return False
        wanted = trigger.get("stage_id")
        return wanted is None or (event.payload or {}).get("to_stage_id") == wanted
    return False


def _chains(events: Sequence[OutboxEvent]) -> dict[int, list[int]]:
    """For events written by a workflow run: the chain of workflows that led to them."""
    run_ids = {
        int(e.request_id[3:])
        for e in events
        if e.request_id.startswith("wf:") and e.request_id[3:].isdigit()
    }
    runs = WorkflowRun.objects.filter(pk__in=run_ids).values_list("pk", "workflow_id", "chain")
    by_run = {pk: [*chain, workflow_id] for pk, workflow_id, chain in runs}
    return {
        e.pk: by_run.get(int(e.request_id[3:]), [])
        for e in events
        if e.request_id.startswith("wf:") and e.request_id[3:].isdigit()
    }


def workflow_consumer(events: Sequence[OutboxEvent]) -> None:
    """The dispatcher's fan-out for workflows: a run per firing workflow and record whose
    conditions hold (one query per workflow and batch)."""
    types = {e.object_type for e in events}
    workflows = list(
        Workflow.objects.filter(
            is_active=True,
            object_type__in=types,
            trigger__type__in=[str(t) for t in EVENT_TRIGGERS],
        )
    )
    if not workflows:
        return
    chains = _chains(events)
    for workflow in workflows:
        try:
            with transaction.atomic():
                _fire_from_events(workflow, events, chains)
        except Exception:
            # One broken rule must not stop every event behind it: it is skipped and logged.
            log.exception("workflow %s could not be fired from events", workflow.pk)


def _fire_from_events(
    workflow: Workflow, events: Sequence[OutboxEvent], chains: dict[int, list[int]]
) -> None:
    firing = [e for e in events if _event_fires(workflow, e)]
    if not firing:
        return
    allowed = []
    for event in firing:
        chain = chains.get(event.pk, [])
        # A workflow does not fire itself through its own actions, nor any chain too long.
        if workflow.pk in chain or len(chain) >= MAX_CHAIN:
            continue
        allowed.append((event, chain))
    ids = {e.object_id for e, _chain in allowed}
    q = compile_conditions(workflow.object_type, workflow.conditions)
    model = model_for(workflow.object_type)
    meeting = {
        str(pk)
        for pk in model._default_manager.filter(q, pk__in=[_as_pk(i) for i in ids])
        .distinct()
        .values_list("pk", flat=True)
    }
    _make_runs(
        workflow,
        [
            (f"event:{event.pk}", event.object_id, chain)
            for event, chain in allowed
            if event.object_id in meeting
        ],
    )


# ---------------------------------------------------------------- running


def runs_claim(*, limit: int = RUN_BATCH, now: dt.datetime | None = None) -> tuple[str, list[int]]:
    """Lease up to ``limit`` waiting runs (or runs whose worker died) for this worker."""
    return lease(
        WorkflowRun,
        waiting=Q(state=RunState.PENDING),
        working_state=RunState.RUNNING,
        now=now or timezone.now(),
        limit=limit,
    )


def run_execute(run_id: int, token: str) -> str:
    """Run one leased run; returns its final state (or "" if the lease was lost)."""
    run = WorkflowRun.objects.select_related("workflow", "workflow__owner").get(pk=run_id)
    if run.lease_token != token:
        return ""
    workflow = run.workflow
    definition = (
        WorkflowVersion.objects.filter(workflow=workflow, number=run.version)
        .values_list("definition", flat=True)
        .first()
    ) or definition_of(workflow)
    results: list[dict[str, Any]] = []
    marker = request_id_var.set(f"wf:{run.pk}")
    try:
        with transaction.atomic():
            state, error = _run_actions(run, workflow, definition, results)
            if state == RunState.SUCCEEDED:
                kept = _finish(run, token, state, results, error)
                if not kept:
                    transaction.set_rollback(True)
                    return ""
                return state
    except Exception as exc:  # noqa: BLE001 - any failure fails the run, not the worker
        state, error = RunState.FAILED, _failure_text(exc)
        for result in results:
            if result["status"] == "done":
                result["status"] = "undone"
    finally:
        request_id_var.reset(marker)
    with transaction.atomic():
        return state if _finish(run, token, state, results, error) else ""


class _Skip(Exception):
    pass


def _run_actions(
    run: WorkflowRun,
    workflow: Workflow,
    definition: dict[str, Any],
    results: list[dict[str, Any]],
) -> tuple[str, str]:
    owner = workflow.owner
    if not owner.is_active:
        raise PermissionDenied(_("The workflow's owner is inactive."))
    model = model_for(run.object_type)
    record = model._default_manager.filter(pk=_as_pk(run.object_id)).first()
    if record is None:
        return RunState.SKIPPED, _("The record no longer exists.")
    ctx = RunContext(owner, workflow.pk, run.pk, run.object_type, record)
    for action in definition["actions"]:
        kind = ACTIONS[action["type"]]
        results.append({"type": action["type"], "status": "running", "message": ""})
        message = kind.run(ctx, action)
        results[-1].update(status="done", message=str(message))
    return RunState.SUCCEEDED, ""


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, SambandhError):
        text = exc.message
        fields = getattr(exc, "fields", None) or {}
        details = "; ".join(f"{k}: {' '.join(v)}" if k else " ".join(v) for k, v in fields.items())
        return f"{text} {details}".strip()[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _finish(
    run: WorkflowRun, token: str, state: str, results: list[dict[str, Any]], error: str
) -> bool:
    for result in results:
        if result["status"] == "running":
            result["status"] = "failed"
            result["message"] = error
    return bool(
        WorkflowRun.objects.filter(pk=run.pk, lease_token=token, state=RunState.RUNNING).update(
            state=state,
            results=results,
            error=error,
            finished_at=timezone.now(),
            lease_token="",
            lease_until=None,
        )
    )


def runs_execute(*, limit: int = RUN_BATCH) -> int:
    """Lease and run one batch of runs; returns how many were run."""
    token, ids = runs_claim(limit=limit)
    for run_id in ids:
        run_execute(run_id, token)
    return len(ids)


# ---------------------------------------------------------------- timed triggers


def _zone(name: str, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else fallback
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return fallback


def _date_firings(workflow: Workflow, now: dt.datetime) -> int:
    """Date triggers, in each contact's own time zone: on the local day when the date (this
    year's birthday or anniversary, or the date itself for other fields) plus the offset is
    today, once the local time has reached the trigger's time. Each zone is done once a day;
    zones that reach the time on the same local day are asked for in one query."""
    trigger = workflow.trigger
    model = model_for(workflow.object_type)
    path = field_path(workflow.object_type, trigger["field"])
    offset = dt.timedelta(days=trigger["offset_days"])
    hour, minute = (int(p) for p in trigger["at"].split(":"))
    organisation_name = OrganisationSettings.get().time_zone
    organisation = _zone(organisation_name, zoneinfo.ZoneInfo("UTC"))
    yearly = trigger["field"] in ("birthday", "anniversary")
    has_zone = hasattr(model, "time_zone")
    # Every zone a record may name ("" is the organisation's), without scanning the records.
    names = sorted(zoneinfo.available_timezones()) + [""] if has_zone else [""]
    done: dict[str, str] = dict(workflow.state.get("date_done", {}))
    due: dict[dt.date, list[str]] = {}
    for name in names:
        local = now.astimezone(_zone(name, organisation))
        if (local.hour, local.minute) < (hour, minute) or done.get(name) == str(local.date()):
            continue
        due.setdefault(local.date(), []).append(name)
    q = compile_conditions(workflow.object_type, workflow.conditions)
    made = 0
    for today, zones in due.items():
        target = today - offset  # the date whose offset day is today
        rows = model._default_manager.filter(q)
        if has_zone:
            rows = rows.filter(time_zone__in=zones)
        if yearly:
            days = [target]
            if (target.month, target.day) == (2, 28) and not _leap(target.year):
                days.append(dt.date(2000, 2, 29))  # 29 February falls on the 28th
            match = Q()
            for day in days:
                match |= Q(**{f"{path}__month": day.month, f"{path}__day": day.day})
            rows = rows.filter(match)
        else:
            # A custom date is kept in the JSON column as its ISO text.
            value = target.isoformat() if path.startswith("custom__") else target
            rows = rows.filter(**{path: value})
        ids = rows.distinct().values_list("pk", flat=True).iterator(chunk_size=5000)
        made += _make_runs_chunked(workflow, ((f"date:{today}:{pk}", pk) for pk in ids))
        done.update(dict.fromkeys(zones, str(today)))
    if due:
        Workflow.objects.filter(pk=workflow.pk).update(state={**workflow.state, "date_done": done})
    return made


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _make_runs_chunked(workflow: Workflow, firings: Iterable[tuple[str, Any]]) -> int:
    made = 0
    chunk: list[tuple[str, Any, list[int]]] = []
    for key, pk in firings:
        chunk.append((key, pk, []))
        if len(chunk) >= 5000:
            made += _make_runs(workflow, chunk)
            chunk = []
    return made + _make_runs(workflow, chunk)


def _inactivity_firings(workflow: Workflow, now: dt.datetime) -> int:
    """Records not changed for N days: one run per quiet spell (keyed by the last change)."""
    model = model_for(workflow.object_type)
    cutoff = now - dt.timedelta(days=workflow.trigger["days"])
    q = compile_conditions(workflow.object_type, workflow.conditions)
    rows = model._default_manager.filter(q, updated_at__lte=cutoff)
    if workflow.object_type == "deal":
        rows = rows.filter(stage__is_won=False, stage__is_lost=False)
    pairs = rows.distinct().values_list("pk", "updated_at").iterator(chunk_size=5000)
    return _make_runs_chunked(
        workflow, ((f"inactive:{pk}:{updated.isoformat()}", pk) for pk, updated in pairs)
    )


def _schedule_firings(workflow: Workflow, now: dt.datetime) -> int:
    """A cron schedule (in the organisation's time zone): at each due minute since the last
    evaluation, a run for every record that meets the conditions."""
    validate = _cron(workflow.trigger["cron"])
    zone = _zone(OrganisationSettings.get().time_zone, zoneinfo.ZoneInfo("UTC"))
    after_text = workflow.state.get("cron_after")
    current = now.replace(second=0, microsecond=0)
    after = (
        dt.datetime.fromisoformat(after_text) if after_text else current - dt.timedelta(minutes=1)
    )
    minute = max(after, current - dt.timedelta(hours=1))  # never catch up more than an hour
    due = []
    while minute < current:
        minute += dt.timedelta(minutes=1)
        if validate(minute.astimezone(zone).replace(tzinfo=None)):
            due.append(minute)
    made = 0
    if due:
        model = model_for(workflow.object_type)
        q = compile_conditions(workflow.object_type, workflow.conditions)
        for moment in due:
            ids = model._default_manager.filter(q).distinct().values_list("pk", flat=True)
            key = f"cron:{moment.isoformat()}"
            made += _make_runs_chunked(workflow, ((f"{key}:{pk}", pk) for pk in ids.iterator()))
    Workflow.objects.filter(pk=workflow.pk).update(
        state={**workflow.state, "cron_after": current.isoformat()}
    )
    return made


def workflows_tick(*, now: dt.datetime | None = None) -> int:
    """Evaluate the timed triggers of active workflows; returns how many runs were made."""
    now = now or timezone.now()
    made = 0
    fire = {
        TriggerType.DATE: _date_firings,
        TriggerType.INACTIVITY: _inactivity_firings,
        TriggerType.SCHEDULE: _schedule_firings,
    }
    timed = Workflow.objects.filter(is_active=True, trigger__type__in=[str(t) for t in fire])
    for workflow in timed:
        with transaction.atomic():
            locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
            made += fire[TriggerType(locked.trigger["type"])](locked, now)
    return made
