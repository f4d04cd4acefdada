"""Every read of companies, contacts, notes and tags, scoped by the actor's grants."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.filtering import apply_filters, parse_value
from sambandh.core.models import Action, AuditEntry, ObjectType, User
from sambandh.core.pagination import (
    MakerFactory,
    Page,
    SortKey,
    after_cursor,
    cursor_params,
    ordering,
    page_of,
    paginate,
)
from sambandh.core.permissions import get_visible, scope_of, scope_q_of, visible, visible_in
from sambandh.core.prepared import PreparedValues
from sambandh.core.search import matching_ids, matching_ids_sql

M = TypeVar("M", bound=models.Model)

CONTACT_SORTS = {
    "name": SortKey("name", ("last_name", "first_name", "id")),
    "first_name": SortKey("first_name", ("first_name", "id")),
    "email": SortKey("email", ("email", "id")),
    "city": SortKey("city", ("city", "id")),
    "created_at": SortKey("created_at", ("created_at", "id")),
    "updated_at": SortKey("updated_at", ("updated_at", "id")),
    "id": SortKey("id", ("id",)),
}
ACCOUNT_SORTS = {
    "name": SortKey("name", ("name", "id")),
    "created_at": SortKey("created_at", ("created_at", "id")),
    "updated_at": SortKey("updated_at", ("updated_at", "id")),
    "id": SortKey("id", ("id",)),
}
# Public filter name -> model field path. Every one has an index (see models.py).
CONTACT_FILTERS = {
    "owner_id": "owner",
    "team_id": "team",
    "account_id": "account",
    "email": "email",
    "phone": "phone",
    "country": "country",
    "city": "city",
    "lifecycle_stage": "lifecycle_stage__key",
    "source": "source",
    "preferred_language": "preferred_language",
    "do_not_contact": "do_not_contact",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "first_name": "first_name",
    "last_name": "last_name",
    "time_zone": "time_zone",
    "birthday": "birthday",
    "id": "id",
}
ACCOUNT_FILTERS = {
    "owner_id": "owner",
    "team_id": "team",
    "parent_id": "parent",
    "name": "name",
    "domain": "domain",
    "industry": "industry",
    "type": "type",
    "size_band": "size_band",
    "country": "country",
    "city": "city",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "annual_revenue": "annual_revenue",
    "id": "id",
}


def _sort(sorts: Mapping[str, SortKey], sort: str | None, default: str) -> tuple[SortKey, bool]:
    raw = sort or default
    descending = raw.startswith("-")
    key = sorts.get(raw.lstrip("-"))
    if key is None:
        raise ValidationError(
            {"sort": [_("Sort by one of: %(names)s.") % {"names": ", ".join(sorts)}]}
        )
    return key, descending


def _limit(limit: int | None) -> int:
    max_limit: int = settings.SAMBANDH_API_PAGE_MAX
    if limit is None:
        return 50
    if limit < 1 or limit > max_limit:
        raise ValidationError({"limit": [_("Enter a number from 1 to %(n)d.") % {"n": max_limit}]})
    return limit


def _tagged(queryset: models.QuerySet[Any], tag: str | None) -> models.QuerySet[Any]:
    if not tag:
        return queryset
    through = queryset.model.tags.through
    column = f"{queryset.model._meta.model_name}_id"
    return queryset.filter(pk__in=through.objects.filter(tag__name__iexact=tag).values(column))


def _searched(
    queryset: models.QuerySet[Any], object_type: str, q: str | None
) -> models.QuerySet[Any]:
    if not q:
        return queryset
    found = matching_ids_sql(object_type, q)
    if found is None:
        return queryset
    sql, params = found
    return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611


def contact_queryset(actor: User, action: str = Action.READ) -> models.QuerySet[Contact]:
    return visible(actor, Contact, action).select_related(
        "account", "owner", "lifecycle_stage", "team"
    )


def _record_query(
    qs: models.QuerySet[Any],
    *,
    actor: User,
    sorts: Mapping[str, SortKey],
    filter_fields: Mapping[str, str],
    filters: Mapping[str, str] | None,
    q: str | None,
    tag: str | None,
    sort: str | None,
) -> tuple[models.QuerySet[Any], SortKey, bool]:
    object_type: str = qs.model.permission_type
    key, descending = _sort(sorts, sort, "name")
    qs = apply_filters(
        qs, actor=actor, object_type=object_type, filters=filters or {}, fields=filter_fields
    )
    return _searched(_tagged(qs, tag), object_type, q), key, descending


def _record_list(
    qs: models.QuerySet[Any],
    *,
    actor: User,
    sorts: Mapping[str, SortKey],
    filter_fields: Mapping[str, str],
    filters: Mapping[str, str] | None,
    q: str | None,
    tag: str | None,
    sort: str | None,
    cursor: str | None,
    limit: int | None,
) -> Page[Any]:
    qs, key, descending = _record_query(
        qs,
        actor=actor,
        sorts=sorts,
        filter_fields=filter_fields,
        filters=filters,
        q=q,
        tag=tag,
        sort=sort,
    )
    return paginate(
        qs.prefetch_related("tags"),
        sort=key,
        descending=descending,
        cursor=cursor,
        limit=_limit(limit),
    )


def _tag_names(model: type[models.Model]) -> RawSQL:
    """A record's tag names in the same query: a JSON array (SQLite) or an array (PostgreSQL)."""
    through = model.tags.through  # type: ignore[attr-defined]
    link = through._meta.get_field(model._meta.model_name).column
    table = model._meta.db_table
    # Every name here is a model's own table or column, never input.
    join = (
        f'FROM "{through._meta.db_table}" tl INNER JOIN "{Tag._meta.db_table}" t '
        f'ON t."id" = tl."tag_id" WHERE tl."{link}" = "{table}"."id"'
    )
    if connection.vendor == "postgresql":
        sql = f'SELECT coalesce(array_agg(t."name"), ARRAY[]::varchar[]) {join}'
    else:
        sql = f'SELECT json_group_array(t."name") {join}'
    return RawSQL(f"({sql})", [], output_field=models.TextField())  # noqa: S611


def tag_names_in(names: Any) -> list[str]:
    """The sorted tag names of a row's ``tag_names`` column, as ``contact_rows`` or
    ``account_rows`` read it (JSON text on SQLite, an array on PostgreSQL)."""
    if names == "[]":  # SQLite's answer for a record without tags, the usual case
        return []
    if isinstance(names, str):
        names = orjson.loads(names)  # json_group_array's own output: always valid JSON
    return sorted(names or ())


# What the API shows of a record, read as plain values: a page of 50 contacts as model
# instances (with their company, owner, team and stage) costs ~5x the database's own time.
RECORD_ROW_FIELDS = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "owner_id",
    "team_id",
    "custom",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
)
CONTACT_ROW_FIELDS = (
    *RECORD_ROW_FIELDS,
    "salutation",
    "first_name",
    "last_name",
    "email",
    "other_emails",
    "phone",
    "other_phones",
    "job_title",
    "account_id",
    "preferred_language",
    "time_zone",
    "birthday",
    "anniversary",
    "source",
    "do_not_contact",
)
ACCOUNT_ROW_FIELDS = (
    *RECORD_ROW_FIELDS,
    "name",
    "domain",
    "website",
    "industry",
    "size_band",
    "annual_revenue",
    "annual_revenue_currency",
    "type",
    "phone",
    "parent_id",
)


def _record_rows(
    base: models.QuerySet[Any],
    *,
    actor: User,
    action: str,
    sorts: Mapping[str, SortKey],
    filter_fields: Mapping[str, str],
    filters: Mapping[str, str] | None,
    q: str | None,
    tag: str | None,
    sort: str | None,
    cursor: str | None,
    limit: int | None,
    make: MakerFactory | None = None,
) -> Page[dict[str, Any]]:
    page = _prepared_rows(
        base,
        actor=actor,
        action=action,
        sorts=sorts,
        filter_fields=filter_fields,
        filters=filters or {},
        hot=not q and not tag,
        sort=sort,
        cursor=cursor,
        limit=limit,
        make=make,
    )
    if page is not None:
        return page
    qs, key, descending = _record_query(
        visible_in(actor, base, action),
        actor=actor,
        sorts=sorts,
        filter_fields=filter_fields,
        filters=filters,
        q=q,
        tag=tag,
        sort=sort,
    )
    return paginate(
        qs, sort=key, descending=descending, cursor=cursor, limit=_limit(limit), make=make
    )


# Prepared page queries, one per shape: model and columns, the actor's scope condition, the
# filtered fields, the sort, whether there is a cursor, the page size. Bounded: emptied when full.
_PAGES: dict[Any, PreparedValues] = {}
_PAGES_MAX = 512


def _prepared_rows(
    base: models.QuerySet[Any],
    *,
    actor: User,
    action: str,
    sorts: Mapping[str, SortKey],
    filter_fields: Mapping[str, str],
    filters: Mapping[str, str],
    hot: bool,
    sort: str | None,
    cursor: str | None,
    limit: int | None,
    make: MakerFactory | None,
) -> Page[dict[str, Any]] | None:
    """The list's page through a query compiled once per shape, for the requests that every
    list and lookup makes (no search, no tag, exact filters on text columns); None for the rest,
    which take the general path. Same rows, same validation, same scope."""
    model = base.model
    if not hot:
        return None
    paths: list[str] = []
    values: list[Any] = []
    for name, raw in sorted(filters.items()):
        if raw is None or raw == "":
            continue
        path = filter_fields.get(name)
        if path is None or "__" in path:
            return None
        field = model._meta.get_field(path)
        if type(field) not in (models.CharField, models.EmailField):
            return None
        try:
            value = parse_value(field, raw)
        except (DjangoValidationError, ValueError, TypeError):
            return None  # the general path gives the error
        if not isinstance(value, str):
            return None
        paths.append(path)
        values.append(value)
    key, descending = _sort(sorts, sort, "name")
    size = _limit(limit)
    after = cursor_params(model, key, descending, cursor, base.db) if cursor else []
    scope = scope_of(actor, model.permission_type, action)
    if scope is None:
        return Page(items=[], next_cursor=None)
    scope_q = scope_q_of(model, actor, scope)
    shape = (base.query.model, tuple(base.query.values_select), tuple(base.query.annotations))
    signature = (shape, scope_q, tuple(paths), key, descending, bool(after), size, base.db)
    prepared = _PAGES.get(signature)
    if prepared is None:

        def build(*marks: Any) -> models.QuerySet[Any]:
            qs = base.filter(scope_q, **dict(zip(paths, marks[: len(paths)], strict=True)))
            qs = qs.order_by(*ordering(key, descending))
            if after:
                qs = qs.filter(after_cursor(model, key, descending, list(marks[len(paths) :])))
            return qs[: size + 1]

        prepared = PreparedValues(build, len(paths) + len(after))
        if len(_PAGES) >= _PAGES_MAX:
            _PAGES.clear()
        _PAGES[signature] = prepared
    rows = prepared.rows(*values, *after, using=base.db, make=make)
    return page_of(rows, sort=key, descending=descending, limit=size)


@functools.cache
def _values_base(
    model: type[models.Model], fields: tuple[str, ...], extra: tuple[str, ...]
) -> models.QuerySet[Any]:
    """``model``'s rows as ``fields``, ``tag_names`` and the ``extra`` columns, built once per
    process: setting up thirty columns costs more than a whole lookup's query. Every list
    clones it (filters never change the original), so it is never evaluated itself."""
    expressions = {
        "lifecycle_stage_key": models.F("lifecycle_stage__key"),
        "account_name": models.F("account__name"),
    }
    return model._default_manager.values(
        *fields, tag_names=_tag_names(model), **{name: expressions[name] for name in extra}
    )


def contact_list(
    *,
    actor: User,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Contact]:
    """One page of the contacts the actor may see: filtered, searched, keyset-paginated."""
    return _record_list(
        contact_queryset(actor),
        actor=actor,
        sorts=CONTACT_SORTS,
        filter_fields=CONTACT_FILTERS,
        filters=filters,
        q=q,
        tag=tag,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


def account_queryset(actor: User, action: str = Action.READ) -> models.QuerySet[Account]:
    return visible(actor, Account, action).select_related("owner", "team", "parent")


def account_list(
    *,
    actor: User,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Account]:
    """One page of the companies the actor may see."""
    return _record_list(
        account_queryset(actor),
        actor=actor,
        sorts=ACCOUNT_SORTS,
        filter_fields=ACCOUNT_FILTERS,
        filters=filters,
        q=q,
        tag=tag,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


def contact_rows(
    *,
    actor: User,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    action: str = Action.READ,
    with_account_name: bool = False,
    make: MakerFactory | None = None,
) -> Page[dict[str, Any]]:
    """``contact_list`` as plain rows (``CONTACT_ROW_FIELDS``, ``lifecycle_stage_key`` and
    ``tag_names``) in one query, for the API, which shows values and needs no objects.
    ``action`` picks the scope (an export reads what the actor may export);
    ``with_account_name`` adds ``account_name`` (a join) for exports."""
    extra = (
        ("lifecycle_stage_key", "account_name") if with_account_name else ("lifecycle_stage_key",)
    )
    return _record_rows(
        _values_base(Contact, CONTACT_ROW_FIELDS, extra),
        actor=actor,
        action=action,
        sorts=CONTACT_SORTS,
        filter_fields=CONTACT_FILTERS,
        filters=filters,
        q=q,
        tag=tag,
        sort=sort,
        cursor=cursor,
        limit=limit,
        make=make,
    )


def account_rows(
    *,
    actor: User,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    action: str = Action.READ,
    make: MakerFactory | None = None,
) -> Page[dict[str, Any]]:
    """``account_list`` as plain rows (``ACCOUNT_ROW_FIELDS`` and ``tag_names``), for the API;
    ``action`` picks the scope as in ``contact_rows``."""
    return _record_rows(
        _values_base(Account, ACCOUNT_ROW_FIELDS, ()),
        actor=actor,
        action=action,
        sorts=ACCOUNT_SORTS,
        filter_fields=ACCOUNT_FILTERS,
        filters=filters,
        q=q,
        tag=tag,
        sort=sort,
        cursor=cursor,
        limit=limit,
        make=make,
    )


def record_selection(
    *,
    actor: User,
    object_type: str,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
    tag: str | None = None,
    action: str = Action.READ,
) -> models.QuerySet[Any]:
    """The contacts (or companies) of a list's selection, its filters, search and tag, that
    the actor may ``action``: unordered and unpaged, for an export's bounded count."""
    contact = object_type == ObjectType.CONTACT
    model: type[Contact] | type[Account] = Contact if contact else Account
    qs, _key, _descending = _record_query(
        visible_in(actor, model._default_manager.all(), action),
        actor=actor,
        sorts=CONTACT_SORTS if contact else ACCOUNT_SORTS,
        filter_fields=CONTACT_FILTERS if contact else ACCOUNT_FILTERS,
        filters=filters,
        q=q,
        tag=tag,
        sort=None,
    )
    return qs


def contact_get(*, actor: User, pk: Any, action: str = Action.READ) -> Contact:
    """One contact the actor may see (or ``action``); anything else is NotFound."""
    contact: Contact = get_visible(actor, Contact, pk, action)
    return contact


def _detail(qs: models.QuerySet[M], pk: Any) -> M:
    try:
        return qs.prefetch_related("tags").get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def contact_detail(*, actor: User, pk: Any) -> Contact:
    """A contact with what its 360° page shows, in a fixed number of queries."""
    return _detail(contact_queryset(actor), pk)


def account_get(*, actor: User, pk: Any, action: str = Action.READ) -> Account:
    account: Account = get_visible(actor, Account, pk, action)
    return account


def account_detail(*, actor: User, pk: Any) -> Account:
    """A company with what its 360° page shows, in a fixed number of queries."""
    return _detail(account_queryset(actor), pk)


def account_contacts(*, actor: User, account: Account, limit: int = 20) -> list[Contact]:
    """The account's contacts the actor may see (first ``limit`` by name)."""
    return list(
        visible(actor, Contact)
        .filter(account=account)
        .order_by("last_name", "first_name", "id")[:limit]
    )


def note_queryset(actor: User, action: str = Action.READ) -> models.QuerySet[Note]:
    """Notes the actor may ``action`` and whose contact or company they can see."""
    contacts = visible(actor, Contact).values("id")
    accounts = visible(actor, Account).values("id")
    return (
        visible(actor, Note, action)
        .filter(models.Q(contact_id__in=contacts) | models.Q(account_id__in=accounts))
        .select_related("created_by")
    )


def note_list(
    *,
    actor: User,
    contact: Contact | None = None,
    account: Account | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Note]:
    """Newest first. The parent was fetched through a selector, so it is visible."""
    qs = note_queryset(actor)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if account is not None:
        qs = qs.filter(account=account)
    return paginate(
        qs,
        sort=SortKey("created", ("created_at", "id")),
        descending=True,
        cursor=cursor,
        limit=_limit(limit),
    )


def note_get(*, actor: User, pk: Any, action: str = Action.READ) -> Note:
    note: Note = get_visible(actor, Note, pk, action)
    if not note_queryset(actor).filter(pk=note.pk).exists():
        raise NotFound()
    return note


def tag_list(*, actor: User) -> list[Tag]:
    return list(visible(actor, Tag).order_by("name")[:1000])


def tag_get(*, actor: User, pk: Any, action: str = Action.READ) -> Tag:
    tag: Tag = get_visible(actor, Tag, pk, action)
    return tag


def record_history(
    *, actor: User, object_type: str, obj: models.Model, cursor: str | None = None, limit: int = 20
) -> Page[AuditEntry]:
    """Audit entries of one record, newest first. Callers pass a record fetched by a selector."""
    qs = AuditEntry.objects.filter(object_type=object_type, object_id=str(obj.pk)).select_related(
        "actor"
    )
    return paginate(qs, sort=SortKey("seq", ("seq",)), descending=True, cursor=cursor, limit=limit)


@dataclass
class SearchHit:
    object_type: str
    id: int
    title: str
    subtitle: str


def _search_visible(qs: models.QuerySet[M], object_type: str, q: str, limit: int) -> list[M]:
    """Up to ``limit`` records of ``qs`` (the actor's scope) matching ``q``, by id.

    Asks the search index for a few matches and keeps those the scope lets through, asking for
    4x as many until it has enough or the matches run out; past SEARCH_BATCH_MAX (a narrow
    scope over a common word) the database joins the whole match set with the scope.
    """
    batch = limit
    while True:
        ids = matching_ids(object_type, q, limit=batch)
        if not ids:
            return []
        found = list(qs.filter(pk__in=ids).order_by("id")[:limit])
        if len(found) >= limit or len(ids) < batch:
            return found
        if batch >= SEARCH_BATCH_MAX:
            return list(_searched(qs, object_type, q).order_by("id")[:limit])
        batch *= 4


SEARCH_BATCH_MAX = 5000


def global_search(*, actor: User, q: str, limit: int | None = None) -> list[SearchHit]:
    """Contacts, then companies, matching every word of ``q`` and visible to the actor; up to
    ``limit`` in all, each kind by id."""
    limit = limit or settings.SAMBANDH_SEARCH_LIMIT
    if not q.strip():
        return []
    contacts = _search_visible(
        visible(actor, Contact)
        .select_related("account")
        .only("id", "first_name", "last_name", "email", "city", "account__name"),
        ObjectType.CONTACT,
        q,
        limit,
    )
    hits = [
        SearchHit(
            "contact",
            c.pk,
            str(c),
            " · ".join(p for p in (c.email, c.account.name if c.account else "", c.city) if p),
        )
        for c in contacts
    ]
    if len(hits) < limit:
        accounts = _search_visible(
            visible(actor, Account).only("id", "name", "domain", "city"),
            ObjectType.ACCOUNT,
            q,
            limit - len(hits),
        )
        hits += [
            SearchHit("account", a.pk, a.name, " · ".join(p for p in (a.domain, a.city) if p))
            for a in accounts
        ]
    return hits
