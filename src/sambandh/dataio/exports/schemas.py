"""API schemas and OpenAPI texts of exports, shared by every list's export endpoint (this
app's and the contacts'). Imports nothing of the apps, so any API module can use it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from sambandh.core.exporting import CONTENT_TYPES


class ExportJobOut(Schema):
    id: int
    object_type: str = Field(description="contact, account, deal, order or activity")
    format: str = Field(description="csv, xlsx, json or vcf")
    status: str = Field(description="queued, running, completed or failed")
    selection: dict[str, Any] = Field(description="The list's filters, q, tag and sort.")
    rows_written: int
    file_name: str
    file_size: int
    error: str | None = Field(description="Why it failed: permission, invalid or failed.")
    error_message: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    file_url: str | None = Field(description="Where the file is, once `completed`.")


class ExportJobPageOut(Schema):
    items: list[ExportJobOut]
    next_cursor: str | None


QUEUED_NOTE = (
    " A selection of more records than the server's background threshold (50,000 unless "
    "configured) is not streamed: the answer is 202 with the export job and `Location: "
    "/api/v1/exports/{id}`, where its status is read; its file is then at "
    "`/api/v1/exports/{id}/file` for 7 days. Audited once, when asked for. Spreadsheet "
    "cells that would start a formula are neutralised; money is an amount column beside a "
    "currency column; dates and times are ISO 8601."
)


_BINARY: dict[str, Any] = {"type": "string", "format": "binary"}
# A JSON export is a JSON document (an array of records), which clients and validators read
# as JSON: it must not be described as a binary string.
_FILE_SCHEMAS: dict[str, dict[str, Any]] = {
    "json": {"type": "array", "items": {"type": "object"}},
}


def export_responses(formats: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI answers of an export: the file (200) or the queued job (202)."""
    return {
        "200": {
            "description": "The file: every record of the selection you may export.",
            "content": {
                CONTENT_TYPES[f].split(";")[0]: {"schema": _FILE_SCHEMAS.get(f, _BINARY)}
                for f in formats
            },
        },
        "202": {"description": "A large selection, queued: the export job."},
    }
