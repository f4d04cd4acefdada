"""One row of an imported file made into what the services take: the mapping applied, each
cell normalised (``normalise``), natural keys set aside for the chunk to resolve in bulk.

``prepare(row, plan)`` gives a ``Prepared``: ``data`` holds our field names with normalised
values (only the cells that had one: an empty cell leaves the field as it is), ``refs`` the
values that name another record (company, owner, stage, tags, parent) and the note, and
``problems`` what was wrong, placed at the row and the column's header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from sambandh.dataio import normalise as n
from sambandh.dataio.mapping import RECORD_KINDS
from sambandh.dataio.problems import Problem
from sambandh.dataio.readers import Cell

# Targets that name another record or add something beside the record's own fields.
REF_TARGETS = frozenset(
    {"account_name", "account_domain", "owner", "lifecycle_stage", "tags", "note", "parent"}
)
_LIST_SEPARATORS = (";", ",")


@dataclasses.dataclass
class Prepared:
    number: int
    data: dict[str, Any]
    refs: dict[str, Any]
    problems: list[Problem]

    @property
    def has_error(self) -> bool:
        return any(p.is_error for p in self.problems)


@dataclasses.dataclass(frozen=True)
class Plan:
    """How to read a file's rows: per column its header and target, and the job's choices."""

    object_type: str
    headers: Sequence[str]
    mapping: Sequence[str | None]
    default_country: str = "IN"
    day_first: bool = True

    def columns(self) -> list[tuple[int, str, str]]:
        return [
            (index, self.headers[index] if index < len(self.headers) else "", target)
            for index, target in enumerate(self.mapping)
            if target
        ]


def _max_length(object_type: str, name: str) -> int:
    from sambandh.contacts.models import Account, Contact

    model = Contact if object_type == "contact" else Account
    return int(model._meta.get_field(name).max_length or 0)  # type: ignore[union-attr]


def _text_of(limit: int) -> Callable[[Any], n.Normalised[str]]:
    return lambda value: n.normalise_text(value, max_length=limit)


def _name_of(limit: int) -> Callable[[Any], n.Normalised[str]]:
    return lambda value: n.normalise_name(value, max_length=limit)


def _split_list(value: Any) -> list[str]:
    text = n._text(value)
    for separator in _LIST_SEPARATORS:
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return [text] if text else []


class RowReader:
    """Prepares rows of one plan; built once per job (it looks up field lengths once)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.columns = plan.columns()
        self.ref_targets: frozenset[str] = REF_TARGETS
        kind = plan.object_type
        if kind in RECORD_KINDS:
            # Deals, orders and activities: their cells are read by records_cells.
            from sambandh.dataio.records_cells import record_readers

            self.single, self.ref_targets = record_readers(plan)
            return
        names = ("salutation", "first_name", "last_name", "job_title", "source")
        plain = ("street", "city", "state", "postal_code", "external_id")
        single: dict[str, Callable[[Any], n.Normalised[Any]]] = {
            "email": n.normalise_email,
            "country": n.normalise_country,
            "birthday": lambda v: n.normalise_date(v, day_first=plan.day_first),
            "anniversary": lambda v: n.normalise_date(v, day_first=plan.day_first),
            "do_not_contact": n.normalise_bool,
            "annual_revenue": n.normalise_decimal,
        }
        for name in plain:
            single[name] = _text_of(_max_length(kind, name))
        if kind == "contact":
            for name in names:
                single[name] = _name_of(_max_length(kind, name))
            for name in ("preferred_language", "time_zone"):
                single[name] = _text_of(64)
        else:
            single["name"] = _name_of(_max_length(kind, "name"))
            for name in (
                "domain",
                "website",
                "industry",
                "size_band",
                "annual_revenue_currency",
                "type",
            ):
                single[name] = _text_of(_max_length(kind, name))
        self.single = single

    def prepare(
        self, number: int, cells: Sequence[Cell], found: Sequence[Problem] = ()
    ) -> Prepared:
        plan = self.plan
        data: dict[str, Any] = {}
        refs: dict[str, Any] = {}
        problems: list[Problem] = list(found)
        phones: list[tuple[str, str, Cell]] = []  # (target, header, cell): read after the country
        full_name: str | None = None
        for index, header, target in self.columns:
            cell = cells[index] if index < len(cells) else None
            if cell is None or cell == "":
                continue
            if target in ("phone", "other_phones"):
                phones.append((target, header, cell))
                continue
            if target == "full_name":
                full_name = n._text(cell)
                continue
            if target == "other_emails":
                emails, problem = n.normalise_emails(cell)
                self._note(problems, problem, number, header)
                if emails:
                    data.setdefault("other_emails", [])
                    data["other_emails"] += [e for e in emails if e not in data["other_emails"]]
                continue
            if target.startswith("cf."):
                text, problem = n.normalise_text(cell)
                self._note(problems, problem, number, header)
                if text is not None:
                    data.setdefault("custom", {})[target[3:]] = text
                continue
            if target in self.ref_targets:
                self._ref(refs, target, cell, number, header, problems)
                continue
            reader = self.single.get(target)
            if reader is None:
                continue
            value, problem = reader(cell)
            self._note(problems, problem, number, header)
            if value is not None:
                data[target] = value
        if full_name:
            salutation, first, last = n.split_full_name(full_name)
            for key, value in (
                ("salutation", salutation),
                ("first_name", first),
                ("last_name", last),
            ):
                if value and key not in data:
                    data[key] = value[: _max_length(plan.object_type, key)]
        if phones:
            country = data.get("country") or plan.default_country
            for target, header, cell in phones:
                if target == "phone":
                    phone, problem = n.normalise_phone(cell, default_country=country)
                    self._note(problems, problem, number, header)
                    if phone:
                        data["phone"] = phone
                else:
                    found_phones, problem = n.normalise_phones(cell, default_country=country)
                    self._note(problems, problem, number, header)
                    if found_phones:
                        data.setdefault("other_phones", [])
                        data["other_phones"] += [
                            p for p in found_phones if p not in data["other_phones"]
                        ]
        return Prepared(number, data, refs, problems)

    @staticmethod
    def _note(problems: list[Problem], problem: Problem | None, number: int, header: str) -> None:
        if problem is not None:
            problems.append(problem.at(row=number, field=header))

    def _ref(
        self,
        refs: dict[str, Any],
        target: str,
        cell: Cell,
        number: int,
        header: str,
        problems: list[Problem],
    ) -> None:
        if target == "tags":
            refs.setdefault("tags", [])
            for name in _split_list(cell):
                self._note(problems, n.formula_warning(name), number, header)
                if name.casefold() not in {t.casefold() for t in refs["tags"]}:
                    refs["tags"].append(name[:60])
            return
        if target == "note":
            text, problem = n.normalise_text(cell, max_length=10_000)
            self._note(problems, problem, number, header)
            if text:
                refs["note"] = f"{refs['note']}\n\n{text}" if refs.get("note") else text
            return
        if target == "account_domain":
            text = n._text(cell).lower()
            text = text.removeprefix("https://").removeprefix("http://").removeprefix("www.")
            refs[target] = text.split("/")[0][:253]
            return
        text, problem = n.normalise_name(cell, max_length=254)
        self._note(problems, problem, number, header)
        if text:
            refs[target] = text
