"""HTML pages of imports: the history, the upload, one import's page (mapping, check, progress,
result), fixing a failed row, undo and the problem report.

Thin over ``dataio.services``: a job is fetched with ``import_job_get`` (another user's job is
a 404), every write is a service call, and GET never writes. The job's page shows what its
status allows; while a worker has the job, its progress fragment polls itself every second
and, once the job is done, tells htmx to reload the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, cast

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from sambandh.core.errors import NotFound, PermissionDenied, ValidationError
from sambandh.core.exporting import export_response
from sambandh.core.pagination import SortKey, paginate
from sambandh.dataio import forms
from sambandh.dataio.models import DuplicateHandling, ImportJob, ImportProblem, ImportStatus
from sambandh.dataio.services import (
    import_job_check,
    import_job_configure,
    import_job_create,
    import_job_fix_row,
    import_job_get,
    import_job_preview,
    import_job_start,
    import_job_undo,
    import_jobs,
    report_problems,
)
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

PAGE_SIZE = 50
PROBLEMS_SHOWN = 100
REPORT_BATCH = 2000
REPORT_COLUMNS = ("row", "column", "level", "code", "problem")
BY_ID = SortKey("id", ("id",))
BY_ROW = SortKey("row", ("row", "id"))
EDITABLE = (ImportStatus.NEW, ImportStatus.CHECKED)
UNDOABLE = (ImportStatus.COMPLETED, ImportStatus.FAILED)


def _errors_of(error: ValidationError) -> dict[str, list[str]]:
    """Field errors by field; an error of the whole form under ``""``."""
    found = {name: [str(m) for m in msgs] for name, msgs in error.fields.items()}
    if not found:
        found[""] = [str(error.message)]
    return found


# ---------------------------------------------------------------- history


@page_view
@require_GET
def imports(request: HtmxRequest) -> HttpResponse:
    """The actor's imports (an administrator's: everyone's), newest first, a page at a time."""
    actor = actor_of(request)
    cursor = request.GET.get("cursor") or None
    page = paginate(
        import_jobs(actor=actor), sort=BY_ID, descending=True, cursor=cursor, limit=PAGE_SIZE
    )
    context = {
        "jobs": page.items,
        "is_first_page": cursor is None,
        "next_url": f"{reverse('web:imports')}?cursor={page.next_cursor}"
        if page.next_cursor
        else "",
        "kinds": [(kind, forms.KIND_LABELS[kind]) for kind in forms.kinds_for(actor)],
        "kind_labels": forms.KIND_LABELS,
    }
    if wants_fragment(request):
        return fragment_or_page(request, render(request, "dataio/list.html#rows", context))
    return fragment_or_page(request, render(request, "dataio/list.html", context))


# ---------------------------------------------------------------- upload


@page_view
@require_http_methods(["GET", "POST"])
def import_new(request: HtmxRequest) -> HttpResponse:
    """The upload form; POST stores the file as a new import and goes to its page."""
    actor = actor_of(request)
    allowed = forms.kinds_for(actor)
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind", "")
    errors: dict[str, list[str]] = {}
    if kind and kind not in forms.KIND_LABELS:
        errors["kind"] = [_("Choose the kind of records to import.")]
    elif (kind and kind not in allowed) or not allowed:
        raise PermissionDenied()
    if request.method == "POST" and not errors:
        upload = request.FILES.get("file")
        if upload is None or not kind:
            if not kind:
                errors["kind"] = [_("Choose the kind of records to import.")]
            if upload is None:
                errors["file"] = [_("Choose a file to import.")]
        else:
            try:
                job = import_job_create(
                    actor=actor,
                    object_type=kind,
                    upload=cast(IO[bytes], upload),
                    filename=upload.name or "",
                    size=upload.size,
                )
            except ValidationError as error:
                errors = _errors_of(error)
            else:
                return redirect("web:import_detail", job.pk)
    context = {
        "kinds": [(k, forms.KIND_LABELS[k]) for k in allowed],
        "kind": kind if kind in allowed else (allowed[0] if len(allowed) == 1 else ""),
        "errors": errors,
    }
    return render(request, "dataio/new.html", context, status=400 if errors else 200)


# ---------------------------------------------------------------- one import


def _problems(job: ImportJob, *, from_check: bool, can_fix: bool) -> dict[str, Any]:
    """The first PROBLEMS_SHOWN problems of a run, for the page's table."""
    lang = forms.language()
    found = list(report_problems(job, from_check=from_check)[: PROBLEMS_SHOWN + 1])
    rows = []
    for problem in found[:PROBLEMS_SHOWN]:
        fix_url = ""
        if can_fix and problem.cells is not None and problem.row is not None:
            fix_url = reverse("web:import_fix_row", args=[job.pk, problem.row])
        rows.append(
            {
                "row": problem.row,
                "field": problem.field,
                "message": problem.message(lang),
                "level": problem.level,
                "level_label": forms.level_label(problem.level),
                "fix_url": fix_url,
            }
        )
    return {
        "problems": rows,
        "more_problems": len(found) > PROBLEMS_SHOWN,
        "report_url": reverse("web:import_report", args=[job.pk])
        + ("?run=check" if from_check else "?run=import"),
    }


def _mapping_context(
    request: HtmxRequest, job: ImportJob, config: forms.Config, errors: dict[str, list[str]]
) -> dict[str, Any]:
    actor = actor_of(request)
    preview_columns, preview_rows = forms.preview_table(
        job, import_job_preview(actor=actor, job=job, limit=10)
    )
    context: dict[str, Any] = {
        "config": config,
        "errors": errors,
        "columns": forms.mapping_columns(job, config.mapping, forms.column_samples(job)),
        "targets": forms.target_choices(job.object_type),
        "modes": forms.mode_choices(actor, job.object_type),
        "match_keys": forms.match_choices(job.object_type),
        "duplicate_choices": DuplicateHandling.choices,
        "countries": forms.countries(),
        "preview_columns": preview_columns,
        "preview_rows": preview_rows,
    }
    if job.status == ImportStatus.CHECKED:
        context["summary"] = job.check_summary
        context.update(_problems(job, from_check=True, can_fix=False))
    return context


def _result_context(job: ImportJob) -> dict[str, Any]:
    from_check = False
    if (
        job.status == ImportStatus.FAILED
        and not report_problems(job, from_check=False).exists()
        and report_problems(job, from_check=True).exists()
    ):
        # Whole file or nothing: the check found the errors and nothing was written.
        from_check = True
    return {
        "can_undo": job.status in UNDOABLE,
        **_problems(job, from_check=from_check, can_fix=job.status == ImportStatus.COMPLETED),
    }


def _page(
    request: HtmxRequest,
    job: ImportJob,
    *,
    config: forms.Config | None = None,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {"job": job, "kind_label": forms.KIND_LABELS[job.object_type]}
    if job.status in EDITABLE:
        context["stage"] = "mapping"
        context.update(_mapping_context(request, job, config or forms.Config.of(job), errors or {}))
    elif job.is_active:
        context["stage"] = "progress"
    else:
        context["stage"] = "result"
        context.update(_result_context(job))
    return fragment_or_page(
        request, render(request, "dataio/detail.html", context, status=400 if errors else 200)
    )


@page_view
@require_http_methods(["GET", "POST"])
def import_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """One import's page; POST sets its mapping and choices and queues the check
    (``action=check``) or the import (``action=start``), both or neither."""
    actor = actor_of(request)
    job = import_job_get(actor=actor, pk=pk)
    if request.method == "GET":
        return _page(request, job)
    if job.status not in EDITABLE:
        raise ValidationError(
            message=_("This import has started; its settings can no longer change.")
        )
    config = forms.Config.read(request.POST, job)
    start = request.POST.get("action") == "start"
    try:
        # One transaction: a check or start that is refused leaves the settings as they were.
        with transaction.atomic():
            configured = import_job_configure(actor=actor, job=job, **config.kwargs())
            if start:
                import_job_start(actor=actor, job=configured)
            else:
                import_job_check(actor=actor, job=configured)
    except ValidationError as error:
        job.refresh_from_db()
        return _page(request, job, config=config, errors=_errors_of(error))
    return redirect("web:import_detail", job.pk)


@page_view
@require_GET
def import_progress(request: HtmxRequest, pk: int) -> HttpResponse:
    """The progress fragment, which polls itself while a worker has the job; once the job is
    done, htmx is told to reload the page (a plain GET gets the fragment without polling)."""
    job = import_job_get(actor=actor_of(request), pk=pk)
    if not job.is_active and request.htmx:
        return HttpResponseClientRefresh()
    context = {"job": job}
    return fragment_or_page(request, render(request, "dataio/detail.html#progress", context))


# ---------------------------------------------------------------- fixing a row, undo


def _failed_row(job: ImportJob, row: int) -> ImportProblem:
    """The first problem of a failed row, which keeps the row's cells."""
    problem: ImportProblem | None = (
        report_problems(job, from_check=False).filter(row=row, cells__isnull=False).first()
    )
    if problem is None:
        raise NotFound()
    return problem


@page_view
@require_http_methods(["GET", "POST"])
def import_fix_row(request: HtmxRequest, pk: int, row: int) -> HttpResponse:
    """A failed row's cells to correct; POST imports the corrected row into the import."""
    actor = actor_of(request)
    job = import_job_get(actor=actor, pk=pk)
    first = _failed_row(job, row)
    if job.status != ImportStatus.COMPLETED:
        raise ValidationError(message=_("Only a completed import can take a corrected row."))
    cells: list[str] = list(first.cells or [])
    cells += [""] * (len(job.headers) - len(cells))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        cells = [request.POST.get(f"cell-{i}", "") for i in range(len(job.headers))]
        try:
            import_job_fix_row(actor=actor, job=job, row=row, cells=cells)
        except ValidationError as error:
            errors = _errors_of(error)
        else:
            messages.success(request, _("Row %(row)d was imported.") % {"row": row})
            return redirect("web:import_detail", job.pk)
    else:
        # The problems the row had, by column, until the user corrects them.
        lang = forms.language()
        for problem in report_problems(job, from_check=False).filter(row=row, level="error"):
            errors.setdefault(problem.field or "row", []).append(problem.message(lang))
    headers = list(job.headers)
    inputs = [
        {"index": i, "header": header, "value": cells[i], "errors": errors.get(header, [])}
        for i, header in enumerate(headers)
    ]
    other = [msg for name, msgs in errors.items() if name not in headers for msg in msgs]
    context = {
        "job": job,
        "row": row,
        "inputs": inputs,
        "other_errors": other,
        "posted": request.method == "POST",
    }
    return render(
        request, "dataio/fix.html", context, status=400 if request.method == "POST" else 200
    )


@page_view
@require_http_methods(["GET", "POST"])
def import_undo(request: HtmxRequest, pk: int) -> HttpResponse:
    """GET: what undo does and a button; POST: queue the undo."""
    actor = actor_of(request)
    job = import_job_get(actor=actor, pk=pk)
    if request.method == "POST":
        import_job_undo(actor=actor, job=job)
        messages.success(request, _("Undoing the import."))
        return redirect("web:import_detail", job.pk)
    return render(request, "dataio/undo.html", {"job": job, "can_undo": job.status in UNDOABLE})


# ---------------------------------------------------------------- the report


def _report_records(job: ImportJob, *, from_check: bool, lang: str) -> Iterator[dict[str, Any]]:
    """Every problem of a run, file problems first, then by row: REPORT_BATCH at a time, by
    keyset, so a report of 100,000 problems never sits in memory at once."""
    problems = report_problems(job, from_check=from_check).only(
        "id", "row", "field", "level", "code", "messages"
    )
    for sort, queryset in (
        (BY_ID, problems.filter(row__isnull=True)),
        (BY_ROW, problems.filter(row__isnull=False)),
    ):
        cursor: str | None = None
        while True:
            page = paginate(
                queryset, sort=sort, descending=False, cursor=cursor, limit=REPORT_BATCH
            )
            for problem in page.items:
                yield {
                    "row": problem.row if problem.row is not None else "",
                    "column": problem.field,
                    "level": problem.level,
                    "code": problem.code,
                    "problem": problem.message(lang),
                }
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


@page_view
@require_GET
def import_report(request: HtmxRequest, pk: int) -> HttpResponse:
    """The full problem report of the check (``?run=check``) or of the import, as CSV."""
    job = import_job_get(actor=actor_of(request), pk=pk)
    run = request.GET.get("run") or "import"
    if run not in ("check", "import"):
        raise ValidationError({"run": [_("Choose the check or the import.")]})
    records = _report_records(job, from_check=run == "check", lang=forms.language())
    response = export_response("csv", f"import-{job.pk}-{run}-problems", REPORT_COLUMNS, records)
    return cast(HttpResponse, response)
