"""The merge page: records side by side, a value chosen per field, one survivor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sambandh.contacts.forms import Field, display, fields_for, raw_value
from sambandh.contacts.views import KINDS, Kind
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action
from sambandh.core.permissions import get_visible, require
from sambandh.core.records import jsonable
from sambandh.dedup.merge import MAX_LOSERS, MODELS, merge_records
from sambandh.web.http import HtmxRequest, actor_of, page_view

# Tags are always the union of every record's tags; custom fields keep the survivor's.
NOT_CHOSEN = {"tags"}


def _ids(raw: str) -> list[int]:
    """The records to merge from ``?ids=1,2``: 2 to 10 distinct whole numbers."""
    ids: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) <= 0 or int(part) in ids:
            ids = []
            break
        ids.append(int(part))
    if not 2 <= len(ids) <= MAX_LOSERS + 1:
        raise ValidationError(
            {"ids": [_("Choose between 2 and %(n)d records to merge.") % {"n": MAX_LOSERS + 1}]},
            message=_("Choose between 2 and %(n)d records to merge.") % {"n": MAX_LOSERS + 1},
        )
    return ids


def _is_empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _rows(actor: Any, fields: list[Field], records: list[Any], chosen: dict[str, int]) -> list[Any]:
    """One row per field: each record's value and which record's value is chosen."""
    rows = []
    for field in fields:
        raws = [raw_value(field, r) for r in records]
        rows.append(
            {
                "field": field,
                "differs": any(v != raws[0] for v in raws),
                "cells": [
                    {
                        "record": r,
                        "text": display(field, actor, r),
                        "checked": chosen[field.name] == r.pk,
                    }
                    for r in records
                ],
            }
        )
    return rows


def _default_choices(fields: list[Field], records: list[Any], survivor: Any) -> dict[str, int]:
    """The survivor's value, or the first non-empty one when the survivor has none."""
    chosen = {}
    for field in fields:
        pick = survivor
        if _is_empty(raw_value(field, survivor)):
            pick = next((r for r in records if not _is_empty(raw_value(field, r))), survivor)
        chosen[field.name] = pick.pk
    return chosen


def _posted_choices(
    post: Any, fields: list[Field], by_id: dict[int, Any], survivor: Any
) -> dict[str, int]:
    chosen = {}
    for field in fields:
        raw = post.get(f"field-{field.name}", "")
        chosen[field.name] = int(raw) if raw.isdigit() and int(raw) in by_id else survivor.pk
    return chosen


@require_http_methods(["GET", "POST"])
@page_view
def record_merge(request: HtmxRequest, kind: str) -> HttpResponse:
    """GET: the side-by-side preview; POST: merge into the chosen survivor."""
    k: Kind = KINDS[kind]
    actor = actor_of(request)
    require(actor, k.object_type, Action.UPDATE)
    require(actor, k.object_type, Action.DELETE)
    params = request.POST if request.method == "POST" else request.GET
    ids = _ids(params.get("ids", ""))
    model = MODELS[k.object_type]
    records = [get_visible(actor, model, pk) for pk in ids]
    by_id = {r.pk: r for r in records}
    fields = [
        f for f in fields_for(actor, k.object_type) if f.name not in NOT_CHOSEN and not f.is_custom
    ]
    raw_survivor = params.get("survivor", "")
    survivor = by_id.get(int(raw_survivor)) if raw_survivor.isdigit() else None
    survivor = survivor or records[0]
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        chosen = _posted_choices(request.POST, fields, by_id, survivor)
        values = {
            f.name: jsonable(raw_value(f, by_id[chosen[f.name]]))
            for f in fields
            if chosen[f.name] != survivor.pk
            and raw_value(f, by_id[chosen[f.name]]) != raw_value(f, survivor)
        }
        try:
            merged = merge_records(
                actor=actor,
                object_type=k.object_type,
                survivor_id=survivor.pk,
                loser_ids=[pk for pk in ids if pk != survivor.pk],
                values=values,
            )
        except ValidationError as error:
            errors = error.fields or {"": [error.message]}
            status = 400
        else:
            messages.success(request, _("Merged %(n)d records into this one.") % {"n": len(ids)})
            return redirect(k.url("detail", merged.pk))
    else:
        chosen = _default_choices(fields, records, survivor)
    labels = {f.name: f.label for f in fields}
    context = {
        "kind": k,
        "records": records,
        "survivor": survivor,
        "ids": ",".join(str(pk) for pk in ids),
        "rows": _rows(actor, fields, records, chosen),
        "errors": [(labels.get(name, ""), msgs) for name, msgs in errors.items()],
    }
    return render(request, "dedup/merge.html", context, status=status)
