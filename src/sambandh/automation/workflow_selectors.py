"""Reads of the workflow pages and API: workflows (each with its latest run's state), their
versions and their run history. Workflows are the administrators' business: every read here
requires one, so anyone else gets a 403 whatever the id."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from sambandh.automation.models import RunState, Workflow, WorkflowRun, WorkflowVersion
from sambandh.automation.workflows import require_admin
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.models import User
from sambandh.core.pagination import Page, SortKey, paginate

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1
BY_ID = SortKey("id", ("id",))


def _limit(limit: int | None) -> int:
    return max(1, min(limit or PAGE_SIZE, MAX_PAGE_SIZE))


def _pk(value: Any) -> int:
    """An id from a URL or a body; anything that is no database id is simply not found."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 1 <= pk <= MAX_ID:
        raise NotFound()
    return pk


def _workflows() -> QuerySet[Workflow]:
    last = WorkflowRun.objects.filter(workflow=OuterRef("pk")).order_by("-id")
    return Workflow.objects.annotate(
        last_run_state=Subquery(last.values("state")[:1]),
        last_run_at=Subquery(last.values("created_at")[:1]),
    )


def workflow_list(
    *,
    actor: User,
    object_type: str | None = None,
    is_active: bool | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Workflow]:
    """Every workflow, oldest first, each with the state and time of its latest run."""
    require_admin(actor)
    qs = _workflows().defer("state")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return paginate(qs, sort=BY_ID, descending=False, cursor=cursor, limit=_limit(limit))


def workflow_get(*, actor: User, pk: Any) -> Workflow:
    require_admin(actor)
    workflow = _workflows().select_related("owner").filter(pk=_pk(pk)).first()
    if workflow is None:
        raise NotFound()
    return workflow


def version_list(
    *, actor: User, workflow: Workflow, cursor: str | None = None, limit: int | None = None
) -> Page[WorkflowVersion]:
    """A workflow's versions, newest first, with who saved each."""
    require_admin(actor)
    qs = WorkflowVersion.objects.filter(workflow_id=workflow.pk).select_related("created_by")
    return paginate(qs, sort=BY_ID, descending=True, cursor=cursor, limit=_limit(limit))


def clean_run_state(value: str | None) -> str | None:
    """A run state from a query string ("" or None: any state)."""
    if not value:
        return None
    if value not in RunState.values:
        raise ValidationError({"state": [_("Choose one of the offered values.")]})
    return value


def run_list(
    *,
    actor: User,
    workflow: Workflow,
    state: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[WorkflowRun]:
    """A workflow's runs, newest first, each with its actions' results."""
    require_admin(actor)
    qs = WorkflowRun.objects.filter(workflow_id=workflow.pk).defer("lease_token")
    state = clean_run_state(state)
    if state is not None:
        qs = qs.filter(state=state)
    return paginate(qs, sort=BY_ID, descending=True, cursor=cursor, limit=_limit(limit))
