"""Imports: every write of the import workflow, from the uploaded file to undo.

The workflow: ``import_job_create`` stores the file and proposes a mapping;
``import_job_configure`` sets the mapping and the choices; ``import_job_check`` queues a dry
run that reports every row's problems without writing; ``import_job_start`` queues the real
run; ``import_job_undo`` queues its reversal. The ``*_run`` functions are what the Huey tasks
call: each claims the job (one worker at a time, by a token), works in chunks of
``CHUNK_ROWS`` rows, and commits them (several to a transaction, see ``_write_chunks``) with
the job's new checkpoint, so a killed worker is resumed (``imports_resume``) from the last
committed chunk and never writes a row twice.

Semantics, stated: with ``whole_file`` the run first checks the whole file and writes nothing
if any row has an error; a failure while writing (a record changed meanwhile) undoes what the
run had written. Without it every valid row is written and every invalid one reported. Blank
cells never clear a value: they leave the field as it is (a new record gets the default).
A later row with the same match key as an earlier one is a duplicate (create mode) or
updates the record the earlier row created (update and create-or-update modes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact, Note
from sambandh.core.audit import audit_record
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.memory import long_work
from sambandh.core.models import (
    Action,
    CustomFieldDefinition,
    ObjectType,
    OrganisationSettings,
    User,
)
from sambandh.core.permissions import is_admin, require
from sambandh.core.search import search_index_bulk, search_unindex
from sambandh.dataio.engine import (
    CHUNK_ROWS,
    MATCH_KEYS,
    ChunkImporter,
    Outcome,
    RowProblem,
    make_importer,
    messages_of,
)
from sambandh.dataio.mapping import (
    RECORD_KINDS,
    check_mapping,
    normalise_header,
    suggest_mapping,
    targets,
)
from sambandh.dataio.models import (
    DuplicateHandling,
    ImportChange,
    ImportJob,
    ImportMapping,
    ImportMode,
    ImportProblem,
    ImportStatus,
)
from sambandh.dataio.pipeline import Chunk, ReaderDied, prepared_chunks
from sambandh.dataio.problems import FileError, Level, Problem
from sambandh.dataio.readers import FileFormat, Row, Table, open_table

KINDS = (
    ObjectType.CONTACT,
    ObjectType.ACCOUNT,
    # Deals, orders and activities: row by row through their create services (records_engine).
    ObjectType.DEAL,
    ObjectType.ORDER,
    ObjectType.ACTIVITY,
)
MAX_FILE_BYTES = 1024 * 1024 * 1024


def _stale_after() -> dt.timedelta:
    """A worker that has not reported for this long is gone (settings, default 2 minutes)."""
    return dt.timedelta(seconds=int(getattr(settings, "SAMBANDH_IMPORT_STALE_SECONDS", 120)))


REPORT_PROBLEMS_MAX = 100_000  # problems kept per run; the counts stay exact beyond it


def import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_path(job: ImportJob) -> Path:
    return import_dir() / job.stored_name


def _custom_fields(object_type: str) -> list[Any]:
    return list(CustomFieldDefinition.objects.filter(object_type=object_type))


def _spec(job: ImportJob) -> dict[str, Any]:
    """What the pipeline's reader needs to read and prepare the job's rows (picklable)."""
    return {
        "path": str(job_path(job)),
        "filename": job.file_name,
        "file_format": job.file_format,
        # Detected again, not forced: the reader then reports bytes its guess cannot read.
        "encoding": None,
        "plan": {
            "object_type": job.object_type,
            "headers": list(job.headers),
            "mapping": list(job.mapping),
            "default_country": job.default_country,
            "day_first": job.day_first,
        },
    }


def _open(job: ImportJob) -> Table:
    return open_table(
        job_path(job),
        filename=job.file_name,
        file_format=FileFormat(job.file_format) if job.file_format else None,
        encoding=None,  # detected again (see _spec)
    )


def _require_kind(object_type: str) -> None:
    if object_type not in KINDS:
        raise ValidationError({"object_type": [_("Choose the kind of records to import.")]})


def _owned(actor: User, job: ImportJob) -> None:
    """A job is its creator's (and an administrator's); others do not see it exist."""
    if job.created_by_id != actor.pk and not is_admin(actor):
        raise NotFound()


def import_job_get(*, actor: User, pk: object) -> ImportJob:
    try:
        job = ImportJob.objects.get(pk=int(str(pk)))
    except (ValueError, ImportJob.DoesNotExist) as exc:
        raise NotFound() from exc
    _owned(actor, job)
    return job


def import_jobs(*, actor: User) -> Any:
    jobs = ImportJob.objects.select_related("created_by").order_by("-id")
    return jobs if is_admin(actor) else jobs.filter(created_by=actor)


# ---------------------------------------------------------------- upload and mapping


def import_job_create(
    *, actor: User, object_type: str, upload: IO[bytes], filename: str, size: int | None = None
) -> ImportJob:
    """Store an uploaded file as a new import of ``object_type`` records and propose a
    mapping (a saved one whose columns match, else the suggestions). A file that is not a
    table is refused with the reader's message and nothing is kept."""
    _require_kind(object_type)
    require(actor, object_type, Action.CREATE)
    if size is not None and size > MAX_FILE_BYTES:
        raise ValidationError({"file": [_("The file is larger than 1 GB.")]})
    name = os.path.basename(filename or "import")[:255] or "import"
    stored = f"{uuid.uuid4().hex}{Path(name).suffix[:10].lower()}"
    path = import_dir() / stored
    upload.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload, out, 1024 * 1024)
    try:
        with open_table(path, filename=name) as table:
            headers = list(table.headers)
            file_problems = list(table.problems)  # only the header has been read: its own
            file_format, encoding = str(table.format), table.encoding or ""
    except FileError:
        path.unlink(missing_ok=True)
        raise
    custom = _custom_fields(object_type)
    mapping = _saved_mapping(object_type, headers) or [
        s.target
        for s in suggest_mapping(headers, object_type=object_type, custom_fields=custom)  # type: ignore[arg-type]
    ]
    with transaction.atomic():
        job = ImportJob.objects.create(
            object_type=object_type,
            file_name=name,
            stored_name=stored,
            file_size=path.stat().st_size,
            file_format=file_format,
            encoding=encoding,
            headers=headers,
            mapping=mapping,
            match_on=MATCH_KEYS[object_type][0],  # type: ignore[index]
            default_country=str(OrganisationSettings.get().country or "IN"),
            created_by=actor,
        )
        _store(job, [RowProblem.of(p) for p in file_problems], from_check=False)
    return job


def _saved_mapping(object_type: str, headers: list[str]) -> list[str | None] | None:
    """The newest saved mapping that knows every column of this file, applied to it."""
    keys = [normalise_header(h) for h in headers]
    for saved in ImportMapping.objects.filter(object_type=object_type).order_by("-id")[:50]:
        if keys and all(k in saved.columns for k in keys):
            return [saved.columns[k] for k in keys]
    return None


def import_job_configure(
    *,
    actor: User,
    job: ImportJob,
    mapping: list[str | None],
    mode: str = ImportMode.CREATE,
    match_on: str | None = None,
    duplicates: str = DuplicateHandling.SKIP,
    whole_file: bool = False,
    default_country: str | None = None,
    day_first: bool = True,
    save_as: str = "",
) -> ImportJob:
    """Set the mapping and the choices of a job that has not run. Any change invalidates an
    earlier check. ``save_as`` also saves the mapping under that name for the next file."""
    _owned(actor, job)
    if job.status not in (ImportStatus.NEW, ImportStatus.CHECKED):
        raise ValidationError(
            message=_("This import has started; its settings can no longer change.")
        )
    errors: dict[str, list[str]] = {}
    if len(mapping) != len(job.headers):
        raise ValidationError({"mapping": [_("Choose a field (or none) for every column.")]})
    custom = _custom_fields(job.object_type)
    problems = check_mapping(
        mapping,
        headers=job.headers,
        object_type=job.object_type,  # type: ignore[arg-type]
        custom_fields=custom,
    )
    if problems:
        errors["mapping"] = [str(p.message) for p in problems]
    if mode not in ImportMode.values:
        errors["mode"] = [_("Choose one of the offered values.")]
    elif job.object_type in RECORD_KINDS and mode != ImportMode.CREATE:
        errors["mode"] = [_("Deals, orders and activities can only be imported as new records.")]
    match_on = match_on or MATCH_KEYS[job.object_type][0]  # type: ignore[index]
    if match_on not in MATCH_KEYS[job.object_type]:  # type: ignore[index]
        errors["match_on"] = [_("Choose one of the offered values.")]
    elif mode != ImportMode.CREATE and match_on not in mapping:
        errors["match_on"] = [_("Map a column to the field that finds existing records.")]
    if duplicates not in DuplicateHandling.values:
        errors["duplicates"] = [_("Choose one of the offered values.")]
    country = (default_country or job.default_country or "IN").upper()
    from sambandh.core import validation

    if country not in validation.country_codes():
        errors["default_country"] = [_("Choose a country.")]
    save_as = (save_as or "").strip()[:100]
    if errors:
        raise ValidationError(errors)
    if mode != ImportMode.CREATE:
        require(actor, job.object_type, Action.UPDATE)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (ImportStatus.NEW, ImportStatus.CHECKED):
            raise ValidationError(
                message=_("This import has started; its settings can no longer change.")
            )
        job.mapping = list(mapping)
        job.mode, job.match_on, job.duplicates = mode, match_on, duplicates
        job.whole_file, job.default_country, job.day_first = whole_file, country, day_first
        if _config(job) != job.checked_config:
            job.status = ImportStatus.NEW
        job.save()
        if save_as:
            ImportMapping.objects.update_or_create(
                object_type=job.object_type,
                name=save_as,
                defaults={
                    "columns": {
                        normalise_header(h): t for h, t in zip(job.headers, mapping, strict=True)
                    },
                    "created_by": actor,
                },
            )
    return job


def import_targets(object_type: str) -> list[Any]:
    return targets(object_type, _custom_fields(object_type))  # type: ignore[arg-type]


def _config(job: ImportJob) -> str:
    body = json.dumps(
        [job.mapping, job.mode, job.match_on, job.duplicates, job.default_country, job.day_first]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def import_job_preview(*, actor: User, job: ImportJob, limit: int = 10) -> list[dict[str, Any]]:
    """The first ``limit`` rows as they would be imported: each field's normalised value and
    the row's problems (without looking at the database)."""
    _owned(actor, job)
    from sambandh.dataio.rows import Plan, RowReader

    reader = RowReader(
        Plan(job.object_type, job.headers, job.mapping, job.default_country, job.day_first)
    )
    out = []
    with _open(job) as table:
        for row in table.rows():
            prepared = reader.prepare(row.number, row.cells, row.problems)
            out.append(
                {
                    "row": row.number,
                    "data": prepared.data,
                    "refs": prepared.refs,
                    "problems": prepared.problems,
                }
            )
            if len(out) >= limit:
                break
    return out


# ---------------------------------------------------------------- queueing


def _enqueue(task_name: str, job_id: int) -> None:
    from sambandh.dataio import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task(job_id))


def _queue(
    actor: User, job: ImportJob, allowed: tuple[str, ...], status: str, task_name: str
) -> ImportJob:
    _owned(actor, job)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in allowed:
            raise ValidationError(message=_("This import cannot do that now."))
        if not locked.mapping or not any(locked.mapping):
            raise ValidationError({"mapping": [_("Choose a field for at least one column.")]})
        locked.status = status
        locked.heartbeat_at = None
        locked.worker_token = ""
        locked.save(update_fields=["status", "heartbeat_at", "worker_token"])
        _enqueue(task_name, locked.pk)
    return locked


def import_job_check(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue a dry run: every row checked, matched and counted, nothing written."""
    return _queue(
        actor,
        job,
        (ImportStatus.NEW, ImportStatus.CHECKED),
        ImportStatus.CHECKING,
        "import_check_task",
    )


def import_job_start(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue the real run of a configured (and, if the user wished, checked) import."""
    require(actor, job.object_type, Action.CREATE)
    if job.mode != ImportMode.CREATE:
        require(actor, job.object_type, Action.UPDATE)
    return _queue(
        actor, job, (ImportStatus.NEW, ImportStatus.CHECKED), ImportStatus.QUEUED, "import_run_task"
    )


def import_job_undo(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue the undo of a finished import: what it created is removed, what it changed is
    set back to the values it replaced."""
    return _queue(
        actor,
        job,
        (ImportStatus.COMPLETED, ImportStatus.FAILED),
        ImportStatus.UNDOING,
        "import_undo_task",
    )


# ---------------------------------------------------------------- the worker side


def _claim(job_id: int, statuses: tuple[str, ...]) -> tuple[ImportJob, str] | None:
    """Take the job for this worker, unless another live worker has it: the token written
    here is checked by every chunk, so a worker that lost the job stops at its next chunk."""
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in statuses:
            return None
        if job.worker_token and job.heartbeat_at and now - job.heartbeat_at < _stale_after():
            return None
        token = uuid.uuid4().hex
        job.worker_token, job.heartbeat_at = token, now
        if job.started_at is None and job.status != ImportStatus.CHECKING:
            job.started_at = now
        job.save(update_fields=["worker_token", "heartbeat_at", "started_at"])
    return job, token


def _locked(job: ImportJob, token: str) -> ImportJob | None:
    """The job row locked in the current transaction, if this worker still holds it."""
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    return locked if locked.worker_token == token else None


def _chunks(rows: Iterator[Row], after: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        if row.number <= after:
            continue
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _store(
    job: ImportJob,
    problems: list[RowProblem],
    *,
    from_check: bool,
    cells: dict[int, list[Any]] | None = None,
) -> None:
    """Store problems; ``cells``: the failed rows' cells, kept on each row's first problem."""
    pending = dict(cells or {})
    out = []
    for p in problems:
        row_cells = pending.pop(p.row, None) if p.row is not None and not from_check else None
        out.append(
            ImportProblem(
                job=job,
                row=p.row,
                field=p.field[:200],
                code=p.code[:40],
                level=p.level,
                messages=p.messages,
                from_check=from_check,
                cells=None
                if row_cells is None
                else ["" if c is None else str(c) for c in row_cells],
            )
        )
    ImportProblem.objects.bulk_create(out)


def _kept(job: ImportJob, problems: list[RowProblem], *, from_check: bool) -> list[RowProblem]:
    """The problems to store: all, up to REPORT_PROBLEMS_MAX per run."""
    stored = ImportProblem.objects.filter(job=job, from_check=from_check).count() if problems else 0
    return problems[: max(0, REPORT_PROBLEMS_MAX - stored)]


def _count_rows(job: ImportJob) -> int:
    """The number of rows, for the progress bar: a CSV's lines counted at C speed (a quoted
    cell spanning lines makes it a little high; the run sets the exact count at its end),
    other formats read through."""
    if job.file_format == FileFormat.CSV:
        lines = 0
        last = b"\n"
        with open(job_path(job), "rb") as stream:
            while block := stream.read(1024 * 1024):
                lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
                last = block[-1:]
        if last not in (b"\n", b"\r"):
            lines += 1  # a last line without a line break
        return max(0, lines - 1)
    with _open(job) as table:
        return sum(1 for _row in table.rows())


def _fail_job(job: ImportJob, token: str, message: str) -> None:
    with transaction.atomic():
        locked = _locked(job, token)
        if locked is None:
            return
        locked.status = ImportStatus.FAILED
        locked.error = message[:2000]
        locked.finished_at = timezone.now()
        locked.worker_token = ""
        locked.save(update_fields=["status", "error", "finished_at", "worker_token"])


def import_check_run(job_id: int) -> ImportJob | None:
    """The dry run (the check task): every chunk through the engine without writing."""
    claimed = _claim(job_id, (ImportStatus.CHECKING,))
    if claimed is None:
        return None
    job, token = claimed
    actor = job.created_by
    if actor is None or not actor.is_active:
        _fail_job(job, token, _("The user who started this import is no longer active."))
        return None
    ImportProblem.objects.filter(job=job, from_check=True).delete()
    job.total_rows = _count_rows(job)  # for the progress bar; exact once the check ends
    ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows, processed_count=0)
    summary = _check(job, actor, token)
    with transaction.atomic():
        locked = _locked(job, token)
        if locked is None:
            return None
        locked.status = ImportStatus.CHECKED
        if not summary["rows"]:
            _store(locked, [_no_rows()], from_check=True)
        locked.check_summary = summary
        locked.total_rows = summary["rows"]
        locked.checked_config = _config(locked)
        locked.worker_token = ""
        locked.save()
    return locked


def _no_rows() -> RowProblem:
    from django.utils.translation import gettext_lazy

    return RowProblem.of(
        Problem.make(
            "no_rows", gettext_lazy("The file has a header but no rows."), level=Level.WARNING
        )
    )


def _check(job: ImportJob, actor: User, token: str) -> dict[str, int]:
    importer = make_importer(job, actor, write=False)
    total = Outcome()
    rows = 0
    for pairs in prepared_chunks(_spec(job), after=0, rows=job.total_rows or _count_rows(job)):
        chunk = [row for row, _prepared in pairs]
        outcome = importer.chunk(chunk, [p for _row, p in pairs])
        rows += len(chunk)
        total.add(outcome)
        with transaction.atomic():
            if _locked(job, token) is None:
                break
            _store(job, _kept(job, outcome.problems, from_check=True), from_check=True)
            ImportJob.objects.filter(pk=job.pk).update(
                heartbeat_at=timezone.now(), processed_count=rows
            )
    return {
        "rows": rows,
        "created": total.created,
        "updated": total.updated,
        "skipped": total.skipped,
        "failed": total.failed,
        "companies": total.companies,
    }


def import_run(job_id: int) -> ImportJob | None:
    """The real run (the import task): resumable from the job's checkpoint."""
    claimed = _claim(job_id, (ImportStatus.QUEUED, ImportStatus.RUNNING))
    if claimed is None:
        return None
    job, token = claimed
    actor = job.created_by
    if actor is None or not actor.is_active:
        _fail_job(job, token, _("The user who started this import is no longer active."))
        return None
    if job.status == ImportStatus.QUEUED:
        if job.whole_file and job.checked_config != _config(job):
            # Whole file or nothing: every row is checked before the first is written.
            ImportProblem.objects.filter(job=job, from_check=True).delete()
            job.check_summary = _check(job, actor, token)
            job.total_rows = job.check_summary["rows"]
            job.checked_config = _config(job)
        if job.whole_file and job.check_summary.get("failed"):
            job.save(update_fields=["check_summary", "total_rows", "checked_config"])
            _fail_job(
                job,
                token,
                _("%(n)d rows have errors, so nothing was imported (whole file or nothing).")
                % {"n": job.check_summary["failed"]},
            )
            return ImportJob.objects.get(pk=job.pk)
        if job.total_rows is None or job.checked_config != _config(job):
            job.total_rows = _count_rows(job)
        with transaction.atomic():
            locked = _locked(job, token)
            if locked is None:
                return None
            locked.status = ImportStatus.RUNNING
            locked.total_rows = job.total_rows
            locked.check_summary = job.check_summary
            locked.checked_config = job.checked_config
            locked.processed_row = locked.processed_count = 0
            locked.created_count = locked.updated_count = locked.skipped_count = (
                locked.failed_count
            ) = 0
            locked.save()
            job = locked
    importer = make_importer(job, actor, write=True)
    try:
        with long_work():
            finished = _write_chunks(job, importer, token, actor)
    except (ReaderDied, FileError) as exc:
        _fail_job(
            job, token, _("The file could not be read to the end: %(error)s") % {"error": exc}
        )
        return ImportJob.objects.get(pk=job.pk)
    if finished is not True:
        return finished  # type: ignore[no-any-return]
    with transaction.atomic():
        locked = _locked(job, token)
        if locked is None:
            return None
        locked.status = ImportStatus.COMPLETED
        locked.total_rows = locked.processed_count  # exact now; the start was an estimate
        if not locked.processed_count:
            _store(locked, [_no_rows()], from_check=False)
        locked.finished_at = timezone.now()
        locked.worker_token = ""
        locked.save()
    return locked


def _write_chunks(job: ImportJob, importer: ChunkImporter, token: str, actor: User) -> Any:
    """Write the job's chunks after its checkpoint: True when all are written, else what
    ``import_run`` returns (None when another worker took the job over, or the failed job).

    Chunks are committed together, with the job's checkpoint, in transactions of up to
    ``SAMBANDH_IMPORT_TRANSACTION_ROWS`` rows or ``SAMBANDH_IMPORT_TRANSACTION_SECONDS``."""
    most_rows = max(1, int(settings.SAMBANDH_IMPORT_TRANSACTION_ROWS))
    most_seconds = float(settings.SAMBANDH_IMPORT_TRANSACTION_SECONDS)
    # The pipeline's chunks, read and prepared ahead (in a second process when big). A
    # transaction starts only once its first chunk is there: the writer does not hold the
    # database while the reader starts up.
    chunks = iter(prepared_chunks(_spec(job), after=job.processed_row, rows=job.total_rows))
    pairs = next(chunks, None)
    while pairs is not None:
        try:
            with transaction.atomic():
                locked = _locked(job, token)
                if locked is None:
                    return None  # another worker took the job over
                importer.job = locked
                importer.gather = True
                started = time.monotonic()
                written = 0
                while pairs is not None:
                    _write_chunk(locked, importer, pairs)
                    written += len(pairs)
                    if written >= most_rows or time.monotonic() - started >= most_seconds:
                        break
                    pairs = next(chunks, None)
                importer.finish_transaction()
                locked.heartbeat_at = timezone.now()
                locked.save()
                job = locked
        except _WholeFileBroken as broken:
            with transaction.atomic():
                _store(job, broken.outcome.problems, from_check=False)
            _undo_changes(job, actor, token)
            _fail_job(
                job,
                token,
                _(
                    "A row could no longer be imported as checked, so everything this import wrote was undone."
                ),
            )
            return ImportJob.objects.get(pk=job.pk)
        if pairs is not None:  # the transaction was full: the next chunk, after its commit
            pairs = next(chunks, None)
    return True


def _write_chunk(locked: ImportJob, importer: ChunkImporter, pairs: Chunk) -> None:
    """One chunk written in the current transaction; its problems stored, the (locked) job's
    checkpoint and counts moved on in memory."""
    chunk = [row for row, _prepared in pairs]
    outcome = importer.chunk(chunk, [p for _row, p in pairs])
    if locked.whole_file and outcome.failed:
        raise _WholeFileBroken(outcome)
    _store(
        locked,
        _kept(locked, outcome.problems, from_check=False),
        from_check=False,
        cells=outcome.failed_cells,
    )
    locked.processed_row = chunk[-1].number
    locked.processed_count += len(chunk)
    locked.created_count += outcome.created
    locked.updated_count += outcome.updated
    locked.skipped_count += outcome.skipped
    locked.failed_count += outcome.failed


def import_job_fix_row(*, actor: User, job: ImportJob, row: int, cells: list[str]) -> Outcome:
    """Import one row that failed, with the cells the user corrected, into the finished job
    (so its undo covers it too). On success the row's problems go and the counts move; on
    failure nothing is written and the row's problems are raised as field errors."""
    _owned(actor, job)
    require(actor, job.object_type, Action.CREATE)  # as now, not as when the import ran
    if job.status != ImportStatus.COMPLETED:
        raise ValidationError(message=_("Only a completed import can take a corrected row."))
    first = ImportProblem.objects.filter(
        job=job, from_check=False, row=row, cells__isnull=False
    ).first()
    if first is None:
        raise NotFound()
    if len(cells) != len(job.headers):
        raise ValidationError(message=_("Send one value for every column."))
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.COMPLETED:
            raise ValidationError(message=_("Only a completed import can take a corrected row."))
        outcome = make_importer(locked, actor, write=False).chunk([Row(row, list(cells), ())])
        if outcome.failed:
            language = translation.get_language() or "en"
            errors: dict[str, list[str]] = {}
            for p in outcome.problems:
                if p.level == "error":
                    errors.setdefault(p.field or "row", []).append(
                        p.messages.get(language) or p.messages.get("en", "")
                    )
            raise ValidationError(errors)
        outcome = make_importer(locked, actor, write=True).chunk([Row(row, list(cells), ())])
        ImportProblem.objects.filter(job=locked, from_check=False, row=row).delete()
        _store(locked, outcome.problems, from_check=False)  # warnings the corrected row still has
        locked.failed_count -= 1
        locked.created_count += outcome.created
        locked.updated_count += outcome.updated
        locked.skipped_count += outcome.skipped
        locked.save(
            update_fields=["failed_count", "created_count", "updated_count", "skipped_count"]
        )
    return outcome


class _WholeFileBroken(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__("row failed in a whole-file import")
        self.outcome = outcome


def import_undo_run(job_id: int) -> ImportJob | None:
    """The undo (the undo task), in chunks, resumable like the run."""
    claimed = _claim(job_id, (ImportStatus.UNDOING,))
    if claimed is None:
        return None
    job, token = claimed
    actor = job.created_by
    if not _undo_changes(job, actor, token):
        return None
    with transaction.atomic():
        locked = _locked(job, token)
        if locked is None:
            return None
        locked.status = ImportStatus.UNDONE
        locked.undone_at = timezone.now()
        locked.worker_token = ""
        locked.save()
    return locked


_MODELS: dict[str, Any] = {
    ObjectType.CONTACT: Contact,
    ObjectType.ACCOUNT: Account,
    ObjectType.NOTE: Note,
}


def _undo_changes(job: ImportJob, actor: User | None, token: str) -> bool:
    """Reverse the job's changes, newest first, a chunk per transaction; False if the job was
    taken over by another worker."""
    while True:
        with transaction.atomic():
            if _locked(job, token) is None:
                return False
            changes = list(ImportChange.objects.filter(job=job).order_by("-id")[:CHUNK_ROWS])
            if not changes:
                return True
            removed: dict[str, list[int]] = {}
            restored: dict[str, list[int]] = {}
            for change in changes:
                if change.action == "created":
                    removed.setdefault(change.object_type, []).append(change.object_id)
                else:
                    if _restore(change):
                        restored.setdefault(change.object_type, []).append(change.object_id)
            for object_type, ids in list(removed.items()):
                if job.object_type in RECORD_KINDS:
                    # Deals, orders, activities: through their delete services (records_engine).
                    from sambandh.dataio.records_engine import undo_created

                    removed[object_type] = undo_created(job, actor, object_type, ids)
                    continue
                _MODELS[object_type].objects.filter(pk__in=ids).delete()
                if object_type in (ObjectType.CONTACT, ObjectType.ACCOUNT):
                    search_unindex(object_type, ids)
            for object_type, ids in restored.items():
                _reindex(object_type, ids)
            ImportChange.objects.filter(pk__in=[c.pk for c in changes]).delete()
            audit_record(
                actor=actor,
                action="import_undo",
                object_type=job.object_type,
                object_id=job.pk,
                object_repr=job.file_name,
                changes={"removed": removed, "restored": restored},
            )
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())


def _restore(change: ImportChange) -> bool:
    model = _MODELS[change.object_type]
    record = model.objects.select_for_update().filter(pk=change.object_id).first()
    if record is None:
        return False
    before = dict(change.before or {})
    added_tags = before.pop("+tags", [])
    if added_tags:
        record.tags.remove(*added_tags)
    fields = []
    for attname, value in before.items():
        if attname == "custom":
            record.custom = value
        else:
            field = next(f for f in model._meta.concrete_fields if f.attname == attname)
            setattr(record, attname, field.to_python(value))
        fields.append(attname)
    if fields:
        record.version += 1
        record.updated_at = timezone.now()
        record.save(update_fields=[*fields, "version", "updated_at"])
    return True


def _reindex(object_type: str, ids: list[int]) -> None:
    from sambandh.contacts.services.cleaning import _account_document, contact_document

    if object_type == ObjectType.CONTACT:
        search_index_bulk(
            object_type, [(c.pk, contact_document(c)) for c in Contact.objects.filter(pk__in=ids)]
        )
    elif object_type == ObjectType.ACCOUNT:
        search_index_bulk(
            object_type, [(a.pk, _account_document(a)) for a in Account.objects.filter(pk__in=ids)]
        )


def imports_resume() -> list[int]:
    """Wake a worker for every job whose worker has gone (the periodic task): the job row is
    the truth, the queue only wakes workers."""
    cutoff = timezone.now() - _stale_after()
    names: dict[str, str] = {
        ImportStatus.CHECKING: "import_check_task",
        ImportStatus.QUEUED: "import_run_task",
        ImportStatus.RUNNING: "import_run_task",
        ImportStatus.UNDOING: "import_undo_task",
    }
    woken = []
    for pk, status in ImportJob.objects.filter(
        status__in=list(names), heartbeat_at__lt=cutoff
    ).values_list("pk", "status"):
        _enqueue(names[status], pk)
        woken.append(pk)
    # A job queued but never picked up (the wake-up was lost) has no heartbeat at all.
    for pk, status in ImportJob.objects.filter(
        status__in=list(names), heartbeat_at__isnull=True, created_at__lt=cutoff
    ).values_list("pk", "status"):
        _enqueue(names[status], pk)
        woken.append(pk)
    return woken


FILE_KEEP_DAYS = 30  # a finished import's file, for a second look or a re-check
UNSTARTED_KEEP_DAYS = 7  # an upload never started: the job and its file go


def imports_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Housekeeping (the daily task): delete the stored files of imports finished more than
    FILE_KEEP_DAYS ago (their report, undo and row fixes live in the database) and the
    uploads never started after UNSTARTED_KEEP_DAYS, with their files."""
    now = now or timezone.now()
    files = 0
    finished = ImportJob.objects.filter(
        status__in=[ImportStatus.COMPLETED, ImportStatus.FAILED, ImportStatus.UNDONE],
        finished_at__lt=now - dt.timedelta(days=FILE_KEEP_DAYS),
    ).exclude(stored_name="")
    for job in finished.iterator():
        job_path(job).unlink(missing_ok=True)
        files += 1
    finished.update(stored_name="")
    unstarted = ImportJob.objects.filter(
        status__in=[ImportStatus.NEW, ImportStatus.CHECKED],
        created_at__lt=now - dt.timedelta(days=UNSTARTED_KEEP_DAYS),
    )
    jobs = 0
    for job in unstarted.iterator():
        if job.stored_name:
            job_path(job).unlink(missing_ok=True)
        job.delete()
        jobs += 1
    return {"files": files, "jobs": jobs}


def report_problems(job: ImportJob, *, from_check: bool) -> Any:
    return ImportProblem.objects.filter(job=job, from_check=from_check).order_by("row", "id")


def problem_message(problem: Problem) -> dict[str, str]:
    return messages_of(problem)
