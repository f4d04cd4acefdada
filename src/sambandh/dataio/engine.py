"""The import engine: a chunk of prepared rows checked, matched and (unless a dry run) written.

One ``Importer`` per job run. ``chunk(rows)`` resolves the chunk's natural keys in a few
queries (companies by domain or name, owners by email or username, stages, tags), cleans every
value with the contact and company services' own cleaners (so a file accepts exactly what a
form or the API accepts), finds existing records by the job's match key, decides per row
(create, update, skip, fail) and, when writing, writes the whole chunk in bulk: records, tags,
notes, search documents, one domain event per record, the ``ImportChange`` rows undo needs,
and one audit entry for the chunk. The caller wraps a chunk and its checkpoint in one
transaction.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, Protocol

from django.conf import settings
from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Account, Contact, LifecycleStage, Note, Tag
from sambandh.contacts.services.cleaning import (
    _account_cleaners,
    _account_document,
    _check_assignment,
    _check_assignment_create,
    _contact_cleaners,
    _first_team,
    contact_document,
)
from sambandh.core.audit import audit_record
from sambandh.core.bulk import (
    PlannerStatistics,
    defaults,
    insert_records,
    insert_rows,
    update_records,
)
from sambandh.core.context import current_request_id
from sambandh.core.custom_fields import clean_custom_values
from sambandh.core.errors import SambandhError
from sambandh.core.events import events_written
from sambandh.core.models import Action, ObjectType, OutboxEvent, User
from sambandh.core.permissions import has_grant, visible
from sambandh.core.records import jsonable
from sambandh.core.search import Documents
from sambandh.dataio.mapping import RECORD_KINDS
from sambandh.dataio.models import ImportChange, ImportJob, ImportMode
from sambandh.dataio.problems import Level, Problem
from sambandh.dataio.readers import Row
from sambandh.dataio.rows import Plan, Prepared, RowReader
from sambandh.sales.services.territories import TerritoryMatcher, _assignment_values

CHUNK_ROWS = 1000
MATCH_KEYS = {
    ObjectType.CONTACT: ("email", "external_id"),
    ObjectType.ACCOUNT: ("domain", "name", "external_id"),
    # Deals, orders and activities are imported as new records only (``records_engine``): an
    # order's number finds one imported before (skipped as a duplicate); a deal's name and an
    # activity's subject are recorded as the key but match nothing.
    ObjectType.DEAL: ("name",),
    ObjectType.ORDER: ("external_id",),
    ObjectType.ACTIVITY: ("subject",),
}
# Fields the engine resolves itself (from natural keys), so no service cleaner runs on them.
_RESOLVED = frozenset({"owner_id", "team_id", "account_id", "parent_id", "lifecycle_stage"})
# Fields whose normaliser already applied the service's own rule (``validation.clean_email``,
# ``validation.clean_phone``): cleaning them again would only repeat the work.
# So are the plain text fields: ``rows`` trims them, drops control characters and checks the
# model's length, as the service's ``clean_text`` would.
_ALREADY_CLEAN = frozenset(
    {
        "email",
        "phone",
        "salutation",
        "first_name",
        "last_name",
        "job_title",
        "source",
        "street",
        "city",
        "state",
        "postal_code",
        "external_id",
        "name",
        "industry",
    }
)


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def messages_of(problem: Problem) -> dict[str, str]:
    """The problem's message in every UI language (it is lazy: rendered per language)."""
    out = {}
    for language in languages():
        with translation.override(language):
            out[language] = str(problem.message)
    return out


def _problem(
    code: str,
    template: Any,
    *,
    row: int,
    field: str = "",
    level: Level = Level.ERROR,
    **params: Any,
) -> Problem:
    return Problem.make(code, template, row=row, field=field, level=level, **params)


def _error_in_languages(call: Callable[[], Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for language in languages():
        with translation.override(language):
            try:
                call()
            except ValueError as exc:
                out[language] = str(exc)
            except SambandhError as exc:
                out[language] = _first_message(exc)
    return out


def _first_message(exc: SambandhError) -> str:
    fields = getattr(exc, "fields", None) or {}
    for messages in fields.values():
        if messages:
            return str(messages[0])
    return str(exc.message)


@dataclasses.dataclass
class RowProblem:
    """A problem as stored: its place and its message in every language."""

    row: int | None
    field: str
    code: str
    level: str
    messages: dict[str, str]

    @classmethod
    def of(cls, problem: Problem) -> RowProblem:
        return cls(
            problem.row, problem.field, problem.code, str(problem.level), messages_of(problem)
        )


@dataclasses.dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    companies: int = 0
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    failed_cells: dict[int, list[str]] = dataclasses.field(default_factory=dict)

    def add(self, other: Outcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        self.failed += other.failed
        self.companies += other.companies

    @property
    def errors(self) -> int:
        return self.failed


@dataclasses.dataclass
class _Decision:
    prepared: Prepared
    values: dict[str, Any]
    custom: dict[str, Any] | None
    tags: list[str]
    note: str
    action: str = "create"  # create, update, skip, fail
    existing: Any = None
    into: _Decision | None = None  # an earlier row of this chunk it updates
    cells: list[str] = dataclasses.field(default_factory=list)
    problems: list[RowProblem] = dataclasses.field(default_factory=list)


class ChunkImporter(Protocol):
    """What the job workflow needs of an importer: ``chunk`` checks (and writes) rows;
    with ``gather`` on, what the written chunks leave to do (the search documents) waits
    for ``finish_transaction``, to be done once before the commit."""

    job: ImportJob
    gather: bool

    def chunk(self, rows: Sequence[Row], prepared: Sequence[Prepared] | None = None) -> Outcome: ...

    def finish_transaction(self) -> None: ...


def make_importer(job: ImportJob, actor: User, *, write: bool) -> ChunkImporter:
    """The importer for the job's kind: this bulk engine for contacts and companies, the
    row-by-row one of ``records_engine`` (each row through its create service) for deals,
    orders and activities."""
    if job.object_type in RECORD_KINDS:
        from sambandh.dataio.records_engine import RecordImporter

        return RecordImporter(job, actor, write=write)
    return Importer(job, actor, write=write)


class Importer:
    """Checks and writes the chunks of one job, as ``actor``."""

    def __init__(self, job: ImportJob, actor: User, *, write: bool) -> None:
        self.job = job
        self.actor = actor
        self.write = write
        self.kind = job.object_type
        self.model: type[Contact] | type[Account] = (
            Contact if self.kind == ObjectType.CONTACT else Account
        )
        self.plan = Plan(
            object_type=self.kind,
            headers=job.headers,
            mapping=job.mapping,
            default_country=job.default_country,
            day_first=job.day_first,
        )
        self.reader = RowReader(self.plan)
        self.header_of = {target: header for _i, header, target in self.plan.columns()}
        self.gather = False
        self.documents = Documents()
        self.statistics = PlannerStatistics()
        self.now = timezone.now()
        self.first_team = _first_team(actor)
        self.may_create_companies = self.kind == ObjectType.CONTACT and has_grant(
            actor, ObjectType.ACCOUNT, Action.CREATE
        )
        self.may_create_tags = has_grant(actor, ObjectType.TAG, Action.CREATE)
        self.tags: dict[str, int] = {}
        if "tags" in self.header_of:
            self.tags = {name.casefold(): pk for pk, name in Tag.objects.values_list("pk", "name")}
        self.owners = self._owners()
        self.stages = self._stages()
        self.seen: dict[str, int] = {}  # dry run: match key -> the row that would create it

        self.matcher = TerritoryMatcher()
        self.territories = {r.territory.pk: r.territory for r in self.matcher.rules}
        self.record_defaults = defaults(self.model)
        self.note_defaults = defaults(Note)
        self.now_db = OutboxEvent._meta.get_field("created_at").get_db_prep_save(
            self.now, connection
        )
        from sambandh.sales.models import ScoringRule

        self.scoring = ScoringRule.objects.filter(is_active=True).exists()

    # ------------------------------------------------------------ lookups done once

    def _owners(self) -> dict[str, int]:
        if "owner" not in self.header_of:
            return {}
        found: dict[str, int] = {}
        for pk, username, email in User.objects.filter(is_active=True).values_list(
            "pk", "username", "email"
        ):
            found.setdefault(username.casefold(), pk)
            if email:
                found.setdefault(email.casefold(), pk)
        return found

    def _stages(self) -> dict[str, LifecycleStage]:
        if "lifecycle_stage" not in self.header_of:
            return {}
        found: dict[str, LifecycleStage] = {}
        for stage in LifecycleStage.objects.filter(is_active=True):
            for name in (stage.key, stage.label_en, stage.label_hi):
                if name:
                    found.setdefault(name.casefold(), stage)
        return found

    # ------------------------------------------------------------ a chunk

    def chunk(self, rows: Sequence[Row], prepared: Sequence[Prepared] | None = None) -> Outcome:
        """Check (and write) a chunk; ``prepared``: its rows already prepared (by the
        pipeline's reader process), else they are prepared here."""
        if prepared is None:
            prepared = [self.reader.prepare(r.number, r.cells, r.problems) for r in rows]
        decisions = [self._decision(p) for p in prepared]
        for d, row in zip(decisions, rows, strict=True):
            d.cells = row.cells  # type: ignore[assignment]
        self._resolve_companies(decisions)
        self._resolve_parents(decisions)
        for d in decisions:
            if d.action != "fail":
                self._clean(d)
        self._match(decisions)
        for d in decisions:
            if d.action in ("create", "update") and d.into is None:
                self._check_assignment(d)
        outcome = Outcome()
        for d in decisions:
            outcome.problems += d.problems
            if d.action == "fail":
                outcome.failed += 1
                outcome.failed_cells[d.prepared.number] = d.cells
            elif d.action == "skip":
                outcome.skipped += 1
            elif d.action == "update" or d.into is not None:
                outcome.updated += 1
            else:
                outcome.created += 1
        # Only rows that are written create companies: a row that failed or was skipped after
        # its company was resolved must not leave one behind.
        used = {
            id(d.values["_company"])
            for d in decisions
            if d.action in ("create", "update") and "_company" in d.values
        }
        self._pending_companies = {
            key: company for key, company in self._pending_companies.items() if id(company) in used
        }
        outcome.companies = len(self._pending_companies)
        if self.write:
            self._write(decisions, outcome)
        return outcome

    def _fail(self, d: _Decision, code: str, template: Any, field: str = "", **params: Any) -> None:
        d.action = "fail"
        d.problems.append(
            RowProblem.of(_problem(code, template, row=d.prepared.number, field=field, **params))
        )

    def _decision(self, p: Prepared) -> _Decision:
        d = _Decision(p, dict(p.data), p.data.pop("custom", None), [], "")
        d.values.pop("custom", None)
        d.problems = [RowProblem.of(problem) for problem in p.problems]
        if p.has_error:
            d.action = "fail"
        refs = p.refs
        d.tags = list(refs.get("tags", ()))
        unknown = [t for t in d.tags if t.casefold() not in self.tags]
        if unknown and not self.may_create_tags:
            self._fail(
                d,
                "unknown_tag",
                _("There is no tag “%(value)s”, and you may not create tags."),
                self.header_of.get("tags", ""),
                value=unknown[0][:60],
            )
        d.note = refs.get("note", "")
        if "owner" in refs:
            owner = self.owners.get(refs["owner"].casefold())
            if owner is None:
                self._fail(
                    d,
                    "unknown_owner",
                    _("No active user has the email or username “%(value)s”."),
                    self.header_of.get("owner", ""),
                    value=refs["owner"][:100],
                )
            else:
                d.values["owner_id"] = owner
        if "lifecycle_stage" in refs:
            stage = self.stages.get(refs["lifecycle_stage"].casefold())
            if stage is None:
                self._fail(
                    d,
                    "unknown_stage",
                    _("“%(value)s” is not a lifecycle stage."),
                    self.header_of.get("lifecycle_stage", ""),
                    value=refs["lifecycle_stage"][:100],
                )
            else:
                d.values["lifecycle_stage"] = stage
        return d

    # companies named by contacts, looked up per chunk and created when missing
    _pending_companies: dict[str, Account]

    def _resolve_companies(self, decisions: list[_Decision]) -> None:
        self._pending_companies = {}
        self._company_territory: dict[int, int | None] = {}
        if self.kind != ObjectType.CONTACT:
            return
        wanted = [
            d
            for d in decisions
            if "account_name" in d.prepared.refs or "account_domain" in d.prepared.refs
        ]
        if not wanted:
            return
        domains = {
            d.prepared.refs["account_domain"]
            for d in wanted
            if d.prepared.refs.get("account_domain")
        }
        names = {
            d.prepared.refs["account_name"].casefold()
            for d in wanted
            if d.prepared.refs.get("account_name")
        }
        by_domain: dict[str, tuple[int, int | None]] = {}
        by_name: dict[str, tuple[int, int | None]] = {}
        accounts = visible(self.actor, Account)
        if domains:
            for pk, domain, territory in (
                accounts.filter(domain__in=domains)
                .order_by("id")
                .values_list("pk", "domain", "territory_id")
            ):
                by_domain.setdefault(domain, (pk, territory))
        if names:
            for pk, name, territory in (
                accounts.annotate(lname=Lower("name"))
                .filter(lname__in=names)
                .order_by("id")
                .values_list("pk", "name", "territory_id")
            ):
                by_name.setdefault(name.casefold(), (pk, territory))
        for d in wanted:
            domain = d.prepared.refs.get("account_domain", "")
            name = d.prepared.refs.get("account_name", "")
            found = by_domain.get(domain) if domain else None
            if found is None and name:
                found = by_name.get(name.casefold())
            if found is not None:
                d.values["account_id"] = found[0]
                self._company_territory[found[0]] = found[1]
                continue
            if not name:
                if d.action != "fail":
                    self._fail(
                        d,
                        "unknown_company",
                        _("No company has the domain “%(value)s”."),
                        self.header_of.get("account_domain", ""),
                        value=domain[:100],
                    )
                continue
            if not self.may_create_companies:
                if d.action != "fail":
                    self._fail(
                        d,
                        "unknown_company",
                        _("No company is called “%(value)s”, and you may not create companies."),
                        self.header_of.get("account_name", ""),
                        value=name[:100],
                    )
                continue
            if d.action == "fail":
                continue
            key = domain or name.casefold()
            company = self._pending_companies.get(key)
            if company is None:
                company = Account(name=name[:200], domain=domain)
                self._pending_companies[key] = company
            d.values["_company"] = company

    def _resolve_parents(self, decisions: list[_Decision]) -> None:
        if self.kind != ObjectType.ACCOUNT:
            return
        names = {
            d.prepared.refs["parent"].casefold() for d in decisions if d.prepared.refs.get("parent")
        }
        if not names:
            return
        found: dict[str, int] = {}
        for pk, name in (
            visible(self.actor, Account)
            .annotate(lname=Lower("name"))
            .filter(lname__in=names)
            .order_by("id")
            .values_list("pk", "name")
        ):
            found.setdefault(name.casefold(), pk)
        for d in decisions:
            parent = d.prepared.refs.get("parent")
            if not parent:
                continue
            parent_id = found.get(parent.casefold())
            if parent_id is None:
                if d.action != "fail":
                    self._fail(
                        d,
                        "unknown_company",
                        _("No company is called “%(value)s”."),
                        self.header_of.get("parent", ""),
                        value=parent[:100],
                    )
            else:
                d.values["parent_id"] = parent_id

    # ------------------------------------------------------------ cleaning with the services' rules

    def _cleaners(self, region: str) -> dict[str, Callable[[Any], Any]]:
        cache = self.__dict__.setdefault("_cleaner_cache", {})
        if region not in cache:
            make = _contact_cleaners if self.kind == ObjectType.CONTACT else _account_cleaners
            cache[region] = make(self.actor, region)
        result: dict[str, Callable[[Any], Any]] = cache[region]
        return result

    def _clean(self, d: _Decision) -> None:
        region = d.values.get("country") or self.job.default_country
        cleaners = self._cleaners(region)
        for name, value in list(d.values.items()):
            if name in _RESOLVED or name in _ALREADY_CLEAN or name.startswith("_"):
                continue
            cleaner = cleaners.get(name)
            if cleaner is None:
                continue
            try:
                d.values[name] = cleaner(value)
            except ValueError:
                d.action = "fail"
                d.problems.append(
                    RowProblem(
                        d.prepared.number,
                        self.header_of.get(name, name),
                        "invalid",
                        str(Level.ERROR),
                        _error_in_languages(functools.partial(cleaner, value)),
                    )
                )
        if d.custom:
            errors: dict[str, list[str]] = {}
            clean_custom_values(
                actor=self.actor,
                object_type=self.kind,
                incoming=d.custom,
                existing={},
                errors=errors,
                creating=False,
            )
            for key in errors:
                d.action = "fail"

                def again(key: str = key) -> None:
                    errs: dict[str, list[str]] = {}
                    clean_custom_values(
                        actor=self.actor,
                        object_type=self.kind,
                        incoming=d.custom or {},
                        existing={},
                        errors=errs,
                        creating=False,
                    )
                    if errs.get(key):
                        raise ValueError(errs[key][0])

                d.problems.append(
                    RowProblem(
                        d.prepared.number,
                        self.header_of.get(key, key.removeprefix("cf.")),
                        "invalid",
                        str(Level.ERROR),
                        _error_in_languages(again),
                    )
                )

    def _check_assignment(self, d: _Decision) -> None:
        values = {k: v for k, v in d.values.items() if k in ("owner_id", "team_id")}
        if not values:
            return
        try:
            if d.action == "create":
                _check_assignment_create(self.actor, values, self.kind)
            else:
                _check_assignment(self.actor, values, d.existing)
        except SambandhError:
            existing = d.existing
            action = d.action

            def again() -> None:
                if action == "create":
                    _check_assignment_create(self.actor, values, self.kind)
                else:
                    _check_assignment(self.actor, values, existing)

            d.action = "fail"
            d.problems.append(
                RowProblem(
                    d.prepared.number,
                    self.header_of.get("owner", ""),
                    "not_allowed",
                    str(Level.ERROR),
                    _error_in_languages(again),
                )
            )

    # ------------------------------------------------------------ matching

    def _key(self, d: _Decision) -> str:
        value = d.values.get(self.job.match_on) or ""
        return str(value).casefold() if self.job.match_on == "name" else str(value)

    def _match(self, decisions: list[_Decision]) -> None:
        match_on = self.job.match_on
        live = [d for d in decisions if d.action != "fail"]
        keys = {self._key(d) for d in live} - {""}
        existing: dict[str, list[Any]] = {}
        if keys:
            records = visible(self.actor, self.model)
            if match_on in ("email", "name"):
                column = "lkey"
                records = records.annotate(lkey=Lower(match_on)).filter(lkey__in=keys)
            else:
                column = match_on
                records = records.filter(**{f"{match_on}__in": keys})
            if self.write and self.job.mode != ImportMode.CREATE:
                records = records.select_for_update()
            for record in records.order_by("id"):
                value = getattr(record, column)
                existing.setdefault(
                    str(value).casefold()
                    if match_on == "name"
                    else str(value).lower()
                    if match_on == "email"
                    else str(value),
                    [],
                ).append(record)
        updatable: set[int] = set()
        if existing and self.job.mode != ImportMode.CREATE:
            ids = [r.pk for found in existing.values() for r in found]
            updatable = set(
                visible(self.actor, self.model, Action.UPDATE)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
        earlier: dict[str, _Decision] = {}
        header = self.header_of.get(match_on, match_on)
        for d in live:
            key = self._key(d)
            found = existing.get(key, []) if key else []
            first = earlier.get(key) if key else None
            prior_row = self.seen.get(key) if key and not self.write else None
            if len(found) > 1:
                self._fail(
                    d,
                    "ambiguous",
                    _("More than one record has “%(value)s”; the row cannot tell which to use."),
                    header,
                    value=key[:100],
                )
                continue
            if self.job.mode == ImportMode.CREATE:
                if found or first is not None or prior_row is not None:
                    self._duplicate(d, key, header, found[0] if found else None, first, prior_row)
                    continue
            elif found:
                record = found[0]
                if record.pk not in updatable:
                    self._fail(d, "not_allowed", _("You may not change this record."), header)
                    continue
                if first is not None:
                    # An earlier row of this chunk updates the same record: one update, this
                    # row's values winning (the record must not be written twice in a chunk).
                    d.action, d.into = "update", first
                else:
                    d.action, d.existing = "update", record
                    earlier[key] = d
            elif first is not None or prior_row is not None:
                if first is not None:
                    d.into = first
                d.action = "update"
            elif self.job.mode == ImportMode.UPDATE:
                self._fail(
                    d,
                    "not_found",
                    _("No record has “%(value)s” to update.")
                    if key
                    else _("The row has no value to find the record by."),
                    header,
                    value=key[:100],
                )
                continue
            if d.action == "create" and d.into is None:
                if not self._identifies(d):
                    continue
                if key:
                    earlier[key] = d
                    if not self.write:
                        self.seen[key] = d.prepared.number
            elif d.action == "update" and d.existing is None and d.into is None:
                # An earlier chunk of this dry run creates it: counted as an update.
                pass

    def _identifies(self, d: _Decision) -> bool:
        values = d.values
        if self.kind == ObjectType.CONTACT:
            ok = bool(values.get("first_name") or values.get("last_name") or values.get("email"))
            if not ok:
                self._fail(d, "no_identity", _("The row has neither a name nor an email address."))
            return ok
        if not values.get("name"):
            self._fail(d, "no_identity", _("The row has no company name."))
            return False
        return True

    def _duplicate(
        self,
        d: _Decision,
        key: str,
        header: str,
        record: Any,
        first: _Decision | None,
        prior: int | None,
    ) -> None:
        row = first.prepared.number if first is not None else prior
        if record is not None:
            template = _("A record with “%(value)s” already exists.")
        else:
            template = _("“%(value)s” is already in row %(earlier)s of this file.")
        problem = _problem(
            "duplicate",
            template,
            row=d.prepared.number,
            field=header,
            level=Level.WARNING if self.job.duplicates == "skip" else Level.ERROR,
            value=key[:100],
            earlier=row,
        )
        d.problems.append(RowProblem.of(problem))
        d.action = "skip" if self.job.duplicates == "skip" else "fail"

    # ------------------------------------------------------------ writing

    def _write(self, decisions: list[_Decision], outcome: Outcome) -> None:
        actor = self.actor
        kind = self.kind
        now_db = self.now_db
        changes: list[tuple[Any, ...]] = []  # (object_type, object_id, action, row, before)
        events: list[tuple[str, str, int]] = []  # (name, object_type, object_id)
        companies = list(self._pending_companies.values())
        if companies:
            for company in companies:
                company.owner_id = actor.pk
                company.team_id = self.first_team
                company.created_by_id = actor.pk
                company.created_at = company.updated_at = self.now
                found = self.matcher.for_account(company)
                company.territory_id = found.pk if found is not None else None
            insert_records(Account, companies)
            self.statistics.grew(Account, len(companies))
            self.documents.add(
                ObjectType.ACCOUNT, [(a.pk, _account_document(a)) for a in companies], new=True
            )
            changes += [(ObjectType.ACCOUNT, a.pk, "created", None, None) for a in companies]
            events += [("account.created", ObjectType.ACCOUNT, a.pk) for a in companies]
            for company in companies:
                self._company_territory[company.pk] = company.territory_id
        creates: list[_Decision] = []
        updates: list[_Decision] = []
        for d in decisions:
            company = d.values.pop("_company", None)
            if company is not None:
                d.values["account_id"] = company.pk
            if d.action == "create" and d.into is None:
                creates.append(d)
            elif d.action == "update":
                if d.into is not None:
                    self._merge_into(d.into, d)
                else:
                    updates.append(d)
        new_records = [self._new_record(d) for d in creates]
        insert_records(self.model, new_records)
        self.statistics.grew(self.model, len(new_records))
        tag_ids = self._tag_ids(creates + updates)
        through = self.model.tags.through
        field = "contact_id" if kind == ObjectType.CONTACT else "account_id"
        links: list[tuple[int, int]] = []
        notes: list[Any] = []
        for d, record in zip(creates, new_records, strict=True):
            changes.append((kind, record.id, "created", d.prepared.number, None))
            for tag in d.tags:
                links.append((record.id, tag_ids[tag.casefold()]))
            if d.note:
                notes.append(self._note(record.id, d.note))
        touched: list[Any] = []
        touched_fields: list[list[str]] = []
        to_document = contact_document if kind == ObjectType.CONTACT else _account_document
        redocumented: list[tuple[int, str]] = []  # updated records whose search text changed
        # The tags the updated records already have, in one query for the chunk.
        has_tags: dict[int, set[int]] = {}
        tagged = [d.existing.pk for d in updates if d.tags]
        if tagged:
            for record_id, tag_id in through.objects.filter(**{f"{field}__in": tagged}).values_list(
                field, "tag_id"
            ):
                has_tags.setdefault(record_id, set()).add(tag_id)
        for d in updates:
            record = d.existing
            document_was = to_document(record)
            before: dict[str, Any] = {}
            for name, value in d.values.items():
                attname = "lifecycle_stage_id" if name == "lifecycle_stage" else name
                new = value.pk if name == "lifecycle_stage" and value is not None else value
                if getattr(record, attname) != new:
                    before[attname] = jsonable(getattr(record, attname))
                    setattr(record, attname, new)
            if d.custom:
                merged = {**record.custom, **d.custom}
                if merged != record.custom:
                    before["custom"] = record.custom
                    record.custom = merged
            present = has_tags.get(record.pk, set())
            added = [tag_ids[t.casefold()] for t in d.tags if tag_ids[t.casefold()] not in present]
            links += [(record.pk, tag_id) for tag_id in added]
            if added:
                before["+tags"] = added
            if d.note:
                notes.append(self._note(record.pk, d.note))
            if before:
                record.version += 1
                record.updated_at = self.now
                touched.append(record)
                touched_fields.append([f for f in before if f != "+tags"])
                document = to_document(record)
                if document != document_was:  # a new stage or owner leaves the text as it was
                    redocumented.append((record.pk, document))
            changes.append((kind, record.pk, "updated", d.prepared.number, before))
        if touched:
            update_records(
                self.model, touched, [[*f, "version", "updated_at"] for f in touched_fields]
            )
        if links:
            insert_rows(through._meta.db_table, [field, "tag_id"], links)
            self.statistics.grew(through, len(links))
        if notes:
            insert_records(Note, notes)
            self.statistics.grew(Note, len(notes))
            changes += [(ObjectType.NOTE, note.id, "created", None, None) for note in notes]
        indexed = new_records + touched
        self.documents.add(kind, [(r.id, to_document(r)) for r in new_records], new=True)
        self.documents.add(kind, redocumented, new=False)
        if not self.gather:
            self.documents.write()
        events += [(f"{kind}.created", kind, r.id) for r in new_records]
        events += [(f"{kind}.updated", kind, r.pk) for r in touched]
        payload = json.dumps({"import_job": self.job.pk})
        request_id = current_request_id()
        events_written()
        insert_rows(
            OutboxEvent._meta.db_table,
            ["name", "object_type", "object_id", "payload", "actor_id", "request_id", "created_at"],
            [
                (name, otype, str(pk), payload, actor.pk, request_id, now_db)
                for name, otype, pk in events
            ],
        )
        insert_rows(
            ImportChange._meta.db_table,
            ["job_id", "object_type", "object_id", "action", "row", "before"],
            [
                (
                    self.job.pk,
                    otype,
                    pk,
                    action,
                    row,
                    None if before is None else json.dumps(before),
                )
                for otype, pk, action, row, before in changes
            ],
        )
        if kind == ObjectType.CONTACT and indexed and self.scoring:
            from sambandh.sales.services.scoring import lead_scores_refresh

            lead_scores_refresh(contacts=Contact.objects.filter(pk__in=[r.id for r in indexed]))
        numbers = [d.prepared.number for d in decisions]
        if numbers:
            audit_record(
                actor=actor,
                action="import",
                object_type=kind,
                object_id=self.job.pk,
                object_repr=self.job.file_name,
                changes={
                    "rows": [min(numbers), max(numbers)],
                    "created": [r.id for r in new_records],
                    "updated": [r.pk for r in touched],
                    "companies_created": [a.pk for a in companies],
                    "failed": outcome.failed,
                    "skipped": outcome.skipped,
                },
            )

    def finish_transaction(self) -> None:
        """Write the search documents gathered since the transaction began, in key order;
        refresh the planner's statistics of the tables that grew (PostgreSQL)."""
        self.documents.write()
        self.statistics.refresh()

    def _note(self, record_id: int, body: str) -> Any:
        note = SimpleNamespace(**self.note_defaults)
        note.body = body
        note.created_by_id = self.actor.pk
        note.created_at = note.updated_at = self.now
        if self.kind == ObjectType.CONTACT:
            note.contact_id = record_id
        else:
            note.account_id = record_id
        return note

    def _merge_into(self, first: _Decision, later: _Decision) -> None:
        """A later row of this chunk with the same key as a row it creates: its values win."""
        first.values.update(later.values)
        if later.custom:
            first.custom = {**(first.custom or {}), **later.custom}
        first.tags += [
            t for t in later.tags if t.casefold() not in {x.casefold() for x in first.tags}
        ]
        if later.note:
            first.note = f"{first.note}\n\n{later.note}" if first.note else later.note

    def _new_record(self, d: _Decision) -> Any:
        """A draft of the new record: the model's defaults, then the row's values."""
        record = SimpleNamespace(**self.record_defaults)
        for name, value in d.values.items():
            if name == "lifecycle_stage":
                record.lifecycle_stage_id = value.pk if value is not None else None
            else:
                setattr(record, name, value)
        record.custom = d.custom or {}
        if record.owner_id is None:
            record.owner_id = self.actor.pk
        if record.team_id is None:
            record.team_id = self.first_team
        record.created_by_id = self.actor.pk
        record.created_at = record.updated_at = self.now
        if not self.matcher.rules:
            return record  # no territory rules: nothing to assign
        if self.kind == ObjectType.CONTACT:
            territory_id = self.matcher.for_contact(
                record,  # type: ignore[arg-type]
                self._company_territory.get(record.account_id) if record.account_id else None,
            )
        else:
            found = self.matcher.for_account(record)  # type: ignore[arg-type]
            territory_id = found.pk if found is not None else None
        if territory_id is not None:
            for name, value in _assignment_values(record, territory_id, self.territories).items():  # type: ignore[arg-type]
                setattr(record, name, value)
        return record

    def _tag_ids(self, decisions: Iterable[_Decision]) -> dict[str, int]:
        """Ids of the chunk's tags, creating the missing ones (checked at decision time)."""
        names = {t.casefold(): t for d in decisions for t in d.tags}
        missing = [Tag(name=names[key]) for key in names if key not in self.tags]
        if missing:
            Tag.objects.bulk_create(missing, ignore_conflicts=True)
            self.tags.update(
                Tag.objects.annotate(lname=Lower("name"))
                .filter(lname__in=[t.name.casefold() for t in missing])
                .values_list("lname", "pk")
            )
        return self.tags
