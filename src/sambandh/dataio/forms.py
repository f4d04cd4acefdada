"""What the import pages show and read: the mapping table (a column's header, sample values,
the chosen field and how sure the suggestion was), the job's choices, the preview and the
fix-a-row form. Reading only: every write goes through ``dataio.services``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.http import QueryDict
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import Action, CustomFieldDefinition, ObjectType, User
from sambandh.core.permissions import has_grant
from sambandh.core.validation import country_codes, country_name
from sambandh.dataio.engine import MATCH_KEYS
from sambandh.dataio.mapping import RECORD_KINDS, Match, Suggestion, Target, suggest_mapping
from sambandh.dataio.models import DuplicateHandling, ImportJob, ImportMode
from sambandh.dataio.readers import FileFormat, open_table
from sambandh.dataio.services import import_targets, job_path

KIND_LABELS: dict[str, StrOrPromise] = {
    ObjectType.CONTACT: gettext_lazy("Contacts"),
    ObjectType.ACCOUNT: gettext_lazy("Companies"),
    ObjectType.DEAL: gettext_lazy("Deals"),
    ObjectType.ORDER: gettext_lazy("Orders"),
    ObjectType.ACTIVITY: gettext_lazy("Activities"),
}
SAMPLES = 3  # values shown per column
SAMPLE_ROWS = 20  # rows read to find them
SURE = 0.9  # a suggestion at least this sure (an exact or known name) is "suggested"


def language() -> str:
    return (translation.get_language() or "en").split("-")[0]


def kinds_for(actor: User) -> list[str]:
    """The kinds of record ``actor`` may import (create)."""
    return [kind for kind in KIND_LABELS if has_grant(actor, kind, Action.CREATE)]


def target_label(object_type: str, target: Target) -> str:
    """A target's label in the active language: its model field's, or its own."""
    if target.model_field:
        model: type[Contact] | type[Account] = (
            Contact if object_type == ObjectType.CONTACT else Account
        )
        try:
            return capfirst(str(model._meta.get_field(target.name).verbose_name))  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - a pseudo-field has no model field
            return target.name
    return capfirst(str(target.label))


def target_choices(object_type: str) -> list[tuple[str, str]]:
    return [(t.name, target_label(object_type, t)) for t in import_targets(object_type)]


def match_choices(object_type: str) -> list[tuple[str, str]]:
    labels = dict(target_choices(object_type))
    return [(key, labels.get(key, key)) for key in MATCH_KEYS[object_type]]  # type: ignore[index]


def countries() -> list[tuple[str, str]]:
    """Every country as (code, name in the active language), by name."""
    lang = language()
    names = [(code, country_name(code, lang)) for code in country_codes()]
    return sorted(names, key=lambda pair: pair[1].casefold())


def mode_choices(actor: User, object_type: str) -> list[tuple[str, StrOrPromise]]:
    """The modes ``actor`` may use: updating records needs the update grant (and deals,
    orders and activities are imported as new records only)."""
    if object_type not in RECORD_KINDS and has_grant(actor, object_type, Action.UPDATE):
        return list(ImportMode.choices)
    return [(ImportMode.CREATE, ImportMode.CREATE.label)]


def suggestions(job: ImportJob) -> list[Suggestion]:
    custom = list(CustomFieldDefinition.objects.filter(object_type=job.object_type))
    return suggest_mapping(job.headers, object_type=job.object_type, custom_fields=custom)  # type: ignore[arg-type]


def _text(value: Any) -> str:
    """A cell or a normalised value as short text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def column_samples(job: ImportJob) -> list[list[str]]:
    """Up to ``SAMPLES`` different values of each column, from the file's first rows."""
    found: list[list[str]] = [[] for _header in job.headers]
    with open_table(
        job_path(job),
        filename=job.file_name,
        file_format=FileFormat(job.file_format) if job.file_format else None,
        encoding=job.encoding or None,
    ) as table:
        for count, row in enumerate(table.rows()):
            for index, cell in enumerate(row.cells[: len(found)]):
                text = _text(cell).strip()
                if text and text not in found[index] and len(found[index]) < SAMPLES:
                    found[index].append(text[:80])
            if count + 1 >= SAMPLE_ROWS:
                break
    return found


def mapping_columns(
    job: ImportJob, chosen: Sequence[str | None], samples: Sequence[Sequence[str]]
) -> list[dict[str, Any]]:
    """One row of the mapping table per column: the header, samples, the chosen target and a
    hint when the choice is the suggestion (sure: "suggested"; a guess: "check this")."""
    suggested = suggestions(job)
    rows = []
    for index, header in enumerate(job.headers):
        target = chosen[index] if index < len(chosen) else None
        hint = ""
        if index < len(suggested):
            s = suggested[index]
            if s.target is not None and s.target == target:
                hint = "check" if s.match == Match.FUZZY or s.confidence < SURE else "suggested"
        rows.append(
            {
                "index": index,
                "header": header,
                "samples": samples[index] if index < len(samples) else [],
                "target": target or "",
                "hint": hint,
            }
        )
    return rows


@dataclasses.dataclass
class Config:
    """The mapping form's values, as ``import_job_configure`` takes them."""

    mapping: list[str | None]
    mode: str
    match_on: str
    duplicates: str
    whole_file: bool
    default_country: str
    day_first: bool
    save_as: str = ""

    @classmethod
    def of(cls, job: ImportJob) -> Config:
        return cls(
            mapping=list(job.mapping),
            mode=job.mode,
            match_on=job.match_on,
            duplicates=job.duplicates,
            whole_file=job.whole_file,
            default_country=job.default_country,
            day_first=job.day_first,
        )

    @classmethod
    def read(cls, post: QueryDict, job: ImportJob) -> Config:
        return cls(
            mapping=[post.get(f"mapping-{i}", "").strip() or None for i in range(len(job.headers))],
            mode=post.get("mode", ImportMode.CREATE),
            match_on=post.get("match_on", ""),
            duplicates=post.get("duplicates", DuplicateHandling.SKIP),
            whole_file=post.get("whole_file") == "1",
            default_country=post.get("default_country", "").strip().upper(),
            day_first=post.get("day_first") == "1",
            save_as=post.get("save_as", "").strip()[:100],
        )

    def kwargs(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def preview_table(
    job: ImportJob, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The preview's columns (each mapped field once, in the file's order) and its rows:
    each field's value as it will be imported and the row's problems."""
    labels = dict(target_choices(job.object_type))
    targets: list[str] = []
    for target in job.mapping:
        if target and target not in targets:
            targets.append(target)
    out = []
    for row in rows:
        data, refs = row["data"], row["refs"]
        values = []
        for target in targets:
            if target == "full_name":
                parts = (data.get(k) for k in ("salutation", "first_name", "last_name"))
                value: Any = " ".join(p for p in parts if p)
            elif target.startswith("cf."):
                value = (data.get("custom") or {}).get(target[3:])
            elif target in refs:
                value = refs[target]
            else:
                value = data.get(target)
            values.append(_text(value))
        out.append(
            {
                "row": row["row"],
                "values": values,
                "problems": [
                    {"field": p.field, "message": str(p.message), "level": str(p.level)}
                    for p in row["problems"]
                ],
            }
        )
    return [labels.get(t, t) for t in targets], out


def level_label(level: str) -> str:
    return _("Error") if level == "error" else _("Warning")
