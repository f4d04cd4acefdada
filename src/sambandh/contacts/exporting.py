"""Exports of the contacts and companies lists, for the pages and the API alike.

The selection is a list's own (filters, search, tag, sort); the rows are read page by page
through the actor's *export* scope, shaped as the API shows them (custom values only where
the actor may read the field), and written as they are read (streamed, or to a file by a
worker for a large selection: ``sambandh.dataio.exports``), so a million rows never sit in
memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from sambandh.contacts import selectors, shaping
from sambandh.core.custom_fields import readable_definitions
from sambandh.core.errors import ValidationError
from sambandh.core.exporting import FORMATS, ExportData, contact_vcard
from sambandh.core.models import Action, ObjectType, User

Rows = Callable[..., Any]
Shape = Callable[[Mapping[str, Any], set[str]], dict[str, Any]]

KINDS: dict[str, tuple[Rows, Shape, str]] = {
    ObjectType.CONTACT: (selectors.contact_rows, shaping.contact_row_out, "contacts"),
    ObjectType.ACCOUNT: (selectors.account_rows, shaping.account_row_out, "companies"),
}


def _columns(sample: dict[str, Any], custom_keys: list[str]) -> list[str]:
    """A shaped record's keys, with each readable custom field as a ``custom.<key>`` column."""
    columns = [k for k in sample if k != "custom"]
    return columns + [f"custom.{key}" for key in custom_keys]


def export_prepare(
    *,
    actor: User,
    object_type: str,
    fmt: str,
    filters: Mapping[str, str] | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
) -> ExportData:
    """Every record in the selection the actor may export, ready to write in ``fmt``.

    The first page is read now: bad input (format, filter, sort) is a ValidationError here,
    before any audit entry and before any row leaves. The grant is the caller's to check
    (``services.export_started``, which also writes the audit entry)."""
    fmt = (fmt or "csv").lower()
    if fmt not in FORMATS:
        raise ValidationError(
            {"format": [_("Choose one of: %(formats)s.") % {"formats": ", ".join(FORMATS)}]}
        )
    if fmt == "vcf" and object_type != ObjectType.CONTACT:
        raise ValidationError({"format": [_("vCard is for contacts only.")]})
    rows, shape, stem = KINDS[object_type]
    options: dict[str, Any] = (
        {"with_account_name": True} if object_type == ObjectType.CONTACT else {}
    )
    page_size = settings.SAMBANDH_API_PAGE_MAX

    def page(cursor: str | None) -> Any:
        return rows(
            actor=actor,
            filters=filters,
            q=q,
            tag=tag,
            sort=sort,
            cursor=cursor,
            limit=page_size,
            action=Action.EXPORT,
            **options,
        )

    first = page(None)
    definitions = readable_definitions(actor, object_type)
    readable = {d.key for d in definitions}

    def records() -> Iterator[dict[str, Any]]:
        current = first
        while True:
            for row in current.items:
                record = shape(row, readable)
                if "account_name" in row:
                    record["account_name"] = row["account_name"]
                yield record
            if not current.next_cursor:
                return
            current = page(current.next_cursor)

    sample_row = first.items[0] if first.items else None
    sample = shape(sample_row, set()) if sample_row is not None else _empty_shape(shape)
    if object_type == ObjectType.CONTACT:
        sample = _with_account_name(sample)
    columns = _columns(sample, [d.key for d in definitions])
    return ExportData(
        columns=columns,
        records=records(),
        stem=stem,
        to_vcard=contact_vcard if fmt == "vcf" else None,
    )


def _with_account_name(sample: dict[str, Any]) -> dict[str, Any]:
    # The company's name goes beside its id.
    out: dict[str, Any] = {}
    for key, value in sample.items():
        out[key] = value
        if key == "account_id":
            out["account_name"] = None
    return out


def _empty_shape(shape: Shape) -> dict[str, Any]:
    """The keys a shaped record has, for the header row of an empty export."""

    class _Blank(dict[str, Any]):
        def __missing__(self, key: str) -> Any:
            return None

    return shape(_Blank(), set())
