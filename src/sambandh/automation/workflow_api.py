"""API routes for workflow rules: the workflows themselves (list, create, read, change with
their version, delete), their versions, test mode, a run by hand on a selection, the run
history with each action's result, the ready-made templates and the action registry (so a
client can build its forms). Administrators only: anyone else gets a 403 on every route.
Thin: parse, call a selector or a service, shape the response."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sambandh.automation import workflow_selectors as selectors
from sambandh.automation.models import Workflow, WorkflowRun, WorkflowVersion
from sambandh.automation.registry import ACTIONS
from sambandh.automation.templates_catalog import TEMPLATES, template_list, workflow_from_template
from sambandh.automation.workflows import (
    require_admin,
    workflow_create,
    workflow_delete,
    workflow_run_manual,
    workflow_test,
    workflow_update,
)
from sambandh.core.api import actor_of, body_of
from sambandh.core.idempotency import IDEMPOTENT_ERRORS, idempotent
from sambandh.core.schemas import ERRORS, Id, In, Version

router = Router(tags=["workflows"])
PageSize = Annotated[int, Field(ge=1, le=200)]
Cursor = Annotated[str, Field(max_length=1000)]
ObjectTypeName = Literal["contact", "account", "deal"]
RunStateName = Literal["pending", "running", "succeeded", "failed", "skipped"]
TemplateKey = Annotated[str, Field(max_length=60)]

TRIGGER_DOC = (
    'What starts the workflow: `{"type": ...}` with its settings. Types: `record_created`, '
    "`record_updated`, `field_changed` (`field`, optional `to`: the value it changes to), "
    "`deal_stage_changed` (deals; optional `stage_id`), `date` (`field`: `birthday`, "
    "`anniversary`, `expected_close_on` or a custom date field `cf.<key>`; `offset_days` "
    "-365..365; `at` `HH:MM` in the contact's time zone), `inactivity` (`days` without "
    "change), `schedule` (`cron`: five fields, in the organisation's time zone), `manual`."
)
CONDITIONS_DOC = (
    'Which records qualify: `{}` (every record) or a group `{"all": [...]}` / '
    '`{"any": [...]}` of filters `{"field", "op", "value"}` and nested groups. Fields '
    "are the record's own (`city`, `lead_score`, `owner_id`), `tags`, `lifecycle_stage` and "
    "custom fields as `cf.<key>`. Ops: `eq`, `ne`, `in`, `not_in` (a list), `contains`, "
    "`starts_with`, `gt`, `gte`, `lt`, `lte`, `is_empty`, `is_set` (no value)."
)
ACTIONS_DOC = (
    'What happens, in order, in one transaction: `[{"type": ..., settings}]` (1 to 20). '
    "`GET /workflow-actions` lists the types and the record types each works on."
)


# ---------------------------------------------------------------- schemas


class WorkflowOut(Schema):
    id: int
    version: int
    name: str
    description: str
    object_type: str
    trigger: dict[str, Any] = Field(description=TRIGGER_DOC)
    conditions: dict[str, Any] = Field(description=CONDITIONS_DOC)
    actions: list[dict[str, Any]] = Field(description=ACTIONS_DOC)
    is_active: bool
    template_key: str = Field(description="The template it was made from, or empty.")
    owner_id: int = Field(description="The administrator it runs as.")
    last_run_state: RunStateName | None
    last_run_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WorkflowPageOut(Schema):
    items: list[WorkflowOut]
    next_cursor: str | None


class WorkflowIn(In):
    name: str = Field(max_length=1000)
    description: str | None = Field(None, max_length=2000)
    object_type: ObjectTypeName
    trigger: dict[str, Any] = Field(description=TRIGGER_DOC)
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_DOC)
    actions: list[dict[str, Any]] = Field(max_length=100, description=ACTIONS_DOC)
    is_active: bool | None = Field(None, description="Off unless true.")


class WorkflowPatchIn(In):
    version: Version
    name: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=2000)
    trigger: dict[str, Any] | None = Field(None, description=TRIGGER_DOC)
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_DOC)
    actions: list[dict[str, Any]] | None = Field(None, max_length=100, description=ACTIONS_DOC)
    is_active: bool | None = None


class VersionOut(Schema):
    number: int
    created_at: dt.datetime
    created_by_id: int | None
    created_by: str | None = Field(description="The name of who saved it.")
    definition: dict[str, Any] = Field(
        description="`name`, `object_type`, `trigger`, `conditions` and `actions` as saved."
    )


class VersionPageOut(Schema):
    items: list[VersionOut]
    next_cursor: str | None


class WorkflowTestIn(In):
    ids: list[Id] | None = Field(
        None,
        max_length=200,
        description="The records to try; without them, the first 20 you can see.",
    )


class WorkflowTestMatchOut(Schema):
    id: int
    label: str
    actions: list[str] = Field(description="What each action would do, in your language.")


class WorkflowTestOut(Schema):
    matching: list[WorkflowTestMatchOut]
    not_matching: list[str] = Field(description="Ids of tried records that do not qualify.")


class RunIn(In):
    ids: list[Id] = Field(min_length=1, max_length=10_000)


class RunMadeOut(Schema):
    made: int = Field(
        description=(
            "How many runs were made: the records you can see that meet the conditions. "
            "They run in the background; `GET /workflows/{id}/runs` shows how they went."
        )
    )


class ActionResultOut(Schema):
    type: str
    status: str = Field(
        description="`done`, `failed`, or `undone` (done, then undone as the run failed)."
    )
    message: str


class RunOut(Schema):
    id: int
    version: int = Field(description="The workflow version it ran.")
    object_type: str
    object_id: str
    state: RunStateName
    attempts: int
    trigger_key: str = Field(description="What fired it (an event, a date, `manual:...`).")
    chain: list[int] = Field(description="The workflows whose actions led to this run.")
    results: list[ActionResultOut]
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class RunPageOut(Schema):
    items: list[RunOut]
    next_cursor: str | None


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    object_type: str


class TemplateListOut(Schema):
    items: list[TemplateOut]


class ActionTypeOut(Schema):
    key: str
    label: str
    object_types: list[str]


class ActionTypeListOut(Schema):
    items: list[ActionTypeOut]


class PageQuery(Schema):
    cursor: Cursor | None = None
    limit: PageSize = 50


class ListQuery(PageQuery):
    object_type: ObjectTypeName | None = None
    is_active: bool | None = None


class RunQuery(PageQuery):
    state: RunStateName | None = None


# ---------------------------------------------------------------- shaping


def workflow_out(workflow: Workflow) -> dict[str, Any]:
    return {
        "id": workflow.pk,
        "version": workflow.version,
        "name": workflow.name,
        "description": workflow.description,
        "object_type": workflow.object_type,
        "trigger": dict(workflow.trigger or {}),
        "conditions": dict(workflow.conditions or {}),
        "actions": list(workflow.actions or []),
        "is_active": workflow.is_active,
        "template_key": workflow.template_key,
        "owner_id": workflow.owner_id,
        "last_run_state": getattr(workflow, "last_run_state", None),
        "last_run_at": getattr(workflow, "last_run_at", None),
        "created_at": workflow.created_at,
        "updated_at": workflow.updated_at,
    }


def version_out(version: WorkflowVersion) -> dict[str, Any]:
    who = version.created_by
    return {
        "number": version.number,
        "created_at": version.created_at,
        "created_by_id": version.created_by_id,
        "created_by": (who.get_full_name() or who.username) if who else None,
        "definition": dict(version.definition or {}),
    }


def run_out(run: WorkflowRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "version": run.version,
        "object_type": run.object_type,
        "object_id": run.object_id,
        "state": run.state,
        "attempts": run.attempts,
        "trigger_key": run.trigger_key,
        "chain": [int(c) for c in run.chain or []],
        "results": [
            {
                "type": str(r.get("type", "")),
                "status": str(r.get("status", "")),
                "message": str(r.get("message", "")),
            }
            for r in run.results or []
            if isinstance(r, dict)
        ],
        "error": run.error,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
    }


def _workflow(request: HttpRequest, pk: int) -> dict[str, Any]:
    return workflow_out(selectors.workflow_get(actor=actor_of(request), pk=pk))


def _given(payload: Any) -> dict[str, Any]:
    # A null is "not given": the service would read it as a value.
    return {k: v for k, v in body_of(payload).items() if v is not None or k == "conditions"}


# ---------------------------------------------------------------- workflows


@router.get(
    "/workflows",
    response={200: WorkflowPageOut, **ERRORS},
    summary="List workflows",
    description=(
        "Every workflow, oldest first, with the state of its latest run; `object_type` and "
        "`is_active` filter them."
    ),
)
def workflows_list(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    page = selectors.workflow_list(
        actor=actor_of(request),
        object_type=q.object_type,
        is_active=q.is_active,
        cursor=q.cursor,
        limit=q.limit,
    )
    return {"items": [workflow_out(w) for w in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/workflows",
    response={201: WorkflowOut, **IDEMPOTENT_ERRORS},
    summary="Create a workflow",
    description=(
        "Saves a workflow as version 1; it runs as you, with your permissions. It is off "
        "unless `is_active` is true. Errors name the part at fault (`trigger`, `conditions`, "
        '`actions`: "Action 2: ...").'
    ),
)
@idempotent
def workflows_create(request: HttpRequest, payload: WorkflowIn) -> Status[dict[str, Any]]:
    workflow = workflow_create(actor=actor_of(request), data=_given(payload))
    return Status(201, _workflow(request, workflow.pk))


@router.get("/workflows/{id}", response={200: WorkflowOut, **ERRORS}, summary="One workflow")
def workflows_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return _workflow(request, id)


@router.patch(
    "/workflows/{id}",
    response={200: WorkflowOut, **ERRORS},
    summary="Change a workflow",
    description=(
        "Changes what is given; a changed definition becomes a new version (runs keep the "
        "version they fired with). The record type cannot change. A stale `version` is a 409."
    ),
)
def workflows_patch(request: HttpRequest, id: Id, payload: WorkflowPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=id)
    workflow_update(actor=actor, workflow=workflow, data=_given(payload), version=payload.version)
    return _workflow(request, id)


@router.delete(
    "/workflows/{id}",
    response={204: None, **ERRORS},
    summary="Delete a workflow",
    description="The workflow goes with its versions and run history.",
)
def workflows_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    workflow_delete(actor=actor, workflow=selectors.workflow_get(actor=actor, pk=id))
    return Status(204, None)


@router.get(
    "/workflows/{id}/versions",
    response={200: VersionPageOut, **ERRORS},
    summary="A workflow's versions",
    description="Each saved definition, newest first, with who saved it and when.",
)
def workflows_versions(request: HttpRequest, id: Id, q: Query[PageQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=id)
    page = selectors.version_list(actor=actor, workflow=workflow, cursor=q.cursor, limit=q.limit)
    return {"items": [version_out(v) for v in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/workflows/{id}/test",
    response={200: WorkflowTestOut, **ERRORS},
    summary="Test a workflow",
    description=(
        "Test mode: of the given records (or the first 20 you can see), which meet the "
        "conditions and what each action would do to them. Writes nothing; works whether the "
        "workflow is on or off."
    ),
)
def workflows_test(request: HttpRequest, id: Id, payload: WorkflowTestIn) -> dict[str, Any]:
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=id)
    result = workflow_test(actor=actor, workflow=workflow, ids=payload.ids or None)
    return {
        "matching": [
            {"id": int(r["id"]), "label": str(r["label"]), "actions": list(r["actions"])}
            for r in result["matching"]
        ],
        "not_matching": list(result["not_matching"]),
    }


@router.post(
    "/workflows/{id}/run",
    response={200: RunMadeOut, **IDEMPOTENT_ERRORS},
    summary="Run a workflow on a selection",
    description=(
        "Runs the workflow by hand on these records (those you can see that meet its "
        "conditions), each once, in the background. The workflow must be on."
    ),
)
@idempotent
def workflows_run(request: HttpRequest, id: Id, payload: RunIn) -> dict[str, int]:
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=id)
    return {"made": workflow_run_manual(actor=actor, workflow=workflow, ids=payload.ids)}


@router.get(
    "/workflows/{id}/runs",
    response={200: RunPageOut, **ERRORS},
    summary="A workflow's run history",
    description=(
        "Its runs, newest first, each with the record, the state, each action's result "
        "and the error if it failed; `state` filters them."
    ),
)
def workflows_runs(request: HttpRequest, id: Id, q: Query[RunQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=id)
    page = selectors.run_list(
        actor=actor, workflow=workflow, state=q.state, cursor=q.cursor, limit=q.limit
    )
    return {"items": [run_out(r) for r in page.items], "next_cursor": page.next_cursor}


# ---------------------------------------------------------------- templates and registry


@router.get(
    "/workflow-templates",
    response={200: TemplateListOut, **ERRORS},
    summary="List workflow templates",
    description="Ready-made workflows, named and described in your language.",
)
def templates_list(request: HttpRequest) -> dict[str, Any]:
    require_admin(actor_of(request))
    return {
        "items": [
            {**t, "object_type": str(TEMPLATES[t["key"]]["object_type"])} for t in template_list()
        ]
    }


@router.post(
    "/workflow-templates/{key}",
    response={201: WorkflowOut, **IDEMPOTENT_ERRORS},
    summary="Create a workflow from a template",
    description="Saves the template as a new workflow, switched off, to check and turn on.",
)
@idempotent
def templates_use(request: HttpRequest, key: TemplateKey) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    require_admin(actor)
    workflow = workflow_from_template(actor=actor, key=key)
    return Status(201, _workflow(request, workflow.pk))


@router.get(
    "/workflow-actions",
    response={200: ActionTypeListOut, **ERRORS},
    summary="List workflow action types",
    description="The action registry: each action's key, its label and the record types it suits.",
)
def actions_list(request: HttpRequest) -> dict[str, Any]:
    require_admin(actor_of(request))
    return {
        "items": [
            {"key": a.key, "label": str(a.label), "object_types": list(a.object_types)}
            for a in ACTIONS.values()
        ]
    }
