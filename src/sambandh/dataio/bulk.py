"""Bulk jobs: up to ``BULK_MAX`` records sent as JSON, loaded asynchronously as an import.

The records are written as a CSV file whose columns are their keys (the union of every
record's keys, in the order first seen) and whose mapping is the keys themselves; the job is
then an import like any other: the same engine, checks, progress, problems report and undo,
read at ``/api/v1/imports/{id}``.

Keys are import targets (``first_name``, ``email``, ``tags``, ``owner``, ``account_name``,
``cf.<key>``, ...). A value is text, a number, a boolean or null (a blank cell: the field is
left as it is); a list is allowed for the targets that take several values (``tags``,
``other_emails``, ``other_phones``, ``note``) and is written joined with "; ". In the
problems report, record ``i`` (0-based) is row ``i + 2`` (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, CustomFieldDefinition, User
from sambandh.core.permissions import require
from sambandh.dataio.mapping import check_mapping
from sambandh.dataio.models import ImportJob, ImportMode
from sambandh.dataio.services import (
    KINDS,
    import_job_configure,
    import_job_create,
    import_job_start,
    import_targets,
    job_path,
)

BULK_MAX = 100_000
MAX_ERRORS = 20  # value errors reported per request; the first ones are enough to fix a client
LIST_SEPARATOR = "; "


def _cell(value: Any, *, multiple: bool) -> str | None:
    """The CSV cell of a value, or None when the value cannot be one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if "\x00" not in value else None
    if isinstance(value, list) and multiple:
        items = [_cell(item, multiple=False) for item in value]
        # An item holding the separator would come back as two items.
        if any(item is None or ";" in item for item in items):
            return None
        return LIST_SEPARATOR.join(item for item in items if item)
    return None


def _headers(records: Sequence[Any]) -> list[str]:
    headers: dict[str, None] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValidationError({f"records.{index}": [_("Enter an object.")]})
        for key in record:
            if key not in headers:
                headers[key] = None
    return list(headers)


def _validate(object_type: str, records: Sequence[Any]) -> list[str]:
    """The CSV's headers, once the records' shape is right."""
    if not records:
        raise ValidationError({"records": [_("Send at least one record.")]})
    if len(records) > BULK_MAX:
        raise ValidationError(
            {"records": [_("Send at most %(n)s records in one job.") % {"n": f"{BULK_MAX:,}"}]}
        )
    headers = _headers(records)
    known = {t.name for t in import_targets(object_type)}
    unknown = [h for h in headers if h not in known]
    if unknown:
        raise ValidationError(
            {"records": [_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}]}
        )
    problems = check_mapping(
        headers,
        headers=headers,
        object_type=object_type,  # type: ignore[arg-type]
        custom_fields=CustomFieldDefinition.objects.filter(object_type=object_type),
    )
    if any(p.code == "no_identity" for p in problems):
        raise ValidationError(
            {
                "records": [
                    _("Give each record a name or an email, so that it can be recognised.")
                    if object_type == "contact"
                    else _("Give each record a company name, so that it can be recognised.")
                ]
            }
        )
    if problems:
        raise ValidationError({"records": [str(p.message) for p in problems]})
    return headers


def _csv(object_type: str, headers: list[str], records: Sequence[dict[str, Any]]) -> Any:
    """The records as a UTF-8 CSV file (every cell quoted, so the reader's sniffing cannot
    mistake a semicolon in a value for the delimiter)."""
    multiple = {t.name for t in import_targets(object_type) if t.multiple}
    errors: dict[str, list[str]] = {}
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    writer.writerow(headers)
    for index, record in enumerate(records):
        row = []
        for key in headers:
            cell = _cell(record.get(key), multiple=key in multiple)
            if cell is None:
                if len(errors) < MAX_ERRORS:
                    errors[f"records.{index}.{key}"] = [
                        _("Enter a list of texts without “;”.")
                        if key in multiple and isinstance(record.get(key), list)
                        else _("Enter text, a number, true or false.")
                    ]
                cell = ""
            row.append(cell)
        writer.writerow(row)
    if errors:
        text.close()
        raise ValidationError(errors)
    text.flush()
    text.detach()
    out.seek(0)
    return out


def bulk_job_create(
    *,
    actor: User,
    object_type: str,
    records: Sequence[dict[str, Any]],
    mode: str = ImportMode.CREATE,
    match_on: str | None = None,
    whole_file: bool = False,
) -> ImportJob:
    """Queue the records as an import of ``object_type`` records and return the job.

    Unknown keys, values that cannot be cells, too many records, or choices the import
    refuses (mode, match_on) are a ``ValidationError`` and nothing is kept: neither the job
    nor its file. With ``whole_file`` one bad record writes nothing."""
    if object_type not in KINDS:
        raise ValidationError({"object_type": [_("Choose contacts or companies.")]})
    require(actor, object_type, Action.CREATE)
    if mode != ImportMode.CREATE and mode in ImportMode.values:
        require(actor, object_type, Action.UPDATE)
    headers = _validate(object_type, records)
    upload = _csv(object_type, headers, records)
    job: ImportJob | None = None
    try:
        with transaction.atomic():
            job = import_job_create(
                actor=actor,
                object_type=object_type,
                upload=upload,
                filename=f"bulk-{object_type}s.csv",
            )
            job = import_job_configure(
                actor=actor,
                job=job,
                mapping=list(headers),
                mode=mode,
                match_on=match_on,
                whole_file=whole_file,
            )
            job = import_job_start(actor=actor, job=job)
    except BaseException:
        if job is not None:
            job_path(job).unlink(missing_ok=True)  # the job's row is rolled back; its file too
        raise
    finally:
        upload.close()
    return job
