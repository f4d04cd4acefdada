"""HTML for workflow rules, administrators only: the list with the template gallery, the
builder (new and edit), a workflow's page (its definition in words, on/off, test mode, a run
on a selection, its versions and its run history), and delete. Thin: parse, call a selector
or a service, render. Everyone else gets the 403 page from the selectors and services."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from sambandh.automation import workflow_forms as forms
from sambandh.automation import workflow_selectors as selectors
from sambandh.automation import workflow_words as words
from sambandh.automation.models import RunState, Workflow, WorkflowRun
from sambandh.automation.registry import OBJECT_TYPES, model_for
from sambandh.automation.templates_catalog import template_list, workflow_from_template
from sambandh.automation.workflows import (
    definition_of,
    require_admin,
    workflow_create,
    workflow_delete,
    workflow_run_manual,
    workflow_test,
    workflow_update,
)
from sambandh.core.errors import Conflict, ValidationError
from sambandh.core.pagination import Page
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

PAGE = 50
RUN_PAGE = 25
RECENT_VERSIONS = 5
MAX_IDS = 10_000
IDS_RE = re.compile(r"[\s,;]+")


def _next_url(request: HttpRequest, page: Page[Any], **params: str) -> str | None:
    if not page.next_cursor:
        return None
    query = {k: v for k, v in params.items() if v}
    query["cursor"] = page.next_cursor
    return f"{request.path}?{urlencode(query)}"


def _ids(text: str) -> list[int]:
    """Record ids typed as "12, 15 18"; ValidationError for anything else."""
    parts = [p for p in IDS_RE.split(text.strip()) if p]
    if len(parts) > MAX_IDS or not all(p.isdigit() and len(p) < 19 for p in parts):
        raise ValidationError(
            {"ids": [_("Enter record ids as numbers separated by commas (at most 10,000).")]}
        )
    return [int(p) for p in parts]


# ---------------------------------------------------------------- list and templates


@page_view
@require_http_methods(["GET"])
def workflow_list(request: HtmxRequest) -> HttpResponse:
    """Every workflow: name, record type, trigger in words, on or off, its latest run; and
    the gallery of ready-made workflows."""
    actor = actor_of(request)
    page = selectors.workflow_list(
        actor=actor, cursor=request.GET.get("cursor") or None, limit=PAGE
    )
    states = dict(RunState.choices)
    rows = [
        {
            "workflow": w,
            "object_type": words.object_type_label(w.object_type),
            "trigger": words.trigger_text(w.object_type, w.trigger or {}),
            "last_state": states.get(getattr(w, "last_run_state", None) or "", ""),
        }
        for w in page.items
    ]
    context = {"rows": rows, "next_url": _next_url(request, page), "templates": template_list()}
    if wants_fragment(request) and request.GET.get("cursor"):
        return fragment_or_page(request, render(request, "workflows/list.html#rows", context))
    return fragment_or_page(request, render(request, "workflows/list.html", context))


@page_view
@require_http_methods(["POST"])
def workflow_from_template_view(request: HtmxRequest) -> HttpResponse:
    """One click: the template becomes a workflow, switched off, and its page opens."""
    actor = actor_of(request)
    require_admin(actor)
    workflow = workflow_from_template(actor=actor, key=request.POST.get("key", ""))
    messages.success(
        request, _("Workflow created from the template, switched off: check it, then turn it on.")
    )
    return redirect("workflows:detail", workflow.pk)


# ---------------------------------------------------------------- builder


def _builder_page(
    request: HttpRequest,
    workflow: Workflow | None,
    builder: forms.Builder,
    status: int = 200,
    conflict: bool = False,
) -> HttpResponse:
    context = forms.view_context(builder, forms.Choices.load(builder.object_type))
    context.update(
        {
            "workflow": workflow,
            "form_errors": builder.errors.get("", []),
            "conflict": conflict,
            "action_url": (
                reverse("workflows:edit", args=[workflow.pk])
                if workflow
                else reverse("workflows:create")
            ),
        }
    )
    return render(request, "workflows/builder.html", context, status=status)


def _file_errors(builder: forms.Builder, error: ValidationError) -> None:
    known = {"name", "description", "object_type", "trigger", "conditions", "actions"}
    for name, texts in error.fields.items():
        for text in texts:
            builder.add_error(name if name in known else "", text)
    if not error.fields:
        builder.add_error("", error.message)


def _save(request: HttpRequest, workflow: Workflow | None) -> HttpResponse:
    actor = actor_of(request)
    require_admin(actor)
    builder = forms.builder_from_post(request.POST, workflow)
    command = request.POST.get("command", "save")
    if command != "save":
        forms.apply_command(builder, command)
        return _builder_page(request, workflow, builder)
    data = forms.builder_data(builder, creating=workflow is None)
    if data is None:
        builder.add_error("", _("Please correct the errors below."))
        forms.with_blank_rows(builder)
        return _builder_page(request, workflow, builder, status=400)
    try:
        if workflow is None:
            workflow = workflow_create(actor=actor, data=data)
            messages.success(request, _("Workflow saved."))
        else:
            try:
                version = int(builder.version)
            except ValueError:
                version = 0  # a form without its version is stale by definition
            workflow_update(actor=actor, workflow=workflow, data=data, version=version)
            messages.success(request, _("Workflow saved as a new version."))
    except Conflict as error:
        builder.add_error("", error.message)
        forms.with_blank_rows(builder)
        return _builder_page(request, workflow, builder, status=409, conflict=True)
    except ValidationError as error:
        _file_errors(builder, error)
        forms.with_blank_rows(builder)
        return _builder_page(request, workflow, builder, status=400)
    return redirect("workflows:detail", workflow.pk)


@page_view
@require_http_methods(["GET", "POST"])
def workflow_create_view(request: HtmxRequest) -> HttpResponse:
    require_admin(actor_of(request))
    if request.method == "POST":
        return _save(request, None)
    builder = forms.builder_for(None)
    if request.GET.get("object_type") in OBJECT_TYPES:
        builder.object_type = request.GET["object_type"]
    return _builder_page(request, None, builder)


@page_view
@require_http_methods(["GET", "POST"])
def workflow_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    workflow = selectors.workflow_get(actor=actor_of(request), pk=pk)
    if request.method == "POST":
        return _save(request, workflow)
    return _builder_page(request, workflow, forms.builder_for(workflow))


# ---------------------------------------------------------------- a workflow's page


def _record_links(object_type: str, ids: set[str]) -> dict[str, dict[str, str]]:
    """Label and link of each record a page of runs names (one query)."""
    numeric = [int(i) for i in ids if i.isdigit()]
    if not numeric or object_type not in OBJECT_TYPES:
        return {}
    names = {"contact": "web:contact_detail", "account": "web:account_detail"}
    found: dict[str, dict[str, str]] = {}
    for record in model_for(object_type)._default_manager.filter(pk__in=numeric):
        try:
            name = "sales:deal_detail" if object_type == "deal" else names[object_type]
            link = reverse(name, args=[record.pk])
        except (NoReverseMatch, KeyError):
            link = ""
        found[str(record.pk)] = {"label": str(record), "link": link}
    return found


def _run_rows(workflow: Workflow, runs: list[WorkflowRun]) -> list[dict[str, Any]]:
    records = _record_links(workflow.object_type, {r.object_id for r in runs})
    states = dict(RunState.choices)
    return [
        {
            "run": run,
            "state": states.get(run.state, run.state),
            "record": records.get(run.object_id),
            "results": [
                {
                    "action": words.action_label(str(r.get("type", ""))),
                    "status": str(words.RESULT_STATUS.get(str(r.get("status")), r.get("status"))),
                    "status_key": str(r.get("status", "")),
                    "message": str(r.get("message", "")),
                }
                for r in run.results or []
                if isinstance(r, dict)
            ],
        }
        for run in runs
    ]


@page_view
@require_http_methods(["GET"])
def workflow_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """A workflow: its definition in words, on/off, edit, delete, test, run on a selection,
    its latest versions and its run history, newest first ("More": keyset; htmx: rows)."""
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=pk)
    state = request.GET.get("state", "")
    list_errors: list[str] = []
    page: Page[WorkflowRun] = Page(items=[], next_cursor=None)
    try:
        page = selectors.run_list(
            actor=actor,
            workflow=workflow,
            state=state,
            cursor=request.GET.get("cursor") or None,
            limit=RUN_PAGE,
        )
    except ValidationError as error:
        list_errors = [m for texts in error.fields.values() for m in texts] or [error.message]
    context: dict[str, Any] = {
        "workflow": workflow,
        "runs": _run_rows(workflow, page.items),
        "state": state,
        "states": RunState.choices,
        "list_errors": list_errors,
        "next_url": _next_url(request, page, state=state),
    }
    if wants_fragment(request) and request.GET.get("cursor"):
        return fragment_or_page(request, render(request, "workflows/detail.html#runs", context))
    versions = selectors.version_list(actor=actor, workflow=workflow, limit=RECENT_VERSIONS)
    context.update(
        {
            "words": words.definition_words(actor, definition_of(workflow)),
            "versions": _version_rows(actor, versions.items),
            "more_versions": versions.next_cursor is not None,
        }
    )
    status = 400 if list_errors else 200
    return fragment_or_page(
        request, render(request, "workflows/detail.html", context, status=status)
    )


def _version_rows(actor: Any, versions: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "version": v,
            "who": (v.created_by.get_full_name() or v.created_by.username) if v.created_by else "",
            "words": words.definition_words(actor, v.definition or {}),
        }
        for v in versions
    ]


@page_view
@require_http_methods(["GET"])
def workflow_versions(request: HtmxRequest, pk: int) -> HttpResponse:
    """Every version of a workflow, newest first, each with its definition in words."""
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=pk)
    page = selectors.version_list(
        actor=actor, workflow=workflow, cursor=request.GET.get("cursor") or None, limit=PAGE
    )
    context = {
        "workflow": workflow,
        "versions": _version_rows(actor, page.items),
        "next_url": _next_url(request, page),
    }
    return render(request, "workflows/versions.html", context)


@page_view
@require_http_methods(["POST"])
def workflow_toggle(request: HtmxRequest, pk: int) -> HttpResponse:
    """Turn a workflow on or off (``is_active`` = 1 or 0), from the version on the page."""
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=pk)
    turn_on = request.POST.get("is_active") == "1"
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    workflow_update(actor=actor, workflow=workflow, data={"is_active": turn_on}, version=version)
    messages.success(request, _("Workflow turned on.") if turn_on else _("Workflow turned off."))
    return redirect("workflows:detail", workflow.pk)


@page_view
@require_http_methods(["GET", "POST"])
def workflow_delete_view(request: HtmxRequest, pk: int) -> HttpResponse:
    """Ask first (GET); delete with the versions and run history on POST."""
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=pk)
    if request.method == "POST":
        workflow_delete(actor=actor, workflow=workflow)
        messages.success(request, _("Workflow deleted."))
        return redirect("workflows:list")
    return render(request, "workflows/delete.html", {"workflow": workflow})


@page_view
@require_http_methods(["GET"])
def workflow_test_view(request: HtmxRequest, pk: int) -> HttpResponse:
    """Test mode: which records (those typed, else the first 20) meet the conditions and
    what each action would do to them. Reads only, so it is a GET."""
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=pk)
    typed = request.GET.get("ids", "")
    errors: list[str] = []
    result: dict[str, Any] | None = None
    try:
        result = workflow_test(actor=actor, workflow=workflow, ids=_ids(typed) or None)
    except ValidationError as error:
        errors = [m for texts in error.fields.values() for m in texts] or [error.message]
    found = (result or {}).get("matching", [])
    links = _record_links(workflow.object_type, {str(r["id"]) for r in found})
    matches = [{**r, "link": links.get(str(r["id"]), {}).get("link", "")} for r in found]
    context = {
        "workflow": workflow,
        "ids": typed,
        "errors": errors,
        "result": result,
        "matches": matches,
        "words": words.definition_words(actor, definition_of(workflow)),
    }
    return render(request, "workflows/test.html", context, status=400 if errors else 200)


@page_view
@require_http_methods(["POST"])
def workflow_run(request: HtmxRequest, pk: int) -> HttpResponse:
    """Run the workflow by hand on the records typed; the runs appear in the history."""
    actor = actor_of(request)
    workflow = selectors.workflow_get(actor=actor, pk=pk)
    try:
        made = workflow_run_manual(
            actor=actor, workflow=workflow, ids=_ids(request.POST.get("ids", ""))
        )
    except ValidationError as error:
        for text in [m for texts in error.fields.values() for m in texts] or [error.message]:
            messages.error(request, text)
        return redirect(reverse("workflows:detail", args=[workflow.pk]) + "#run")
    messages.success(
        request,
        ngettext(
            "%(n)d record meets the conditions: its run is queued.",
            "%(n)d records meet the conditions: their runs are queued.",
            made,
        )
        % {"n": made},
    )
    return redirect("workflows:detail", workflow.pk)
