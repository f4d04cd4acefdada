"""API routes of imports (/imports) and bulk jobs (/contacts/bulk-jobs, /accounts/bulk-jobs).

Thin over ``dataio.services`` and ``dataio.bulk``: parse, call, shape. A job is its creator's
and the administrators'; anyone else gets a 404, as if it did not exist. The work itself runs
in a worker: check, start and undo answer 202 with the job, whose ``status`` and counts are
then read at ``GET /imports/{id}``.

Two routers: ``bulk_router`` is mounted before the contacts router, whose ``/contacts/{id}``
would otherwise take ``/contacts/bulk-jobs`` for a contact's id.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Callable
from io import BytesIO
from typing import IO, Annotated, Any, Literal

import pydantic
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.utils import contribute_operation_callback
from pydantic import Field

from sambandh.contacts.models import Account, Contact
from sambandh.core.api import actor_of
from sambandh.core.errors import ValidationError
from sambandh.core.idempotency import IDEMPOTENT_ERRORS, idempotent
from sambandh.core.models import Action, CustomFieldDefinition, ObjectType, User
from sambandh.core.pagination import SortKey, paginate
from sambandh.core.permissions import require
from sambandh.core.schemas import ERRORS, Id, In
from sambandh.dataio import services
from sambandh.dataio.bulk import BULK_MAX, bulk_job_create
from sambandh.dataio.models import ImportJob, ImportProblem, ImportStatus

router = Router(tags=["imports"])
bulk_router = Router()

PROBLEMS_PAGE = 100
BULK_MAX_BODY_BYTES = 64 * 1024 * 1024
PageSize = Annotated[int, Field(ge=1, le=200)]


# ---------------------------------------------------------------- schemas


class TargetOut(Schema):
    name: str = Field(description="What to put in `mapping` (or a bulk record's key).")
    label: str = Field(description="Its name in the request's language.")


class ImportJobOut(Schema):
    id: int
    object_type: str = Field(description="contact or account.")
    status: str = Field(
        description="new, checking, checked, queued, running, completed, failed, undoing or undone."
    )
    status_label: str
    file_name: str
    headers: list[str] = Field(description="The file's column names, in order.")
    mapping: list[str | None] = Field(description="One target (or null: skipped) per column.")
    targets: list[TargetOut] = Field(
        description="Every field a column can go to: ours, then the custom fields (`cf.<key>`)."
    )
    mode: str = Field(description="create, update or upsert.")
    match_on: str = Field(description="How update and upsert find a record.")
    duplicates: str = Field(description="skip or error: what a duplicate row in create mode is.")
    whole_file: bool = Field(description="One bad row writes nothing at all.")
    default_country: str
    day_first: bool
    total_rows: int | None
    processed_count: int
    percent: int
    created_count: int
    updated_count: int
    skipped_count: int
    failed_count: int
    check_summary: dict[str, int] = Field(
        description="What the last check found: rows, created, updated, skipped, failed, "
        "companies (new companies)."
    )
    error: str
    created_by_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None


class ImportJobPageOut(Schema):
    items: list[ImportJobOut]
    next_cursor: str | None


class ProblemOut(Schema):
    row: int | None = Field(
        description="The row as numbered in the file (header: 1); null for the whole file."
    )
    field: str = Field(description="The column's header, or empty for the whole row.")
    code: str
    level: str = Field(description="error (the row was not written) or warning.")
    message: str = Field(description="In the request's language.")


class ProblemPageOut(Schema):
    items: list[ProblemOut]
    next_cursor: str | None


Target = Annotated[str, Field(max_length=200)]


class ImportSettingsIn(In):
    mapping: list[Target | None] | None = Field(
        None, description="One target (or null to skip) per column, in the file's order."
    )
    mode: str | None = Field(None, max_length=20, description="create, update or upsert.")
    match_on: str | None = Field(
        None,
        max_length=40,
        description="email or external_id (contacts); domain, name or external_id (companies).",
    )
    duplicates: str | None = Field(None, max_length=20, description="skip or error.")
    whole_file: bool | None = None
    default_country: str | None = Field(None, max_length=10)
    day_first: bool | None = None
    save_as: str | None = Field(
        None, max_length=100, description="Also save this mapping under this name."
    )


class ImportJsonIn(In):
    """The JSON form of an upload, for clients that do not speak multipart."""

    object_type: Literal["contact", "account"]
    file_name: str = Field("import.csv", max_length=255)
    text: str = Field(description="The file's text (CSV, or vCard for contacts).")


class BulkJobIn(In):
    records: list[dict[str, Any]] = Field(
        description=f"1 to {BULK_MAX:,} records whose keys are import targets (see the "
        "operation's description)."
    )
    mode: str = Field("create", max_length=20, description="create, update or upsert.")
    match_on: str | None = Field(
        None,
        max_length=40,
        description="How update and upsert find a record: email (default) or external_id for "
        "contacts; domain (default), name or external_id for companies.",
    )
    all_or_nothing: bool = Field(
        False, description="One bad record writes nothing at all (default: the valid ones)."
    )


# ---------------------------------------------------------------- shaping


def _labels(object_type: str) -> list[dict[str, str]]:
    model: Any = Contact if object_type == ObjectType.CONTACT else Account
    custom = {
        f"cf.{d.key}": d.label
        for d in CustomFieldDefinition.objects.filter(object_type=object_type)
    }
    out = []
    for target in services.import_targets(object_type):
        label: Any = target.label
        if target.name in custom:
            label = custom[target.name]
        elif target.model_field:
            try:
                label = model._meta.get_field(target.name).verbose_name
            except Exception:  # noqa: BLE001 - a pseudo-field has no model field
                label = target.name
        out.append({"name": target.name, "label": capfirst(str(label))})
    return out


def job_out(job: ImportJob, *, targets: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A job as the API shows it; ``targets`` computed when not given."""
    return {
        "id": job.pk,
        "object_type": job.object_type,
        "status": job.status,
        "status_label": str(ImportStatus(job.status).label),
        "file_name": job.file_name,
        "headers": list(job.headers),
        "mapping": list(job.mapping),
        "targets": targets if targets is not None else _labels(job.object_type),
        "mode": job.mode,
        "match_on": job.match_on,
        "duplicates": job.duplicates,
        "whole_file": job.whole_file,
        "default_country": job.default_country,
        "day_first": job.day_first,
        "total_rows": job.total_rows,
        "processed_count": job.processed_count,
        "percent": job.percent,
        "created_count": job.created_count,
        "updated_count": job.updated_count,
        "skipped_count": job.skipped_count,
        "failed_count": job.failed_count,
        "check_summary": {k: int(v) for k, v in (job.check_summary or {}).items()},
        "error": job.error,
        "created_by_id": job.created_by_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "undone_at": job.undone_at,
    }


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


# ---------------------------------------------------------------- upload


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "object_type": {"type": "string", "enum": ["contact", "account"]},
                },
                "required": ["file", "object_type"],
            }
        },
        "application/json": {"schema": ImportJsonIn.model_json_schema()},
    },
}


def _schema_errors(exc: pydantic.ValidationError) -> NinjaValidationError:
    """A pydantic error of a body we parse ourselves, shaped as ninja's own (same 400)."""
    return NinjaValidationError(
        [{**e, "loc": ("body", "payload", *e["loc"])} for e in exc.errors(include_url=False)]
    )


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, "malformed") from exc


def _upload(request: HttpRequest, actor: User) -> tuple[str, IO[bytes] | Any, str, int | None]:
    """(object_type, file, file name, size) of an upload: multipart ``file`` and
    ``object_type``, or the JSON form. The caller's right to import is checked before the
    file is read."""
    content_type = (request.content_type or "").lower()
    if content_type.startswith("multipart/form-data"):
        try:
            object_type = request.POST.get("object_type", "")
            upload = request.FILES.get("file")
        except MultiPartParserError as exc:
            raise ValidationError({"file": [_("The upload could not be read.")]}) from exc
        if object_type not in services.KINDS:
            raise ValidationError({"object_type": [_("Choose the kind of records to import.")]})
        require(actor, object_type, Action.CREATE)
        if upload is None:
            raise ValidationError({"file": [_("Choose a file.")]})
        return object_type, upload, upload.name or "import", upload.size
    if content_type == "application/json":
        try:
            body = ImportJsonIn.model_validate(_json_body(request))
        except pydantic.ValidationError as exc:
            raise _schema_errors(exc) from exc
        require(actor, body.object_type, Action.CREATE)
        data = body.text.encode("utf-8")
        return body.object_type, BytesIO(data), body.file_name, len(data)
    raise ValidationError({"file": [_("Send the file as multipart/form-data or as JSON.")]})


@router.post(
    "/imports",
    response={201: ImportJobOut, **IDEMPOTENT_ERRORS},
    summary="Upload a file to import",
    description=(
        "Stores the file (CSV, XLSX or vCard, up to 1 GB) as a new import of contacts or "
        "companies and proposes a mapping of its columns (a saved mapping whose columns match, "
        "else suggestions from the headers). Send a multipart `file` with `object_type`, or "
        'JSON `{"object_type": "contact", "file_name": "people.csv", "text": "..."}`. A file '
        "that is not a table is a 400 with the reader's message. Next: `PUT "
        "/imports/{id}/settings`, then `POST /imports/{id}/check` or `/start`."
    ),
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
@idempotent
def imports_create(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    object_type, upload, name, size = _upload(request, actor)
    job = services.import_job_create(
        actor=actor,
        object_type=object_type,
        upload=upload,
        filename=os.path.basename(name.replace("\x00", "")),
        size=size,
    )
    return Status(201, job_out(job))


# ---------------------------------------------------------------- jobs


@router.get(
    "/imports",
    response={200: ImportJobPageOut, **ERRORS},
    summary="List imports",
    description="Your imports (every import, for an administrator), newest first, "
    "keyset-paginated: pass `next_cursor` back as `cursor`.",
)
def imports_list(
    request: HttpRequest, cursor: str | None = None, limit: PageSize = 50
) -> dict[str, Any]:
    actor = actor_of(request)
    page = paginate(
        services.import_jobs(actor=actor),
        sort=SortKey("id", ("id",)),
        descending=True,
        cursor=cursor,
        limit=limit,
    )
    labels: dict[str, list[dict[str, str]]] = {}
    items = []
    for job in page.items:
        if job.object_type not in labels:
            labels[job.object_type] = _labels(job.object_type)
        items.append(job_out(job, targets=labels[job.object_type]))
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/imports/{id}", response={200: ImportJobOut, **ERRORS}, summary="One import")
def imports_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return job_out(services.import_job_get(actor=actor_of(request), pk=id))


@router.put(
    "/imports/{id}/settings",
    response={200: ImportJobOut, **ERRORS},
    summary="Set an import's mapping and choices",
    description="Sets the mapping and the choices of an import that has not started; an "
    "omitted field keeps its value. A change makes an earlier check stale (the status goes "
    "back to `new`). Every problem with the mapping or a choice is a 400 naming its field.",
)
def imports_settings(request: HttpRequest, id: Id, payload: ImportSettingsIn) -> dict[str, Any]:
    actor = actor_of(request)
    job = services.import_job_get(actor=actor, pk=id)
    if payload.save_as and "\x00" in payload.save_as:
        raise ValidationError({"save_as": [_("Enter a valid value.")]})
    job = services.import_job_configure(
        actor=actor,
        job=job,
        mapping=list(payload.mapping) if payload.mapping is not None else list(job.mapping),
        mode=payload.mode if payload.mode is not None else job.mode,
        match_on=payload.match_on if payload.match_on is not None else job.match_on,
        duplicates=payload.duplicates if payload.duplicates is not None else job.duplicates,
        whole_file=payload.whole_file if payload.whole_file is not None else job.whole_file,
        default_country=payload.default_country or job.default_country,
        day_first=payload.day_first if payload.day_first is not None else job.day_first,
        save_as=payload.save_as or "",
    )
    return job_out(job)


def _queued(
    request: HttpRequest, id: int, action: Callable[..., ImportJob]
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    job = services.import_job_get(actor=actor, pk=id)
    return Status(202, job_out(action(actor=actor, job=job)))


@router.post(
    "/imports/{id}/check",
    response={202: ImportJobOut, **ERRORS},
    summary="Check an import without writing",
    description="Queues a dry run: every row is read, checked and matched, nothing is "
    "written. The job's `check_summary` then says what the import would do, and "
    "`GET /imports/{id}/problems?run=check` lists each row's problems.",
)
def imports_check(request: HttpRequest, id: Id) -> Status[dict[str, Any]]:
    return _queued(request, id, services.import_job_check)


@router.post(
    "/imports/{id}/start",
    response={202: ImportJobOut, **ERRORS},
    summary="Start an import",
    description="Queues the import. Every valid row is written and every invalid one "
    "reported (`GET /imports/{id}/problems`); with `whole_file` one bad row writes nothing. "
    "Blank cells never clear a value.",
)
def imports_start(request: HttpRequest, id: Id) -> Status[dict[str, Any]]:
    return _queued(request, id, services.import_job_start)


@router.post(
    "/imports/{id}/undo",
    response={202: ImportJobOut, **ERRORS},
    summary="Undo an import",
    description="Queues the undo of a finished import: the records it created are deleted "
    "and those it updated get back the values it replaced.",
)
def imports_undo(request: HttpRequest, id: Id) -> Status[dict[str, Any]]:
    return _queued(request, id, services.import_job_undo)


@router.get(
    "/imports/{id}/problems",
    response={200: ProblemPageOut, **ERRORS},
    summary="An import's problems",
    description=f"The problems a run found, {PROBLEMS_PAGE} per page in the order found: "
    "`run=import` (default) for the import, `run=check` for the last check. Pass "
    "`next_cursor` back as `cursor`.",
)
def imports_problems(
    request: HttpRequest,
    id: Id,
    run: Literal["import", "check"] = "import",
    cursor: str | None = None,
) -> dict[str, Any]:
    job = services.import_job_get(actor=actor_of(request), pk=id)
    page = paginate(
        ImportProblem.objects.filter(job=job, from_check=run == "check").only(
            "id", "row", "field", "code", "level", "messages"
        ),
        sort=SortKey("id", ("id",)),
        descending=False,
        cursor=cursor,
        limit=PROBLEMS_PAGE,
    )
    language = _language()
    items = [
        {
            "row": p.row,
            "field": p.field,
            "code": p.code,
            "level": p.level,
            "message": p.message(language),
        }
        for p in page.items
    ]
    return {"items": items, "next_cursor": page.next_cursor}


# ---------------------------------------------------------------- bulk jobs


def _large_body(max_bytes: int) -> Callable[[Any], Any]:
    """Let an endpoint take a body up to ``max_bytes`` (Django refuses more than
    DATA_UPLOAD_MAX_MEMORY_SIZE on first read). The body is read once the caller has been
    authenticated. Goes above ``@idempotent``: its wrapper must be the outer one, so that the
    body is in memory before the idempotency key's hash reads it."""

    def read_first(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def reading(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_bytes:
                raise RequestDataTooBig()
            if length > (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) and not hasattr(
                request, "_body"
            ):
                # What HttpRequest.body does, without its global limit.
                request._body = request.read()  # type: ignore[attr-defined]
                request._stream = BytesIO(request._body)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return reading

    def prepare(operation: Any) -> None:
        operation.view_func = read_first(operation.view_func)

    def decorator(view: Any) -> Any:
        contribute_operation_callback(view, prepare)
        return view

    return decorator


_BULK_BODY = {
    "required": True,
    "content": {"application/json": {"schema": BulkJobIn.model_json_schema()}},
}

BULK_NOTE = (
    f" Up to {BULK_MAX:,} records (a body of up to {BULK_MAX_BODY_BYTES // (1024 * 1024)} MB) "
    "are loaded asynchronously as an import: the answer is 202 with the job and `Location: "
    "/api/v1/imports/{id}`, where its status, counts and problems are then read (record `i`, "
    "0-based, is row `i + 2` in the problems) and from where it can be undone. Each record's "
    "keys are import targets (the `targets` of the job; custom fields as `cf.<key>`); a value "
    "is text, a number, true/false or null (left as it is); `tags`, `other_emails`, "
    "`other_phones` and `note` also take a list. Unknown keys are a 400 naming them. With "
    "`all_or_nothing` one bad record writes nothing."
)


def _bulk(request: HttpRequest, response: HttpResponse, object_type: str) -> Status[Any]:
    actor = actor_of(request)
    try:
        payload = BulkJobIn.model_validate(_json_body(request))
    except pydantic.ValidationError as exc:
        raise _schema_errors(exc) from exc
    job = bulk_job_create(
        actor=actor,
        object_type=object_type,
        records=payload.records,
        mode=payload.mode,
        match_on=payload.match_on,
        whole_file=payload.all_or_nothing,
    )
    response["Location"] = f"/api/v1/imports/{job.pk}"
    return Status(202, job_out(job))


@bulk_router.post(
    "/contacts/bulk-jobs",
    response={202: ImportJobOut, **IDEMPOTENT_ERRORS},
    tags=["contacts"],
    summary="Load many contacts asynchronously",
    description="Creates, updates (`match_on`: email or external_id) or upserts contacts; "
    "`owner` is a user's email or username, `account_name`/`account_domain` find or create "
    "the company." + BULK_NOTE,
    openapi_extra={"requestBody": _BULK_BODY},
)
@_large_body(BULK_MAX_BODY_BYTES)
@idempotent
def contacts_bulk_job(request: HttpRequest, response: HttpResponse) -> Status[Any]:
    return _bulk(request, response, ObjectType.CONTACT)


@bulk_router.post(
    "/accounts/bulk-jobs",
    response={202: ImportJobOut, **IDEMPOTENT_ERRORS},
    tags=["accounts"],
    summary="Load many companies asynchronously",
    description="Creates, updates (`match_on`: domain, name or external_id) or upserts "
    "companies; `parent` is the parent company's name." + BULK_NOTE,
    openapi_extra={"requestBody": _BULK_BODY},
)
@_large_body(BULK_MAX_BODY_BYTES)
@idempotent
def accounts_bulk_job(request: HttpRequest, response: HttpResponse) -> Status[Any]:
    return _bulk(request, response, ObjectType.ACCOUNT)
