"""HTML pages and htmx fragments for contacts and companies.

One set of views serves both kinds of record; ``kind`` (from the URL pattern) picks the
selectors, services and fields. Views are thin: parse the request, call a selector or a
service, render. Domain errors become pages or fragments through ``page_view``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from sambandh.contacts import selectors, services
from sambandh.contacts.forms import (
    Field,
    custom_fields,
    display,
    field_errors,
    fields_for,
    form_data,
    history_rows,
    initial,
    submitted,
)
from sambandh.contacts.models import Account, AccountType, Contact, LifecycleStage, Note
from sambandh.core.errors import Conflict, NotFound, ValidationError
from sambandh.core.models import Action, ObjectType, Team, User
from sambandh.core.pagination import Page
from sambandh.core.permissions import has_grant, in_scope, visible
from sambandh.dataio.exports.answers import page_answer
from sambandh.dataio.exports.kinds import Selection
from sambandh.dataio.exports.services import export_begin
from sambandh.dedup.likely import likely_records
from sambandh.dedup.merge import visible_survivor
from sambandh.web.http import HtmxRequest, actor_of, fragment_or_page, page_view, wants_fragment

Record = Contact | Account
PAGE_SIZE = 50
NOTES_SHOWN = 50


@dataclass(frozen=True)
class Kind:
    """Everything that differs between the contact pages and the company pages."""

    key: str
    object_type: str
    singular: str | Promise
    plural: str | Promise
    list_page: Callable[..., Any]
    detail: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    sorts: tuple[tuple[str, str | Promise], ...]

    @property
    def url_prefix(self) -> str:
        """For ``{% url kind.url_prefix|add:'detail' obj.pk %}`` in shared templates."""
        return f"web:{self.key}_"

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"web:{self.key}_{name}", args=args)


KINDS = {
    "contact": Kind(
        key="contact",
        object_type=ObjectType.CONTACT,
        singular=gettext_lazy("Contact"),
        plural=gettext_lazy("Contacts"),
        list_page=selectors.contact_list,
        detail=selectors.contact_detail,
        create=services.contact_create,
        update=lambda *, actor, obj, data, version: services.contact_update(
            actor=actor, contact=obj, data=data, version=version
        ),
        delete=lambda *, actor, obj: services.contact_delete(actor=actor, contact=obj),
        sorts=(
            ("name", gettext_lazy("Name (A–Z)")),
            ("-name", gettext_lazy("Name (Z–A)")),
            ("first_name", gettext_lazy("First name")),
            ("email", gettext_lazy("Email")),
            ("city", gettext_lazy("City")),
            ("-created_at", gettext_lazy("Newest first")),
            ("created_at", gettext_lazy("Oldest first")),
            ("-updated_at", gettext_lazy("Recently changed")),
        ),
    ),
    "account": Kind(
        key="account",
        object_type=ObjectType.ACCOUNT,
        singular=gettext_lazy("Company"),
        plural=gettext_lazy("Companies"),
        list_page=selectors.account_list,
        detail=selectors.account_detail,
        create=services.account_create,
        update=lambda *, actor, obj, data, version: services.account_update(
            actor=actor, account=obj, data=data, version=version
        ),
        delete=lambda *, actor, obj: services.account_delete(actor=actor, account=obj),
        sorts=(
            ("name", gettext_lazy("Name (A–Z)")),
            ("-name", gettext_lazy("Name (Z–A)")),
            ("-created_at", gettext_lazy("Newest first")),
            ("created_at", gettext_lazy("Oldest first")),
            ("-updated_at", gettext_lazy("Recently changed")),
        ),
    ),
}

# Query-string name -> selector filter name, per kind.
LIST_FILTERS = {
    "contact": {
        "owner": "owner_id",
        "team": "team_id",
        "country": "country",
        "city": "city",
        "stage": "lifecycle_stage",
        "language": "preferred_language",
        "account": "account_id",
    },
    "account": {
        "owner": "owner_id",
        "team": "team_id",
        "country": "country",
        "city": "city",
        "type": "type",
        "industry": "industry",
    },
}


def _kind(name: str) -> Kind:
    return KINDS[name]


def _version(post: QueryDict) -> int:
    """The version the form was built from; a missing or bad one can never match (409)."""
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


# ---------------------------------------------------------------- list


def _selection(request: HtmxRequest, kind: str) -> tuple[dict[str, str], str, str, str]:
    """The list's filters, sort, search and tag from its query string."""
    params = request.GET
    filters = {
        selector_name: params.get(name, "").strip()
        for name, selector_name in LIST_FILTERS[kind].items()
        if params.get(name, "").strip()
    }
    for spec in custom_filters(actor_of(request), _kind(kind).object_type, params):
        if spec["value"]:
            filters[spec["name"]] = spec["value"]
    sort = params.get("sort") or "name"
    q = params.get("q", "").strip()[:200]
    tag = params.get("tag", "").strip()
    return filters, sort, q, tag


@require_http_methods(["GET"])
@page_view
def record_list(request: HtmxRequest, kind: str) -> HttpResponse:
    """The list page, or (for htmx) only its rows: after a filter change or for "load more"."""
    k = _kind(kind)
    params = request.GET
    filters, sort, q, tag = _selection(request, kind)
    error = None
    try:
        page = k.list_page(
            actor=actor_of(request),
            filters=filters,
            q=q or None,
            tag=tag or None,
            sort=sort,
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationError as exc:
        page, error = None, exc
    next_url = None
    if page is not None and page.next_cursor:
        query = params.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{k.url('list')}?{query.urlencode()}"
    context = {
        "kind": k,
        "page": page,
        "error": error,
        "next_url": next_url,
        "params": params,
        "q": q,
        "sort": sort,
        "can_create": has_grant(actor_of(request), k.object_type, Action.CREATE),
        "can_export": has_grant(actor_of(request), k.object_type, Action.EXPORT),
        "export_formats": EXPORT_FORMATS[kind],
        "export_query": _export_query(params),
    }
    status = 400 if error is not None else 200
    if wants_fragment(request):
        return fragment_or_page(
            request, render(request, "contacts/list.html#rows", context, status=status)
        )
    context.update(_filter_options(actor_of(request), kind))
    context["custom_filters"] = custom_filters(actor_of(request), k.object_type, params)
    return fragment_or_page(request, render(request, "contacts/list.html", context, status=status))


EXPORT_FORMATS = {
    "contact": (("csv", "CSV"), ("xlsx", "Excel"), ("json", "JSON"), ("vcf", "vCard")),
    "account": (("csv", "CSV"), ("xlsx", "Excel"), ("json", "JSON")),
}


def _export_query(params: QueryDict) -> str:
    """The list's selection as a query string for its export links (no paging, no format)."""
    query = params.copy()
    for name in ("cursor", "format"):
        query.pop(name, None)
    return query.urlencode()


@page_view
@require_http_methods(["POST"])
def record_export(request: HtmxRequest, kind: str) -> HttpResponse:
    """The list's selection (its filters, search, tag and sort, in the query string) as a file
    download in the posted format. A POST: an export writes its audit entry, and a GET never
    writes."""
    filters, sort, q, tag = _selection(request, kind)
    outcome = export_begin(
        actor=actor_of(request),
        object_type=_kind(kind).object_type,
        fmt=request.POST.get("format", "csv"),
        selection=Selection(filters=filters, q=q or None, tag=tag or None, sort=sort),
    )
    # The file, or for a large selection a redirect to the user's exports.
    response: HttpResponse = page_answer(request, outcome)  # type: ignore[assignment]
    return response


def custom_filters(actor: User, object_type: str, params: QueryDict) -> list[dict[str, Any]]:
    """A filter control per custom field the actor may read (money fields filter in the API)."""
    specs = []
    for field in custom_fields(actor, object_type):
        if field.widget == "money":
            continue
        options: list[tuple[str, str]] = []
        if field.widget in ("select", "multiselect"):
            options = [(v, label) for v, label in field.options(actor, None) if v != ""]
        elif field.widget == "yesno":
            options = [("yes", _("Yes")), ("no", _("No"))]
        specs.append(
            {
                "name": field.name,
                "label": field.label,
                "id": f"filter-{field.html_id}",
                "options": options,
                "value": params.get(field.name, "").strip()[:200],
            }
        )
    return specs


def _filter_options(actor: User, kind: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "owners": list(visible(actor, User).filter(is_active=True).order_by("username")[:500]),
        "teams": list(visible(actor, Team).order_by("name")),
        "tags": selectors.tag_list(actor=actor),
    }
    if kind == "contact":
        options["stages"] = list(LifecycleStage.objects.filter(is_active=True))
    else:
        options["account_types"] = AccountType.choices
    return options


# ---------------------------------------------------------------- detail


def _notes(actor: User, obj: Record) -> Page[Note]:
    if isinstance(obj, Contact):
        return selectors.note_list(actor=actor, contact=obj, limit=NOTES_SHOWN)
    return selectors.note_list(actor=actor, account=obj, limit=NOTES_SHOWN)


def _deletable(actor: User, obj: Record, notes: list[Note]) -> set[int]:
    """Which of these notes (all on ``obj``) the actor may delete, without a query."""
    deletable = set()
    for note in notes:
        # The parent is ``obj``: give it to the note so the scope check need not fetch it.
        if isinstance(obj, Contact):
            note.contact = obj
        else:
            note.account = obj
        if in_scope(actor, note, Action.DELETE):
            deletable.add(note.pk)
    return deletable


def _notes_context(actor: User, obj: Record) -> dict[str, Any]:
    notes = _notes(actor, obj).items
    return {
        "notes": notes,
        "deletable_notes": _deletable(actor, obj, notes),
        "can_note": has_grant(actor, ObjectType.NOTE, Action.CREATE),
    }


def _detail_context(request: HtmxRequest, k: Kind, obj: Record) -> dict[str, Any]:
    actor = actor_of(request)
    fields = fields_for(actor, k.object_type)
    can_update = in_scope(actor, obj, Action.UPDATE)
    rows = [{"field": f, "text": display(f, actor, obj)} for f in fields]
    history = selectors.record_history(actor=actor, object_type=k.object_type, obj=obj)
    context: dict[str, Any] = {
        "kind": k,
        "obj": obj,
        "rows": rows,
        "can_update": can_update,
        "can_delete": in_scope(actor, obj, Action.DELETE),
        **_notes_context(actor, obj),
        "history": history_rows(actor, history.items, fields),
        "history_next": _history_next(k, obj, history.next_cursor),
    }
    if isinstance(obj, Account):
        context["contacts"] = selectors.account_contacts(actor=actor, account=obj)
    return context


def _history_next(k: Kind, obj: Record, cursor: str | None) -> str | None:
    if not cursor:
        return None
    return f"{k.url('history', obj.pk)}?{urlencode({'cursor': cursor})}"


@require_http_methods(["GET"])
@page_view
def record_detail(request: HtmxRequest, kind: str, pk: int) -> HttpResponse:
    """The 360° page: every field, related records, notes and history."""
    k = _kind(kind)
    try:
        obj = k.detail(actor=actor_of(request), pk=pk)
    except NotFound:
        # An id merged away leads to the record that absorbed it, if the user may see that.
        survivor = visible_survivor(actor_of(request), k.object_type, pk)
        if survivor is None:
            raise
        return redirect(k.url("detail", survivor))
    return render(request, "contacts/detail.html", _detail_context(request, k, obj))


@require_http_methods(["GET"])
@page_view
def record_history_view(request: HtmxRequest, kind: str, pk: int) -> HttpResponse:
    """The history list (after an inline edit) or its next page ("load more")."""
    k = _kind(kind)
    obj = k.detail(actor=actor_of(request), pk=pk)
    cursor = request.GET.get("cursor") or None
    history = selectors.record_history(
        actor=actor_of(request), object_type=k.object_type, obj=obj, cursor=cursor
    )
    fields = fields_for(actor_of(request), k.object_type)
    context = {
        "kind": k,
        "obj": obj,
        "history": history_rows(actor_of(request), history.items, fields),
        "history_next": _history_next(k, obj, history.next_cursor),
    }
    template = "contacts/detail.html#history-entries" if cursor else "contacts/detail.html#history"
    return render(request, template, context)


# ---------------------------------------------------------------- create and edit


def _form_context(
    request: HtmxRequest,
    k: Kind,
    obj: Record | None,
    fields: list[Field],
    values: dict[str, Any],
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    inputs = [
        {
            "field": f,
            "value": values.get(f.name, ""),
            "options": f.options(actor_of(request), obj),
            "errors": errors.get(f.name, []),
        }
        for f in fields
    ]
    return {
        "kind": k,
        "obj": obj,
        "inputs": inputs,
        "form_errors": errors.get("", []),
        "version": obj.version if obj is not None else None,
    }


@require_http_methods(["GET", "POST"])
@page_view
def record_create(request: HtmxRequest, kind: str) -> HttpResponse:
    """A new contact or company; the service's per-field errors are shown next to the fields."""
    k = _kind(kind)
    if not has_grant(actor_of(request), k.object_type, Action.CREATE):
        raise_denied()
    fields = fields_for(actor_of(request), k.object_type)
    values = {f.name: initial(f, None) for f in fields}
    # New records are the creator's and their first team's, as the service would make them.
    values["owner_id"] = str(actor_of(request).pk)
    first_team = actor_of(request).teams.order_by("id").first()
    values["team_id"] = str(first_team.pk) if first_team else ""
    if kind == "contact" and request.GET.get("account"):
        values["account_id"] = request.GET["account"]
    errors: dict[str, list[str]] = {}
    status = 200
    duplicates: list[Any] = []
    if request.method == "POST":
        values = {f.name: submitted(f, request.POST) for f in fields}
        data = form_data(fields, request.POST, None)
        # Warn before creating a likely duplicate; "create anyway" goes on (nothing is written
        # until then).
        if not request.POST.get("create_anyway"):
            duplicates = likely_records(actor_of(request), k.object_type, data)
        if not duplicates:
            try:
                obj = k.create(actor=actor_of(request), data=data)
            except ValidationError as exc:
                errors, status = field_errors(exc.fields, fields), exc.status
                errors.setdefault("", []).insert(0, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect(k.url("detail", obj.pk))
    context = _form_context(request, k, None, fields, values, errors)
    context["duplicates"] = [
        {"record": record, "score": round(match.score), "reasons": reason_labels(match.reasons)}
        for record, match in duplicates
    ]
    return render(request, "contacts/form.html", context, status=status)


REASON_LABELS = {
    "email": gettext_lazy("same email"),
    "phone": gettext_lazy("same phone"),
    "domain": gettext_lazy("same domain"),
    "name": gettext_lazy("similar name"),
    "company": gettext_lazy("same company"),
    "city": gettext_lazy("same city"),
}


def reason_labels(reasons: tuple[str, ...]) -> list[str]:
    return [str(REASON_LABELS.get(r, r)) for r in reasons]


@require_http_methods(["GET", "POST"])
@page_view
def record_edit(request: HtmxRequest, kind: str, pk: int) -> HttpResponse:
    """Edit every field at once, with the version the form was built from (a stale one is 409)."""
    k = _kind(kind)
    obj = k.detail(actor=actor_of(request), pk=pk)
    if not in_scope(actor_of(request), obj, Action.UPDATE):
        raise_denied()
    fields = fields_for(actor_of(request), k.object_type)
    values = {f.name: initial(f, obj) for f in fields}
    errors: dict[str, list[str]] = {}
    status = 200
    version = obj.version
    if request.method == "POST":
        values = {f.name: submitted(f, request.POST) for f in fields}
        version = _version(request.POST)
        try:
            k.update(
                actor=actor_of(request),
                obj=obj,
                data=form_data(fields, request.POST, obj),
                version=version,
            )
        except ValidationError as exc:
            errors, status = field_errors(exc.fields, fields), exc.status
            errors.setdefault("", []).insert(0, exc.message)
        except Conflict as exc:
            errors, status = {"": [exc.message]}, exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect(k.url("detail", obj.pk))
    context = _form_context(request, k, obj, fields, values, errors)
    context["version"] = version
    context["conflict"] = status == 409
    return render(request, "contacts/form.html", context, status=status)


def raise_denied() -> None:
    from sambandh.core.errors import PermissionDenied

    raise PermissionDenied()


@require_http_methods(["GET", "POST"])
@page_view
def record_delete(request: HtmxRequest, kind: str, pk: int) -> HttpResponse:
    """Ask first (GET), delete on POST."""
    k = _kind(kind)
    obj = k.detail(actor=actor_of(request), pk=pk)
    if not in_scope(actor_of(request), obj, Action.DELETE):
        raise_denied()
    if request.method == "POST":
        k.delete(actor=actor_of(request), obj=obj)
        messages.success(request, _("Deleted."))
        return redirect(k.url("list"))
    return render(request, "contacts/confirm_delete.html", {"kind": k, "obj": obj})


# ---------------------------------------------------------------- inline edit


def _inline_field(request: HtmxRequest, k: Kind, name: str) -> Field:
    for field in fields_for(actor_of(request), k.object_type):
        if field.name == name and field.inline:
            return field
    raise NotFound()


@require_http_methods(["GET"])
@page_view
def record_field_edit(request: HtmxRequest, kind: str, pk: int, field: str) -> HttpResponse:
    """The small form that replaces one value on the detail page, with the current version."""
    k = _kind(kind)
    obj = k.detail(actor=actor_of(request), pk=pk)
    spec = _inline_field(request, k, field)
    if not in_scope(actor_of(request), obj, Action.UPDATE):
        raise_denied()
    context = {
        "kind": k,
        "obj": obj,
        "input": {
            "field": spec,
            "value": initial(spec, obj),
            "options": spec.options(actor_of(request), obj),
            "errors": [],
        },
    }
    return render(request, "contacts/detail.html#field-edit", context)


@require_http_methods(["GET", "POST"])
@page_view
def record_field(request: HtmxRequest, kind: str, pk: int, field: str) -> HttpResponse:
    """GET: one value as shown on the detail page (cancel). POST: save it, then show it."""
    k = _kind(kind)
    obj = k.detail(actor=actor_of(request), pk=pk)
    spec = _inline_field(request, k, field)
    can_update = in_scope(actor_of(request), obj, Action.UPDATE)
    if request.method == "POST":
        if not can_update:
            raise_denied()
        try:
            k.update(
                actor=actor_of(request),
                obj=obj,
                data=form_data([spec], request.POST, obj),
                version=_version(request.POST),
            )
        except (ValidationError, Conflict) as exc:
            messages_ = exc.fields.get(spec.name, []) if isinstance(exc, ValidationError) else []
            context = {
                "kind": k,
                "obj": obj,
                "input": {
                    "field": spec,
                    "value": submitted(spec, request.POST),
                    "options": spec.options(actor_of(request), obj),
                    "errors": messages_ or [exc.message],
                },
                "conflict": isinstance(exc, Conflict),
            }
            return render(request, "contacts/detail.html#field-edit", context, status=exc.status)
        obj = k.detail(actor=actor_of(request), pk=pk)
    context = {
        "kind": k,
        "obj": obj,
        "row": {"field": spec, "text": display(spec, actor_of(request), obj)},
        "can_update": can_update,
    }
    response = render(request, "contacts/detail.html#field-display", context)
    if request.method == "POST":
        # The history list listens for this and reloads itself.
        trigger_client_event(response, "recordChanged")
    return response


# ---------------------------------------------------------------- notes


@require_http_methods(["GET", "POST"])
@page_view
def record_notes(request: HtmxRequest, kind: str, pk: int) -> HttpResponse:
    """The notes section; POST adds a note and returns the section with it on top."""
    k = _kind(kind)
    obj = k.detail(actor=actor_of(request), pk=pk)
    errors: list[str] = []
    body = ""
    status = 200
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            if isinstance(obj, Contact):
                services.note_create(actor=actor_of(request), body=body, contact=obj)
            else:
                services.note_create(actor=actor_of(request), body=body, account=obj)
        except ValidationError as exc:
            errors = exc.fields.get("body", []) or [exc.message]
            status = exc.status
        else:
            body = ""
            if not wants_fragment(request):
                messages.success(request, _("Note added."))
    context = {
        "kind": k,
        "obj": obj,
        **_notes_context(actor_of(request), obj),
        "note_errors": errors,
        "note_body": body,
    }
    if wants_fragment(request):
        return render(request, "contacts/detail.html#notes", context, status=status)
    if status == 200:
        return redirect(k.url("detail", obj.pk) + "#notes")
    return render(
        request, "contacts/detail.html", _detail_context(request, k, obj) | context, status=status
    )


@page_view
@require_http_methods(["POST"])
def note_delete(request: HtmxRequest, pk: int) -> HttpResponse:
    """Delete one note, then show its record's notes again (or go back to the record)."""
    actor = actor_of(request)
    note = selectors.note_get(actor=actor, pk=pk)
    k = _kind("contact" if note.contact_id else "account")
    obj = k.detail(actor=actor, pk=note.contact_id or note.account_id)
    services.note_delete(actor=actor, note=note)
    if not wants_fragment(request):
        messages.success(request, _("Note deleted."))
        return redirect(k.url("detail", obj.pk) + "#notes")
    context = {"kind": k, "obj": obj, **_notes_context(actor, obj)}
    return render(request, "contacts/detail.html#notes", context)
