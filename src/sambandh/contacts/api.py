"""API routes for companies (/accounts), contacts, notes, tags, search and record history.

Thin: parse, call a selector or a service, shape the response. Lists read their filters from
the query string as given (``city=Pune``, ``created_at__gte=2024-01-01``, ``cf.tier=gold``);
the selectors reject unknown ones with a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.utils.translation import gettext as _
from ninja import Router, Status
from pydantic import Field

from sambandh.contacts import selectors, services, shaping
from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.contacts.schemas import (
    AccountCreateIn,
    AccountIn,
    AccountOut,
    AccountPageOut,
    AccountPatchIn,
    BatchIn,
    BatchOut,
    ContactIn,
    ContactOut,
    ContactPageOut,
    ContactPatchIn,
    DuplicateOut,
    HistoryPageOut,
    NoteIn,
    NoteOut,
    NotePageOut,
    NotePatchIn,
    SearchHitOut,
    TagIn,
    TagOut,
    TagPatchIn,
)
from sambandh.contacts.services import batch
from sambandh.core.api import actor_of, body_of, json_response
from sambandh.core.custom_fields import readable_keys
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.exporting import FORMATS
from sambandh.core.filtering import RANGE_TYPES
from sambandh.core.idempotency import IDEMPOTENT_ERRORS, idempotent
from sambandh.core.models import Action, AuditEntry, ObjectType, User
from sambandh.core.schemas import ERRORS, Id, In
from sambandh.dataio.exports.answers import api_answer
from sambandh.dataio.exports.kinds import Selection
from sambandh.dataio.exports.schemas import QUEUED_NOTE, ExportJobOut, export_responses
from sambandh.dataio.exports.services import export_begin
from sambandh.dedup.likely import likely_records
from sambandh.dedup.merge import merge_records, visible_survivor

router = Router()

RESERVED = ("limit", "cursor", "sort", "q", "tag")
MAX_QUERY_VALUE = 1000
PageSize = Annotated[int, Field(ge=1, le=200)]


# ---------------------------------------------------------------- list parameters


def _list_parameters(
    model: type[models.Model], filters: Mapping[str, str], sorts: Mapping[str, Any], label: str
) -> list[dict[str, Any]]:
    """OpenAPI parameters of a list: paging, sorting, search, and every declared filter."""
    sort_values = [v for name in sorts for v in (name, f"-{name}")]
    params: list[dict[str, Any]] = [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size (default 50, at most 200).",
            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "The `next_cursor` of the previous page.",
            "schema": {"type": "string"},
        },
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "Sort key; a leading `-` sorts descending. Default `name`.",
            "schema": {"type": "string", "enum": sort_values},
        },
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": f"Full-text search over {label} (every word must match).",
            "schema": {"type": "string"},
        },
        {
            "name": "tag",
            "in": "query",
            "required": False,
            "description": "Only records with this tag (by name, any case).",
            "schema": {"type": "string"},
        },
    ]
    for name, path in filters.items():
        field = model._meta.get_field(path.split("__")[0])
        ops = ["", "__in"]
        if isinstance(field, RANGE_TYPES):
            ops += ["__gte", "__lte"]
        for op in ops:
            description = {
                "": f"Only {label} whose `{name}` equals this.",
                "__in": f"Only {label} whose `{name}` is one of these (comma-separated).",
                "__gte": f"Only {label} whose `{name}` is at least this.",
                "__lte": f"Only {label} whose `{name}` is at most this.",
            }[op]
            params.append(
                {
                    "name": f"{name}{op}",
                    "in": "query",
                    "required": False,
                    "description": description,
                    "schema": {"type": "string"},
                }
            )
    return params


CF_NOTE = (
    " Custom fields filter as `cf.<key>=<value>` (e.g. `cf.tier=gold`); those parameters are "
    "accepted too, though OpenAPI cannot list them. An unknown filter is a 400."
)


def _query(
    request: HttpRequest, reserved_names: tuple[str, ...] = RESERVED
) -> tuple[dict[str, str], dict[str, Any]]:
    """Split the query string into filters and the reserved paging/sorting/search values."""
    errors: dict[str, list[str]] = {}
    filters: dict[str, str] = {}
    reserved: dict[str, Any] = {}
    for key in request.GET:
        value = request.GET.get(key, "")
        # NUL cannot be stored or compared in PostgreSQL text; say so instead of failing.
        if "\x00" in value or "\x00" in key or len(value) > MAX_QUERY_VALUE:
            errors[key] = [_("Enter a valid value.")]
            continue
        if key in reserved_names:
            reserved[key] = value
        else:
            filters[key] = value
    raw_limit = reserved.get("limit")
    if raw_limit not in (None, ""):
        try:
            reserved["limit"] = int(raw_limit)
        except ValueError:
            errors["limit"] = [_("Enter a whole number.")]
    else:
        reserved["limit"] = None
    if errors:
        raise ValidationError(errors)
    return filters, reserved


# ---------------------------------------------------------------- shaping


def _readable_for(actor: User, object_type: str, rows: list[dict[str, Any]]) -> set[str]:
    """The custom keys the actor may read, looked up only when some row has custom values."""
    return readable_keys(actor, object_type) if any(row["custom"] for row in rows) else set()


def _row_of(obj: Contact | Account, fields: tuple[str, ...]) -> dict[str, Any]:
    row = {name: getattr(obj, name) for name in fields}
    row["tag_names"] = [t.name for t in obj.tags.all()]
    return row


def contact_out(actor: User, c: Contact) -> dict[str, Any]:
    """A contact as the API shows it to ``actor``."""
    row = _row_of(c, selectors.CONTACT_ROW_FIELDS)
    row["lifecycle_stage_key"] = c.lifecycle_stage.key if c.lifecycle_stage is not None else None
    return shaping.contact_row_out(row, readable_keys(actor, ObjectType.CONTACT))


def account_out(actor: User, a: Account) -> dict[str, Any]:
    """A company as the API shows it to ``actor``."""
    row = _row_of(a, selectors.ACCOUNT_ROW_FIELDS)
    return shaping.account_row_out(row, readable_keys(actor, ObjectType.ACCOUNT))


def note_out(n: Note) -> dict[str, Any]:
    return {
        "id": n.pk,
        "version": n.version,
        "body": n.body,
        "contact_id": n.contact_id,
        "account_id": n.account_id,
        "created_by_id": n.created_by_id,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
    }


def tag_out(t: Tag) -> dict[str, Any]:
    return {"id": t.pk, "name": t.name, "color": t.color, "created_at": t.created_at}


def _only_readable(change: Any, readable: set[str]) -> Any:
    """A whole-``custom`` change ``[before, after]`` (older entries), only the readable keys."""
    if not isinstance(change, list):
        return change
    return [
        {k: v for k, v in side.items() if k in readable} if isinstance(side, dict) else side
        for side in change
    ]


def _history(
    actor: User, object_type: str, obj: Contact | Account, cursor: str | None, limit: int
) -> dict[str, Any]:
    page = selectors.record_history(
        actor=actor, object_type=object_type, obj=obj, cursor=cursor, limit=limit
    )
    # The audit trail keeps sensitive custom values; show a custom value only to who may read
    # its field now (an allow-list: a retired or deleted sensitive field stays hidden).
    readable = readable_keys(actor, object_type)

    def shown(key: str) -> bool:
        return not key.startswith("cf.") or key[3:] in readable

    def entry(e: AuditEntry) -> dict[str, Any]:
        changes = e.changes if isinstance(e.changes, dict) else {}
        return {
            "seq": e.seq,
            "at": e.at,
            "actor_id": e.actor_id,
            "actor": str(e.actor) if e.actor else e.actor_label,
            "action": e.action,
            "changes": {
                k: _only_readable(v, readable) if k == "custom" else v
                for k, v in changes.items()
                if shown(k)
            },
        }

    return {"items": [entry(e) for e in page.items], "next_cursor": page.next_cursor}


# ---------------------------------------------------------------- contacts


@router.get(
    "/contacts",
    response={200: ContactPageOut, **ERRORS},
    tags=["contacts"],
    summary="List contacts",
    description="One page of the contacts you may see, keyset-paginated." + CF_NOTE,
    openapi_extra={
        "parameters": _list_parameters(
            Contact, selectors.CONTACT_FILTERS, selectors.CONTACT_SORTS, "contacts"
        )
    },
)
def contacts_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, r = _query(request)
    page = selectors.contact_rows(
        actor=actor,
        filters=filters,
        q=r.get("q"),
        tag=r.get("tag"),
        sort=r.get("sort") or None,
        cursor=r.get("cursor") or None,
        limit=r["limit"],
        make=shaping.contact_maker,
    )
    readable = _readable_for(actor, ObjectType.CONTACT, page.items)
    items = [shaping.contact_finish(item, readable) for item in page.items]
    return json_response(request, {"items": items, "next_cursor": page.next_cursor})


EXPORT_RESERVED = ("sort", "q", "tag", "format")


def _export_parameters(
    model: type[models.Model], filters: Mapping[str, str], sorts: Mapping[str, Any], label: str
) -> list[dict[str, Any]]:
    """A list's parameters without paging, plus the file format."""
    params = [
        p
        for p in _list_parameters(model, filters, sorts, label)
        if p["name"] not in ("limit", "cursor")
    ]
    formats = list(FORMATS if model is Contact else [f for f in FORMATS if f != "vcf"])
    params.insert(
        0,
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "File format (default `csv`).",
            "schema": {"type": "string", "enum": formats},
        },
    )
    return params


def _export_responses(formats: tuple[str, ...]) -> dict[str, Any]:
    return export_responses(formats)


def _export(request: HttpRequest, object_type: str) -> HttpResponse:
    filters, r = _query(request, EXPORT_RESERVED)
    selection = Selection(
        filters=filters, q=r.get("q"), tag=r.get("tag"), sort=r.get("sort") or None
    )
    outcome = export_begin(
        actor=actor_of(request),
        object_type=object_type,
        fmt=r.get("format") or "csv",
        selection=selection,
    )
    # The file, or a large selection's queued job (202 with its Location).
    response: HttpResponse = api_answer(request, outcome)  # type: ignore[assignment]
    return response


@router.get(
    "/contacts/export",
    response={202: ExportJobOut, **ERRORS},
    tags=["contacts"],
    summary="Export contacts",
    description="Every contact of the selection you may export, as CSV, XLSX, JSON or vCard."
    + QUEUED_NOTE
    + CF_NOTE,
    openapi_extra={
        "parameters": _export_parameters(
            Contact, selectors.CONTACT_FILTERS, selectors.CONTACT_SORTS, "contacts"
        ),
        "responses": _export_responses(FORMATS),
    },
)
def contacts_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ObjectType.CONTACT)


def _duplicates(request: HttpRequest, object_type: str, payload: Any) -> list[dict[str, Any]]:
    found = likely_records(actor_of(request), object_type, payload.model_dump(exclude_none=True))
    return [
        {
            "id": record.pk,
            "title": str(record),
            "score": match.score,
            "reasons": list(match.reasons),
        }
        for record, match in found
    ]


@router.post(
    "/contacts/duplicates",
    response={200: list[DuplicateOut], **ERRORS},
    tags=["contacts"],
    summary="Likely duplicates of a contact",
    description="The contacts you may see that the given one (as it would be created) probably "
    "duplicates, best first: the same email or phone, or an alike name in the same company or "
    "city. Writes nothing; ask before creating.",
)
def contacts_duplicates(request: HttpRequest, payload: ContactIn) -> list[dict[str, Any]]:
    return _duplicates(request, ObjectType.CONTACT, payload)


@router.post(
    "/accounts/duplicates",
    response={200: list[DuplicateOut], **ERRORS},
    tags=["accounts"],
    summary="Likely duplicates of a company",
    description="The companies you may see that the given one probably duplicates, best first: "
    "the same domain or phone, or an alike name. Writes nothing; ask before creating.",
)
def accounts_duplicates(request: HttpRequest, payload: AccountIn) -> list[dict[str, Any]]:
    return _duplicates(request, ObjectType.ACCOUNT, payload)


def _batch(request: HttpRequest, object_type: str, payload: BatchIn) -> dict[str, Any]:
    result = batch.records_batch(
        actor=actor_of(request),
        object_type=object_type,
        records=payload.records,
        mode=payload.mode,
        match_on=payload.match_on,
        all_or_nothing=payload.all_or_nothing,
    )
    return {
        "applied": result.applied,
        "created": result.count("created"),
        "updated": result.count("updated"),
        "failed": result.count("failed"),
        "results": [vars(r) for r in result.results],
    }


BATCH_NOTE = (
    " Each record goes through the same checks as a single write and gets its own result "
    "(index, status, id or the error's code, message and fields). By default the valid records "
    "are written and the invalid ones reported; with `all_or_nothing` one failure writes nothing."
)


@router.post(
    "/contacts/batch",
    response={200: BatchOut, **IDEMPOTENT_ERRORS},
    tags=["contacts"],
    summary="Create, update or upsert up to 1,000 contacts",
    description="Upsert finds a contact by `id` or by `email` (`match_on`)." + BATCH_NOTE,
)
@idempotent
def contacts_batch(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    return _batch(request, ObjectType.CONTACT, payload)


@router.post(
    "/accounts/batch",
    response={200: BatchOut, **IDEMPOTENT_ERRORS},
    tags=["accounts"],
    summary="Create, update or upsert up to 1,000 companies",
    description="Upsert finds a company by `id` or by `domain` (`match_on`)." + BATCH_NOTE,
)
@idempotent
def accounts_batch(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    return _batch(request, ObjectType.ACCOUNT, payload)


class MergeIn(In):
    survivor_id: Id = Field(description="The record that stays.")
    loser_ids: list[Id] = Field(
        description="1 to 9 records merged into it and then deleted.", min_length=1, max_length=9
    )
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Field values chosen for the survivor, as in PATCH (without `version`).",
    )


MERGE_NOTE = (
    " Needs the right to change the survivor and to delete each merged record. Notes, "
    "activities, deals, orders, tags and every other related record move to the survivor; the "
    "merged records are deleted and their old ids answer `GET` with a 308 redirect to the "
    "survivor. Answers the survivor as `GET` shows it."
)


MERGED_NOTE = (
    "The id of a record merged into another (`POST .../merge`) answers 308 Permanent Redirect "
    "to the survivor's URL when you may read the survivor, else 404."
)


def _merge(request: HttpRequest, object_type: str, payload: MergeIn) -> dict[str, Any]:
    actor = actor_of(request)
    survivor = merge_records(
        actor=actor,
        object_type=object_type,
        survivor_id=payload.survivor_id,
        loser_ids=payload.loser_ids,
        values=payload.values,
    )
    if object_type == ObjectType.CONTACT:
        return contact_out(actor, selectors.contact_detail(actor=actor, pk=survivor.pk))
    return account_out(actor, selectors.account_detail(actor=actor, pk=survivor.pk))


@router.post(
    "/contacts/merge",
    response={200: ContactOut, **ERRORS},
    tags=["contacts"],
    summary="Merge duplicate contacts into one",
    description="Merges contacts `loser_ids` into `survivor_id`." + MERGE_NOTE,
)
def contacts_merge(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    return _merge(request, ObjectType.CONTACT, payload)


@router.post(
    "/accounts/merge",
    response={200: AccountOut, **ERRORS},
    tags=["accounts"],
    summary="Merge duplicate companies into one",
    description="Merges companies `loser_ids` into `survivor_id`." + MERGE_NOTE,
)
def accounts_merge(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    return _merge(request, ObjectType.ACCOUNT, payload)


def _merged_redirect(request: HttpRequest, object_type: str, pk: int) -> HttpResponse | None:
    """A 308 to the survivor when ``pk`` was merged into a record the actor may read."""
    survivor = visible_survivor(actor_of(request), object_type, pk)
    if survivor is None:
        return None
    prefix = "contacts" if object_type == ObjectType.CONTACT else "accounts"
    return HttpResponsePermanentRedirect(
        request.path.replace(f"/{prefix}/{pk}", f"/{prefix}/{survivor}", 1), status=308
    )


@router.post(
    "/contacts",
    response={201: ContactOut, **IDEMPOTENT_ERRORS},
    tags=["contacts"],
    summary="Create a contact",
)
@idempotent
def contacts_create(request: HttpRequest, payload: ContactIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    contact = services.contact_create(actor=actor, data=body_of(payload))
    return Status(201, contact_out(actor, selectors.contact_detail(actor=actor, pk=contact.pk)))


@router.get(
    "/contacts/{id}",
    response={200: ContactOut, **ERRORS},
    tags=["contacts"],
    summary="One contact",
    description=MERGED_NOTE,
)
def contacts_get(request: HttpRequest, id: Id) -> dict[str, Any] | HttpResponse:
    actor = actor_of(request)
    try:
        return contact_out(actor, selectors.contact_detail(actor=actor, pk=id))
    except NotFound:
        moved = _merged_redirect(request, ObjectType.CONTACT, id)
        if moved is None:
            raise
        return moved


@router.patch(
    "/contacts/{id}",
    response={200: ContactOut, **ERRORS},
    tags=["contacts"],
    summary="Change a contact",
)
def contacts_patch(request: HttpRequest, id: Id, payload: ContactPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    contact = selectors.contact_get(actor=actor, pk=id)
    services.contact_update(
        actor=actor, contact=contact, data=body_of(payload), version=payload.version
    )
    return contact_out(actor, selectors.contact_detail(actor=actor, pk=id))


@router.delete(
    "/contacts/{id}", response={204: None, **ERRORS}, tags=["contacts"], summary="Delete a contact"
)
def contacts_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.contact_delete(actor=actor, contact=selectors.contact_get(actor=actor, pk=id))
    return Status(204, None)


@router.get(
    "/contacts/{id}/history",
    response={200: HistoryPageOut, **ERRORS},
    tags=["contacts"],
    summary="A contact's change history",
)
def contacts_history(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: PageSize = 20
) -> dict[str, Any]:
    actor = actor_of(request)
    contact = selectors.contact_get(actor=actor, pk=id)
    return _history(actor, ObjectType.CONTACT, contact, cursor, limit)


@router.get(
    "/contacts/{id}/notes",
    response={200: NotePageOut, **ERRORS},
    tags=["notes"],
    summary="Notes on a contact",
)
def contact_notes_list(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: PageSize = 50
) -> dict[str, Any]:
    actor = actor_of(request)
    contact = selectors.contact_get(actor=actor, pk=id)
    page = selectors.note_list(actor=actor, contact=contact, cursor=cursor, limit=limit)
    return {"items": [note_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/contacts/{id}/notes",
    response={201: NoteOut, **ERRORS},
    tags=["notes"],
    summary="Add a note to a contact",
)
def contact_notes_create(request: HttpRequest, id: Id, payload: NoteIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    contact = selectors.contact_get(actor=actor, pk=id)
    note = services.note_create(actor=actor, body=payload.body, contact=contact)
    return Status(201, note_out(note))


# ---------------------------------------------------------------- accounts


@router.get(
    "/accounts",
    response={200: AccountPageOut, **ERRORS},
    tags=["accounts"],
    summary="List companies",
    description="One page of the companies you may see, keyset-paginated." + CF_NOTE,
    openapi_extra={
        "parameters": _list_parameters(
            Account, selectors.ACCOUNT_FILTERS, selectors.ACCOUNT_SORTS, "companies"
        )
    },
)
def accounts_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, r = _query(request)
    page = selectors.account_rows(
        actor=actor,
        filters=filters,
        q=r.get("q"),
        tag=r.get("tag"),
        sort=r.get("sort") or None,
        cursor=r.get("cursor") or None,
        limit=r["limit"],
        make=shaping.account_maker,
    )
    readable = _readable_for(actor, ObjectType.ACCOUNT, page.items)
    items = [shaping.account_finish(item, readable) for item in page.items]
    return json_response(request, {"items": items, "next_cursor": page.next_cursor})


@router.get(
    "/accounts/export",
    response={202: ExportJobOut, **ERRORS},
    tags=["accounts"],
    summary="Export companies",
    description="Every company of the selection you may export, as CSV, XLSX or JSON."
    + QUEUED_NOTE
    + CF_NOTE,
    openapi_extra={
        "parameters": _export_parameters(
            Account, selectors.ACCOUNT_FILTERS, selectors.ACCOUNT_SORTS, "companies"
        ),
        "responses": _export_responses(tuple(f for f in FORMATS if f != "vcf")),
    },
)
def accounts_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ObjectType.ACCOUNT)


@router.post(
    "/accounts",
    response={201: AccountOut, **IDEMPOTENT_ERRORS},
    tags=["accounts"],
    summary="Create a company",
)
@idempotent
def accounts_create(request: HttpRequest, payload: AccountCreateIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    account = services.account_create(actor=actor, data=body_of(payload))
    return Status(201, account_out(actor, selectors.account_detail(actor=actor, pk=account.pk)))


@router.get(
    "/accounts/{id}",
    response={200: AccountOut, **ERRORS},
    tags=["accounts"],
    summary="One company",
    description=MERGED_NOTE,
)
def accounts_get(request: HttpRequest, id: Id) -> dict[str, Any] | HttpResponse:
    actor = actor_of(request)
    try:
        return account_out(actor, selectors.account_detail(actor=actor, pk=id))
    except NotFound:
        moved = _merged_redirect(request, ObjectType.ACCOUNT, id)
        if moved is None:
            raise
        return moved


@router.patch(
    "/accounts/{id}",
    response={200: AccountOut, **ERRORS},
    tags=["accounts"],
    summary="Change a company",
)
def accounts_patch(request: HttpRequest, id: Id, payload: AccountPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    account = selectors.account_get(actor=actor, pk=id)
    services.account_update(
        actor=actor, account=account, data=body_of(payload), version=payload.version
    )
    return account_out(actor, selectors.account_detail(actor=actor, pk=id))


@router.delete(
    "/accounts/{id}", response={204: None, **ERRORS}, tags=["accounts"], summary="Delete a company"
)
def accounts_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.account_delete(actor=actor, account=selectors.account_get(actor=actor, pk=id))
    return Status(204, None)


@router.get(
    "/accounts/{id}/history",
    response={200: HistoryPageOut, **ERRORS},
    tags=["accounts"],
    summary="A company's change history",
)
def accounts_history(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: PageSize = 20
) -> dict[str, Any]:
    actor = actor_of(request)
    account = selectors.account_get(actor=actor, pk=id)
    return _history(actor, ObjectType.ACCOUNT, account, cursor, limit)


@router.get(
    "/accounts/{id}/notes",
    response={200: NotePageOut, **ERRORS},
    tags=["notes"],
    summary="Notes on a company",
)
def account_notes_list(
    request: HttpRequest, id: Id, cursor: str | None = None, limit: PageSize = 50
) -> dict[str, Any]:
    actor = actor_of(request)
    account = selectors.account_get(actor=actor, pk=id)
    page = selectors.note_list(actor=actor, account=account, cursor=cursor, limit=limit)
    return {"items": [note_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/accounts/{id}/notes",
    response={201: NoteOut, **ERRORS},
    tags=["notes"],
    summary="Add a note to a company",
)
def account_notes_create(request: HttpRequest, id: Id, payload: NoteIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    account = selectors.account_get(actor=actor, pk=id)
    note = services.note_create(actor=actor, body=payload.body, account=account)
    return Status(201, note_out(note))


# ---------------------------------------------------------------- notes


@router.get("/notes/{id}", response={200: NoteOut, **ERRORS}, tags=["notes"], summary="One note")
def notes_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return note_out(selectors.note_get(actor=actor_of(request), pk=id))


@router.patch(
    "/notes/{id}", response={200: NoteOut, **ERRORS}, tags=["notes"], summary="Change a note"
)
def notes_patch(request: HttpRequest, id: Id, payload: NotePatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    note = selectors.note_get(actor=actor, pk=id)
    note = services.note_update(actor=actor, note=note, body=payload.body, version=payload.version)
    return note_out(note)


@router.delete(
    "/notes/{id}", response={204: None, **ERRORS}, tags=["notes"], summary="Delete a note"
)
def notes_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.note_delete(actor=actor, note=selectors.note_get(actor=actor, pk=id))
    return Status(204, None)


# ---------------------------------------------------------------- tags


@router.get("/tags", response={200: list[TagOut], **ERRORS}, tags=["tags"], summary="List tags")
def tags_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [tag_out(t) for t in selectors.tag_list(actor=actor_of(request))]


@router.post("/tags", response={201: TagOut, **ERRORS}, tags=["tags"], summary="Create a tag")
def tags_create(request: HttpRequest, payload: TagIn) -> Status[dict[str, Any]]:
    tag = services.tag_create(actor=actor_of(request), name=payload.name, color=payload.color)
    return Status(201, tag_out(tag))


@router.get("/tags/{id}", response={200: TagOut, **ERRORS}, tags=["tags"], summary="One tag")
def tags_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return tag_out(selectors.tag_get(actor=actor_of(request), pk=id))


@router.patch(
    "/tags/{id}",
    response={200: TagOut, **ERRORS},
    tags=["tags"],
    summary="Rename or recolour a tag (tags carry no version)",
)
def tags_patch(request: HttpRequest, id: Id, payload: TagPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    tag = selectors.tag_get(actor=actor, pk=id)
    tag = services.tag_update(actor=actor, tag=tag, name=payload.name, color=payload.color)
    return tag_out(tag)


@router.delete("/tags/{id}", response={204: None, **ERRORS}, tags=["tags"], summary="Delete a tag")
def tags_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.tag_delete(actor=actor, tag=selectors.tag_get(actor=actor, pk=id, action=Action.READ))
    return Status(204, None)


# ---------------------------------------------------------------- search


@router.get(
    "/search",
    response={200: list[SearchHitOut], **ERRORS},
    tags=["search"],
    summary="Search contacts and companies",
)
def search(
    request: HttpRequest, q: Annotated[str, Field(max_length=MAX_QUERY_VALUE)]
) -> list[dict[str, Any]]:
    if "\x00" in q:
        raise ValidationError({"q": [_("Enter a valid value.")]})
    hits = selectors.global_search(actor=actor_of(request), q=q)
    return [
        {"object_type": h.object_type, "id": h.id, "title": h.title, "subtitle": h.subtitle}
        for h in hits
    ]
