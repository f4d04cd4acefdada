"""Exports: every write of an export, from the request to the file and its purge.

``export_begin`` is what the pages and the API call. It checks the format and the selection
(the first page is read), then the export grant, then counts the selection up to
``SAMBANDH_EXPORT_BACKGROUND_ROWS`` + 1 (never an unbounded count): a selection within the
bound streams at once, as it always has; a larger one becomes an ``ExportJob`` that a worker
writes to a file under ``DATA_DIR/exports``. Either way the audit entry (``export_started``)
is written once, when the export is asked for; a refused or bad request writes nothing.

The worker (``export_job_run``, the Huey task's body) claims the job with a token, runs it as
its creator (the creator's export scope and readable fields, evaluated again: a grant taken
away meanwhile fails the job), writes to a temporary file and renames it into place only
while it still holds the job, so a task run twice, or a worker taken for dead and replaced,
never leaves two files or a half-written one. Finished jobs and their files go after
``FILE_KEEP_DAYS`` days (``exports_purge``, daily).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sambandh.contacts.services import export_started
from sambandh.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sambandh.core.exporting import CONTENT_TYPES, export_file, export_response
from sambandh.core.models import Action, User
from sambandh.core.pagination import bounded_count
from sambandh.core.permissions import has_grant
from sambandh.dataio.exports.kinds import KINDS, ExportKind, Selection
from sambandh.dataio.exports.models import ExportError, ExportJob, ExportStatus

log = logging.getLogger(__name__)

FILE_KEEP_DAYS = 7
# A running job whose worker has not reported for this long is taken for dead and run again.
# Generous: an XLSX workbook is zipped at the end, with no report while it is.
STALE_AFTER = dt.timedelta(minutes=15)
HEARTBEAT_ROWS = 5000  # the progress a running job reports, and how often


def background_rows() -> int:
    """Selections larger than this are written by a worker (settings)."""
    return int(getattr(settings, "SAMBANDH_EXPORT_BACKGROUND_ROWS", 50_000))


def export_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_path(job: ExportJob) -> Path:
    return export_dir() / job.stored_name


def _kind(object_type: str) -> ExportKind:
    try:
        return KINDS[object_type]
    except KeyError as exc:  # pragma: no cover - callers pass one of KINDS
        raise NotFound() from exc


def _audit_selection(fmt: str, selection: Selection) -> dict[str, Any]:
    return {"format": fmt, **selection.as_dict()}


# ---------------------------------------------------------------- the request


def export_begin(
    *, actor: User, object_type: str, fmt: str | None, selection: Selection
) -> StreamingHttpResponse | FileResponse | ExportJob:
    """The download of the selection the actor may export, or, for a large selection, the
    queued job that will write it.

    Bad input is a ValidationError and no export grant a PermissionDenied, both before the
    audit entry, the job and any row."""
    kind = _kind(object_type)
    data = kind.prepare(actor, selection, fmt or "csv")
    chosen = (fmt or "csv").lower()
    if not has_grant(actor, object_type, Action.EXPORT):
        raise PermissionDenied()
    bound = background_rows()
    _rows, large = bounded_count(kind.selection(actor, selection), bound)
    if large:
        return _job_create(
            actor=actor, object_type=object_type, fmt=chosen, selection=selection, stem=data.stem
        )
    export_started(
        actor=actor, object_type=object_type, selection=_audit_selection(chosen, selection)
    )
    filename = f"{data.stem}-{timezone.localdate().isoformat()}"
    return export_response(chosen, filename, data.columns, data.records, data.to_vcard)


def _job_create(
    *, actor: User, object_type: str, fmt: str, selection: Selection, stem: str
) -> ExportJob:
    from sambandh.dataio.exports import tasks

    with transaction.atomic():
        job = ExportJob.objects.create(
            object_type=object_type,
            file_format=fmt,
            selection=selection.as_dict(),
            file_name=f"{stem}-{timezone.localdate().isoformat()}.{fmt}",
            stored_name=f"{uuid.uuid4().hex}.{fmt}",
            created_by=actor,
        )
        export_started(
            actor=actor,
            object_type=object_type,
            selection={**_audit_selection(fmt, selection), "export_job_id": job.pk},
        )
        job_id = job.pk
        transaction.on_commit(lambda: tasks.export_run_task(job_id))
    return job


# ---------------------------------------------------------------- reading jobs


def export_jobs(*, actor: User) -> models.QuerySet[ExportJob]:
    """The actor's own exports (an export is its creator's alone, administrators included)."""
    return ExportJob.objects.filter(created_by=actor)


def export_job_get(*, actor: User, pk: object) -> ExportJob:
    """One of the actor's exports; anyone else's, or none, is NotFound."""
    try:
        number = int(str(pk))
        if not 1 <= number < 2**63:
            raise ValueError
        return export_jobs(actor=actor).get(pk=number)
    except (ValueError, ExportJob.DoesNotExist) as exc:
        raise NotFound() from exc


def export_job_file(*, actor: User, pk: object) -> FileResponse:
    """The file of one of the actor's finished exports (Conflict while it is not ready)."""
    job = export_job_get(actor=actor, pk=pk)
    if job.status != ExportStatus.COMPLETED:
        raise Conflict(_("This export is not ready."))
    try:
        handle = job_path(job).open("rb")
    except FileNotFoundError as exc:
        raise NotFound() from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.file_name,
        content_type=CONTENT_TYPES.get(job.file_format, "application/octet-stream"),
    )


# ---------------------------------------------------------------- the worker side


def _claim(job_id: int) -> str | None:
    """Take the job for this worker: a queued one, or a running one whose worker is gone."""
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        last_seen = job.heartbeat_at or job.started_at or job.created_at
        stale = job.status == ExportStatus.RUNNING and last_seen < now - STALE_AFTER
        if job.status != ExportStatus.QUEUED and not stale:
            return None
        token = uuid.uuid4().hex
        job.status = ExportStatus.RUNNING
        job.started_at = now
        job.heartbeat_at = now
        job.worker_token = token
        job.rows_written = 0
        job.save(
            update_fields=["status", "started_at", "heartbeat_at", "worker_token", "rows_written"]
        )
    return token


class _Superseded(Exception):
    """Another worker has taken the job: stop writing."""


def _counted(
    records: Iterator[dict[str, Any]], report: Callable[[int], None]
) -> Iterator[dict[str, Any]]:
    n = 0
    for record in records:
        yield record
        n += 1
        if n % HEARTBEAT_ROWS == 0:
            report(n)
    report(n)


def _finish(job_id: int, token: str, **fields: Any) -> bool:
    """Record the outcome, if this worker still holds the job."""
    fields.setdefault("finished_at", timezone.now())
    return bool(
        ExportJob.objects.filter(pk=job_id, worker_token=token, status=ExportStatus.RUNNING).update(
            **fields
        )
    )


def export_job_run(job_id: int) -> ExportJob | None:
    """Write a queued export's file, as its creator (the Huey task's body; safe to run twice:
    a job that is not queued, or held by a live worker, is left alone)."""
    token = _claim(job_id)
    if token is None:
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by
    if (
        actor is None
        or not actor.is_active
        or job.object_type not in KINDS
        or not has_grant(actor, job.object_type, Action.EXPORT)
    ):
        _finish(job_id, token, status=ExportStatus.FAILED, error=ExportError.PERMISSION)
        return ExportJob.objects.get(pk=job_id)
    target = job_path(job)
    part = target.with_name(f"{target.name}.{token}.part")

    def report(n: int) -> None:
        alive = ExportJob.objects.filter(pk=job_id, worker_token=token).update(
            rows_written=n, heartbeat_at=timezone.now()
        )
        if not alive:
            raise _Superseded()

    try:
        with translation.override(actor.language):
            data = KINDS[job.object_type].prepare(
                actor, Selection.from_dict(job.selection), job.file_format
            )
            with part.open("wb") as handle:
                export_file(
                    job.file_format,
                    handle,
                    data.columns,
                    _counted(data.records, report),
                    data.to_vcard,
                )
    except _Superseded:
        part.unlink(missing_ok=True)
        return ExportJob.objects.get(pk=job_id)
    except ValidationError:
        part.unlink(missing_ok=True)
        _finish(job_id, token, status=ExportStatus.FAILED, error=ExportError.INVALID)
        return ExportJob.objects.get(pk=job_id)
    except Exception:
        log.exception("export %s failed", job_id)
        part.unlink(missing_ok=True)
        _finish(job_id, token, status=ExportStatus.FAILED, error=ExportError.FAILED)
        return ExportJob.objects.get(pk=job_id)
    with transaction.atomic():
        held = (
            ExportJob.objects.select_for_update()
            .filter(pk=job_id, worker_token=token, status=ExportStatus.RUNNING)
            .first()
        )
        if held is None:  # taken by another worker meanwhile: its file is the one
            part.unlink(missing_ok=True)
        else:
            os.replace(part, target)
            _finish(
                job_id,
                token,
                status=ExportStatus.COMPLETED,
                file_size=target.stat().st_size,
                heartbeat_at=timezone.now(),
            )
    return ExportJob.objects.get(pk=job_id)


def exports_resume(*, now: dt.datetime | None = None) -> list[int]:
    """Wake a worker for every export whose wake-up was lost or whose worker has gone (the
    periodic task); ``export_job_run`` decides whether there is anything to do."""
    from sambandh.dataio.exports import tasks

    cutoff = (now or timezone.now()) - STALE_AFTER
    waiting = models.Q(status=ExportStatus.QUEUED, created_at__lt=cutoff)
    gone = models.Q(status=ExportStatus.RUNNING, heartbeat_at__lt=cutoff)
    woken = list(ExportJob.objects.filter(waiting | gone).values_list("pk", flat=True))
    for pk in woken:
        transaction.on_commit(functools.partial(tasks.export_run_task, pk))
    return woken


def exports_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Housekeeping (the daily task): exports finished (or never finished) more than
    FILE_KEEP_DAYS days ago go, with their files, and so do files a killed worker left
    half-written. The audit trail keeps the record of every export."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=FILE_KEEP_DAYS)
    old = ExportJob.objects.filter(
        models.Q(finished_at__lt=cutoff) | models.Q(finished_at__isnull=True, created_at__lt=cutoff)
    )
    jobs = 0
    for job in old.iterator():
        job_path(job).unlink(missing_ok=True)
        job.delete()
        jobs += 1
    parts = 0
    for part in export_dir().glob("*.part"):
        modified = dt.datetime.fromtimestamp(part.stat().st_mtime, tz=dt.UTC)
        if modified < cutoff:
            part.unlink(missing_ok=True)
            parts += 1
    return {"jobs": jobs, "parts": parts}
