"""Writing records out: CSV, XLSX, JSON and vCard, streamed so memory stays flat.

Records arrive as the API shapes them (dicts; lists and a ``custom`` dict inside). The tabular
formats flatten them into named columns; every text cell that a spreadsheet would read as a
formula is neutralised. Which records, and the audit entry, are the exporting service's work;
this module only writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, StreamingHttpResponse

from sambandh.core.renderers import dumps

FORMATS = ("csv", "xlsx", "json", "vcf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "vcf": "text/vcard; charset=utf-8",
}
# A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # a sheet's rows, the header included

Records = Iterable[dict[str, Any]]
ToVcard = Callable[[dict[str, Any]], str]


@dataclass
class ExportData:
    """What an export writes: the columns of the tabular formats, the records (read once, as
    they are written), the file name's stem (``contacts``) and, for vCard, how a record
    becomes a card."""

    columns: list[str]
    records: Iterator[dict[str, Any]]
    stem: str
    to_vcard: ToVcard | None = None


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it but never evaluates: a leading apostrophe when it
    starts like a formula (``=1+1`` becomes ``'=1+1``); other text unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> Any:
    """A flat value for a table cell: lists joined with "; ", dates in ISO form, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(str(cell(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    return str(value)


def flatten(record: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """The cells of ``record`` for ``columns``; ``custom.<key>`` reads a custom value."""
    custom = record.get("custom") or {}
    row = []
    for column in columns:
        if column.startswith("custom."):
            row.append(cell(custom.get(column[7:])))
        else:
            row.append(cell(record.get(column)))
    return row


class _Echo:
    """A file-like object whose write returns what it was given, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(columns: Sequence[str], records: Records) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Devanagari right), a header row, and
    every text cell neutralised."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(columns)
    for record in records:
        yield writer.writerow(
            [neutralise(v) if isinstance(v, str) else v for v in flatten(record, columns)]
        )


def json_chunks(records: Records) -> Iterator[str]:
    """One JSON array, written a record at a time, each as the API writes it."""
    yield "["
    first = True
    for record in records:
        yield ("" if first else ",\n") + dumps(record).decode()
        first = False
    yield "]\n"


def xlsx_file(columns: Sequence[str], records: Records) -> IO[bytes]:
    """An XLSX workbook in a temporary file (openpyxl's write-only mode keeps memory flat).
    Text cells are typed as text, so none can become a formula; past a sheet's last row the
    records go on in a new sheet with the header again."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(columns))
    rows = 1
    for record in records:
        if rows >= XLSX_MAX_ROWS:
            sheet = book.create_sheet()
            sheet.append(list(columns))
            rows = 1
        cells = []
        for value in flatten(record, columns):
            c = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                c.data_type = "s"  # never "f": a leading "=" stays text
            cells.append(c)
        sheet.append(cells)
        rows += 1
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    book.save(handle)
    handle.seek(0)
    return handle


def _vcard_text(value: Any) -> str:
    # RFC 6350 3.4: backslash, comma, semicolon and newlines are escaped in text values.
    text = "" if value is None else str(value)
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    # RFC 6350 3.2: lines longer than 75 octets are folded (CRLF and a space), never inside
    # a UTF-8 sequence.
    out: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out) + "\r\n"


def vcard(properties: Iterable[tuple[str, str]]) -> str:
    """A vCard 4.0 from (name with parameters, already escaped value) pairs."""
    lines = ["BEGIN:VCARD", "VERSION:4.0", *(f"{name}:{value}" for name, value in properties)]
    return "".join(_fold(line) for line in [*lines, "END:VCARD"])


def contact_vcard(record: dict[str, Any]) -> str:
    """A contact (as the API shapes it, plus ``account_name``) as a vCard 4.0."""
    e = _vcard_text
    props: list[tuple[str, str]] = [
        ("FN", e(record.get("full_name") or record.get("email") or "")),
        (
            "N",
            ";".join(
                [
                    e(record.get("last_name")),
                    e(record.get("first_name")),
                    "",
                    e(record.get("salutation")),
                    "",
                ]
            ),
        ),
    ]
    if record.get("email"):
        props.append(("EMAIL;TYPE=work;PREF=1", e(record["email"])))
    props += [("EMAIL", e(v)) for v in record.get("other_emails") or ()]
    if record.get("phone"):
        props.append(("TEL;VALUE=uri;PREF=1", "tel:" + e(record["phone"])))
    props += [("TEL;VALUE=uri", "tel:" + e(v)) for v in record.get("other_phones") or ()]
    if record.get("account_name"):
        props.append(("ORG", e(record["account_name"])))
    if record.get("job_title"):
        props.append(("TITLE", e(record["job_title"])))
    address = [record.get(k) for k in ("street", "city", "state", "postal_code", "country")]
    if any(address):
        props.append(("ADR;TYPE=work", ";".join(["", "", *(e(v) for v in address)])))
    if record.get("birthday"):
        props.append(("BDAY", cell(record["birthday"]).replace("-", "")))
    if record.get("anniversary"):
        props.append(("ANNIVERSARY", cell(record["anniversary"]).replace("-", "")))
    if record.get("preferred_language"):
        props.append(("LANG", e(record["preferred_language"])))
    if record.get("time_zone"):
        props.append(("TZ", e(record["time_zone"])))
    if record.get("tags"):
        props.append(("CATEGORIES", ",".join(e(t) for t in record["tags"])))
    props.append(("UID", f"urn:sambandh:contact:{record['id']}"))
    return vcard(props)


def vcard_chunks(records: Records, to_vcard: Callable[[dict[str, Any]], str]) -> Iterator[str]:
    for record in records:
        yield to_vcard(record)


def text_chunks(
    fmt: str, columns: Sequence[str], records: Records, to_vcard: ToVcard | None = None
) -> Iterator[str]:
    """The text of a CSV, JSON or vCard file, a piece at a time."""
    if fmt == "json":
        return json_chunks(records)
    if fmt == "vcf":
        if to_vcard is None:
            raise ValueError("a vCard export needs to_vcard")
        return vcard_chunks(records, to_vcard)
    return csv_chunks(columns, records)


def export_response(
    fmt: str,
    filename: str,
    columns: Sequence[str],
    records: Records,
    to_vcard: ToVcard | None = None,
) -> StreamingHttpResponse | FileResponse:
    """The download for ``fmt`` (one of FORMATS; the caller has checked it)."""
    name = f"{filename}.{fmt}"
    if fmt == "xlsx":
        return FileResponse(
            xlsx_file(columns, records),
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES[fmt],
        )
    chunks = text_chunks(fmt, columns, records, to_vcard)
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in chunks), content_type=CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_file(
    fmt: str,
    target: IO[bytes],
    columns: Sequence[str],
    records: Records,
    to_vcard: ToVcard | None = None,
) -> None:
    """The same file as ``export_response`` gives, written to ``target`` (a background export)."""
    if fmt == "xlsx":
        with xlsx_file(columns, records) as workbook:
            shutil.copyfileobj(workbook, target)
        return
    for chunk in text_chunks(fmt, columns, records, to_vcard):
        target.write(chunk.encode())
