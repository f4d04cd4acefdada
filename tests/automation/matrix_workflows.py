"""The workflows share of the permission matrix (see ``tests/matrix.py``).

Workflows act on every record as their owner: only administrators see or touch them, every
other role gets a 403 on every route, whatever the record, and nothing changes. (The file is
named ``matrix_*.py`` so that ``tests.matrix.parts()`` finds it.)"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sambandh.automation.models import Workflow, WorkflowRun, WorkflowVersion
from sambandh.automation.workflows import workflow_create
from tests.matrix import MatrixPart, Targets


def admin_only(status: int) -> str:
    return f"{status} 403 403 403 403 403"


POST_ONLY = "405 405 405 405 405 405"

API_MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/workflows"): admin_only(200),
    ("POST", "/api/v1/workflows"): admin_only(201),
    ("GET", "/api/v1/workflows/{id}"): admin_only(200),
    ("PATCH", "/api/v1/workflows/{id}"): admin_only(200),
    ("DELETE", "/api/v1/workflows/{id}"): admin_only(204),
    ("GET", "/api/v1/workflows/{id}/versions"): admin_only(200),
    ("POST", "/api/v1/workflows/{id}/test"): admin_only(200),
    ("POST", "/api/v1/workflows/{id}/run"): admin_only(200),
    ("GET", "/api/v1/workflows/{id}/runs"): admin_only(200),
    ("GET", "/api/v1/workflow-templates"): admin_only(200),
    # The matrix fills only {id}: the literal "{key}" is no template (tests/automation/
    # test_workflow_api.py makes one from a real key).
    ("POST", "/api/v1/workflow-templates/{key}"): admin_only(404),
    ("GET", "/api/v1/workflow-actions"): admin_only(200),
}

DEFINITION: dict[str, Any] = {
    "name": "Tag the target by hand",
    "object_type": "contact",
    "trigger": {"type": "manual"},
    "conditions": {},
    "actions": [{"type": "add_tag", "tag": "matrix"}],
    "is_active": True,
}


def _make_targets(t: Targets) -> None:
    t.objects["workflow"] = workflow_create(actor=t.admin, data=DEFINITION)


def _api_body(method: str, path: str, t: Targets, actor: Any) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/workflows"): {**DEFINITION, "name": "Made by the matrix"},
        ("PATCH", "/api/v1/workflows/{id}"): {"version": t.workflow.version, "name": "Renamed"},
        ("POST", "/api/v1/workflows/{id}/test"): {"ids": [t.contact.pk]},
        ("POST", "/api/v1/workflows/{id}/run"): {"ids": [t.contact.pk]},
        ("POST", "/api/v1/workflow-templates/{key}"): {},
    }
    return bodies.get((method, path))


VIEWS = {
    "workflows:list": (None, admin_only(200)),
    "workflows:create": (None, admin_only(200)),
    "workflows:from_template": (None, POST_ONLY),
    "workflows:detail": ("workflow", admin_only(200)),
    "workflows:edit": ("workflow", admin_only(200)),
    "workflows:delete": ("workflow", admin_only(200)),
    "workflows:toggle": ("workflow", POST_ONLY),
    "workflows:test": ("workflow", admin_only(200)),
    "workflows:run": ("workflow", POST_ONLY),
    "workflows:versions": ("workflow", admin_only(200)),
}


def html_views(pk: int = 1) -> list[tuple[str, str]]:
    return [
        (name, reverse(name, args=[pk]) if target else reverse(name))
        for name, (target, _statuses) in VIEWS.items()
    ]


HTML_GET_MATRIX = {name: statuses for name, (_target, statuses) in VIEWS.items()}
# Every write an administrator makes is audited and answered with a redirect; the pages that
# only read (the list, a workflow's page, test mode, the versions) take no POST.
HTML_POST_MATRIX = {
    name: admin_only(302)
    for name in VIEWS
    if name not in {"workflows:list", "workflows:detail", "workflows:test", "workflows:versions"}
}


def _html_url(name: str, path: str, t: Targets) -> str:
    target = VIEWS[name][0]
    if target is None:
        return path
    return reverse(name, args=[getattr(t, target).pk])


def _html_form(name: str, t: Targets) -> dict[str, Any]:
    if name in {"workflows:create", "workflows:edit"}:
        return {
            "name": "Saved by the matrix",
            "object_type": "contact",
            "trigger_type": "manual",
            "match": "all",
            "condition_rows": "1",
            "c0-field": "city",
            "c0-op": "eq",
            "c0-value": "Pune",
            "action_rows": "1",
            "a0-type": "add_tag",
            "a0-tag": "matrix",
            "version": str(t.workflow.version),
        }
    if name == "workflows:from_template":
        return {"key": "new_lead_welcome"}
    if name == "workflows:toggle":
        return {"is_active": "0", "version": str(t.workflow.version)}
    if name == "workflows:run":
        return {"ids": str(t.contact.pk)}
    return {"go": "1"}


PART = MatrixPart(
    name="workflows",
    api=API_MATRIX,
    api_ids=[("/api/v1/workflows/", "workflow")],
    api_body=_api_body,
    html_get=HTML_GET_MATRIX,
    html_post=HTML_POST_MATRIX,
    html_views=html_views,
    html_url=_html_url,
    html_form=_html_form,
    make_targets=_make_targets,
    state_models=[Workflow, WorkflowVersion, WorkflowRun],
)
