"""Imports of deals, orders and activities: each row written through its kind's create service.

These files are small next to contact lists, so instead of the bulk engine's drafts a row is
written exactly as a form writes it: ``deal_create``, ``order_create``, ``task_create``,
``call_log``, ``email_log``, ``meeting_schedule`` or ``note_create`` checks the permission,
validates, writes, records the audit entry and emits the events. Each row runs in a savepoint
inside the caller's chunk transaction, so a row the service refuses leaves nothing behind and
the others stay. A dry run (the check, whole-file imports, a fixed row's test) makes the same
calls in savepoints that are rolled back, so it finds exactly what the run would. The
cells are read into values by ``records_cells``.

Natural keys are resolved once per chunk: owners by email, username or (unique) full name;
the pipeline by name (the default one when the file names none) and the stage by its English
or Hindi label within it, or the pipeline's won or lost stage from a status column ("won",
"Closed Won", "जीती"); companies by domain or name, contacts by email or (unique) full name,
deals by (unique) name. A reference that finds nothing, or more than one record, fails the
row with a message naming the value: never a silent empty link.

Activities' dates and times without an offset are read in the importing user's time zone
(a meeting's own zone when the row names one); a date without a time is the start of that
day. A meeting with neither an end nor a duration lasts an hour (the row says so).

Mode: new records only; the models have no external id to update by, except an order's
number (``Order.external_id``): an order imported before, or repeated in the file, is a
duplicate (skipped or reported as the job says). Every record made is an ``ImportChange``
(``created``, a won deal's order too), so undo removes it, through the kind's delete service
where it has one (``undo_created``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Lower, Trim
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from sambandh.activities.models import Activity, ActivityKind
from sambandh.activities.services.cleaning import user_zone
from sambandh.activities.services.records import (
    activity_delete,
    call_log,
    email_log,
    meeting_schedule,
    task_complete,
    task_create,
)
from sambandh.contacts.models import Account, Contact, Note
from sambandh.contacts.services.notes import note_create, note_delete
from sambandh.core.audit import audit_record
from sambandh.core.errors import Conflict, NotFound, PermissionDenied, SambandhError
from sambandh.core.errors import ValidationError as ServiceError
from sambandh.core.models import ObjectType, OrganisationSettings, User
from sambandh.core.permissions import visible
from sambandh.dataio.engine import Outcome, RowProblem, languages
from sambandh.dataio.models import DuplicateHandling, ImportChange, ImportJob, ImportProblem
from sambandh.dataio.problems import Level, Problem
from sambandh.dataio.readers import Row
from sambandh.dataio.records_cells import deal_status_words, word_key
from sambandh.dataio.rows import Plan, Prepared, RowReader
from sambandh.sales.models import Deal, Order, Pipeline, Stage
from sambandh.sales.services.deals import deal_create, deal_delete
from sambandh.sales.services.orders import order_create

Made = list[tuple[str, int]]  # (object type, id) of every record a row made
MEETING_DEFAULT = dt.timedelta(hours=1)
_DOMAIN_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_EMAIL_IN_RE = re.compile(r"[^\s<>()\[\];,\"']+@[^\s<>()\[\];,\"']+\.[^\s<>()\[\];,\"']+")

AMBIGUOUS = _("More than one record has “%(value)s”; the row cannot tell which to use.")


# ---------------------------------------------------------------- the importer


class _DryRun(Exception):  # noqa: N818 - not an error: it rolls a dry run's savepoint back
    def __init__(self, made: Made) -> None:
        super().__init__("dry run")
        self.made = made


class _Duplicate(Exception):  # noqa: N818 - a row that is skipped (or failed) as a duplicate
    def __init__(self, problem: RowProblem) -> None:
        super().__init__("duplicate")
        self.problem = problem


# Service field (as its ValidationError names it) -> our target, to place the message at the
# column the user mapped.
_FIELD_TARGETS = {
    "owner_id": "owner",
    "team_id": "owner",
    "pipeline_id": "pipeline",
    "stage_id": "stage",
    "contact_id": "contact",
    "contacts": "contact",
    "deal_id": "deal",
    "lines": "amount",
    "lines.0.unit_price": "amount",
    "lines.0.description": "description",
    "due_at": "when",
    "occurred_at": "when",
    "starts_at": "when",
    "duration_seconds": "duration",
}


@dataclasses.dataclass
class _Found:
    """A chunk's references, looked up once: key -> the records it finds."""

    companies_by_domain: dict[str, list[Account]] = dataclasses.field(default_factory=dict)
    companies_by_name: dict[str, list[Account]] = dataclasses.field(default_factory=dict)
    contacts_by_email: dict[str, list[Contact]] = dataclasses.field(default_factory=dict)
    contacts_by_name: dict[str, list[Contact]] = dataclasses.field(default_factory=dict)
    deals_by_name: dict[str, list[int]] = dataclasses.field(default_factory=dict)


def _contact_keys(text: str, *, several: bool) -> list[tuple[str, str, str]]:
    """("email", address, as written) or ("name", full name, as written) per contact a cell
    names: an address inside the cell wins ("Asha Rao (asha@example.in)"); a deal's cell may
    name several, separated by ";"."""
    parts = [p.strip() for p in text.split(";")] if several else [text.strip()]
    keys = []
    for part in parts:
        if not part:
            continue
        email = _EMAIL_IN_RE.search(part)
        if email is not None:
            keys.append(("email", email[0].lower(), email[0]))
        else:
            keys.append(("name", " ".join(part.split()).casefold(), part))
    return keys


class RecordImporter:
    """Checks and writes the chunks of one deal, order or activity import, as ``actor``."""

    def __init__(self, job: ImportJob, actor: User, *, write: bool) -> None:
        self.job = job
        self.actor = actor
        self.write = write
        self.gather = False  # every row goes through its service: nothing waits for the commit
        self.kind = job.object_type
        self.plan = Plan(
            object_type=self.kind,
            headers=job.headers,
            mapping=job.mapping,
            default_country=job.default_country,
            day_first=job.day_first,
        )
        self.reader = RowReader(self.plan)
        self.header_of = {target: header for _i, header, target in self.plan.columns()}
        self.zone = user_zone(actor)
        self.base_currency = OrganisationSettings.get().base_currency
        self.actor_teams = list(actor.teams.order_by("id").values_list("id", flat=True))
        self.seen: dict[str, int] = {}  # order numbers of this run -> the row that made them
        self.owner_teams: dict[int, list[int]] = {}
        self.owners: dict[str, int] = {}
        self.owner_names: dict[str, list[int]] = {}
        if "owner" in self.header_of:
            self._load_owners()
        self.pipelines: list[tuple[Pipeline, list[Stage]]] = []
        if self.kind == ObjectType.DEAL:
            self._load_pipelines()

    # ------------------------------------------------------------ lookups done once

    def _load_owners(self) -> None:
        for pk, username, email, first, last in User.objects.filter(is_active=True).values_list(
            "pk", "username", "email", "first_name", "last_name"
        ):
            self.owners.setdefault(username.casefold(), pk)
            if email:
                self.owners.setdefault(email.casefold(), pk)
            full = " ".join(f"{first} {last}".split()).casefold()
            if full:
                self.owner_names.setdefault(full, []).append(pk)

    def _load_pipelines(self) -> None:
        stages: dict[int, list[Stage]] = {}
        for stage in Stage.objects.filter(pipeline__is_active=True).order_by("position", "id"):
            stages.setdefault(stage.pipeline_id, []).append(stage)
        for pipeline in Pipeline.objects.filter(is_active=True).order_by(
            "-is_default", "position", "id"
        ):
            self.pipelines.append((pipeline, stages.get(pipeline.pk, [])))

    def _lookups(self, prepared: Sequence[Prepared]) -> _Found:
        """Every company, contact and deal the chunk names, in a few queries, among the
        records the actor can see."""
        found = _Found()
        domains: set[str] = set()
        names: set[str] = set()
        emails: set[str] = set()
        people: set[str] = set()
        deals: set[str] = set()
        for p in prepared:
            refs = p.refs
            if refs.get("account_domain"):
                domains.add(refs["account_domain"])
            if refs.get("account_name"):
                name = refs["account_name"]
                names.add(name.casefold())
                if _DOMAIN_RE.match(name.lower()):
                    domains.add(name.lower())
            if refs.get("contact"):
                several = self.kind == ObjectType.DEAL
                for how, key, _written in _contact_keys(refs["contact"], several=several):
                    (emails if how == "email" else people).add(key)
            if refs.get("deal"):
                deals.add(refs["deal"].casefold())
        accounts = visible(self.actor, Account).order_by("id")
        if domains:
            for account in accounts.filter(domain__in=domains):
                found.companies_by_domain.setdefault(account.domain, []).append(account)
        if names:
            for account in accounts.annotate(lname=Lower("name")).filter(lname__in=names):
                found.companies_by_name.setdefault(account.name.casefold(), []).append(account)
        contacts = visible(self.actor, Contact).order_by("id")
        if emails:
            for contact in contacts.annotate(lemail=Lower("email")).filter(lemail__in=emails):
                found.contacts_by_email.setdefault(contact.email.lower(), []).append(contact)
        if people:
            full = Lower(Trim(Concat("first_name", Value(" "), "last_name")))
            for person in contacts.annotate(lfull=full).filter(lfull__in=people):
                key = " ".join(f"{person.first_name} {person.last_name}".split()).casefold()
                found.contacts_by_name.setdefault(key, []).append(person)
        if deals:
            for pk, name in (
                visible(self.actor, Deal)
                .annotate(lname=Lower("name"))
                .filter(lname__in=deals)
                .order_by("id")
                .values_list("pk", "name")
            ):
                found.deals_by_name.setdefault(name.casefold(), []).append(pk)
        return found

    # ------------------------------------------------------------ a chunk

    def finish_transaction(self) -> None:
        pass

    def chunk(self, rows: Sequence[Row], prepared: Sequence[Prepared] | None = None) -> Outcome:
        """Check (and write) a chunk: each row through its create service in a savepoint;
        ``prepared``: its rows already prepared (by the pipeline's reader), else here."""
        if prepared is None:
            prepared = [self.reader.prepare(r.number, r.cells, r.problems) for r in rows]
        found = self._lookups(prepared)
        outcome = Outcome()
        changes: list[tuple[str, int, int]] = []  # (object type, id, row)
        for row, p in zip(rows, prepared, strict=True):
            problems = [RowProblem.of(problem) for problem in p.problems]
            call = self._plan(p, found, problems)
            status = "failed"
            if call is not None and not p.has_error:
                status, made = self._run(p.number, call, problems)
                changes += [(otype, pk, p.number) for otype, pk in made]
            outcome.problems += problems
            if status == "created":
                outcome.created += 1
            elif status == "skipped":
                outcome.skipped += 1
            else:
                outcome.failed += 1
                outcome.failed_cells[p.number] = ["" if c is None else str(c) for c in row.cells]
        if self.write and rows:
            self._record(rows, changes, outcome)
        return outcome

    def _record(
        self, rows: Sequence[Row], changes: list[tuple[str, int, int]], outcome: Outcome
    ) -> None:
        """What undo needs (one change per record made) and the chunk's audit entry; each
        record has its own entry and events from its service."""
        ImportChange.objects.bulk_create(
            ImportChange(job=self.job, object_type=otype, object_id=pk, action="created", row=row)
            for otype, pk, row in changes
        )
        created: dict[str, list[int]] = {}
        for otype, pk, _row in changes:
            created.setdefault(otype, []).append(pk)
        numbers = [r.number for r in rows]
        audit_record(
            actor=self.actor,
            action="import",
            object_type=self.kind,
            object_id=self.job.pk,
            object_repr=self.job.file_name,
            changes={
                "rows": [min(numbers), max(numbers)],
                "created": created.pop(self.kind, []),
                **({"also_created": created} if created else {}),
                "failed": outcome.failed,
                "skipped": outcome.skipped,
            },
        )

    def _run(
        self, number: int, call: Callable[[], Made], problems: list[RowProblem]
    ) -> tuple[str, Made]:
        """Make the row's records in a savepoint (rolled back in a dry run)."""
        try:
            with transaction.atomic():
                made = call()
                if not self.write:
                    raise _DryRun(made)
        except _DryRun as dry:
            made = dry.made
        except _Duplicate as duplicate:
            problems.append(duplicate.problem)
            return ("skipped" if duplicate.problem.level == Level.WARNING else "failed"), []
        except SambandhError:
            problems += self._refusal(number, call)
            return "failed", []
        except (IntegrityError, DataError) as exc:
            problems.append(
                self._problem(
                    number,
                    "not_saved",
                    _("The database refused the row: %(error)s"),
                    "",
                    error=str(exc)[:200],
                )
            )
            return "failed", []
        return "created", made

    def _refusal(self, number: int, call: Callable[[], Made]) -> list[RowProblem]:
        """The service's refusal of a row in every language: its messages are translated
        when raised, so the call is repeated (and rolled back) in each language."""
        errors: dict[str, SambandhError] = {}
        for language in languages():
            with translation.override(language):
                try:
                    with transaction.atomic():
                        call()
                        raise _DryRun([])
                except SambandhError as exc:
                    errors[language] = exc
                except (_DryRun, _Duplicate):
                    pass
        if not errors:  # it went through on a second try: report the row, do not guess
            return [self._problem(number, "not_saved", _("The row could not be saved."), "")]
        first = errors.get("en") or next(iter(errors.values()))
        if isinstance(first, ServiceError) and first.fields:
            return [
                RowProblem(
                    number,
                    self._header_for(field),
                    "invalid",
                    str(Level.ERROR),
                    {language: _message_of(exc, field) for language, exc in errors.items()},
                )
                for field in first.fields
            ]
        code = (
            "not_allowed"
            if isinstance(first, PermissionDenied)
            else "not_found"
            if isinstance(first, NotFound)
            else "conflict"
            if isinstance(first, Conflict)
            else "invalid"
        )
        field = self.header_of.get("external_id", "") if isinstance(first, Conflict) else ""
        return [
            RowProblem(
                number,
                field,
                code,
                str(Level.ERROR),
                {language: _message_of(exc, None) for language, exc in errors.items()},
            )
        ]

    def _header_for(self, field: str) -> str:
        target = _FIELD_TARGETS.get(field, field)
        if target == "account_id":
            return self.header_of.get("account_name") or self.header_of.get("account_domain", "")
        if target == "ends_at":
            return self.header_of.get("ends_at") or self.header_of.get("duration", "")
        return self.header_of.get(target, "")

    def _problem(
        self,
        number: int,
        code: str,
        template: StrOrPromise,
        target: str,
        *,
        level: Level = Level.ERROR,
        **params: Any,
    ) -> RowProblem:
        return RowProblem.of(
            Problem.make(
                code,
                template,
                row=number,
                field=self.header_of.get(target, ""),
                level=level,
                **params,
            )
        )

    # ------------------------------------------------------------ references

    def _plan(
        self, p: Prepared, found: _Found, problems: list[RowProblem]
    ) -> Callable[[], Made] | None:
        """The call that makes the row's records, or None when a reference failed (its
        problems added)."""
        if self.kind == ObjectType.DEAL:
            return self._deal(p, found, problems)
        if self.kind == ObjectType.ORDER:
            return self._order(p, found, problems)
        return self._activity(p, found, problems)

    def _owner(self, p: Prepared, data: dict[str, Any], problems: list[RowProblem]) -> bool:
        text = p.refs.get("owner")
        if not text:
            return True
        key = " ".join(text.split()).casefold()
        pk = self.owners.get(key)
        if pk is None:
            named = self.owner_names.get(key, [])
            if len(named) > 1:
                problems.append(
                    self._problem(
                        p.number,
                        "ambiguous",
                        _("More than one user is called “%(value)s”; use their email address."),
                        "owner",
                        value=text[:100],
                    )
                )
                return False
            if not named:
                problems.append(
                    self._problem(
                        p.number,
                        "unknown_owner",
                        _("No active user has the email or username “%(value)s”."),
                        "owner",
                        value=text[:100],
                    )
                )
                return False
            pk = named[0]
        data["owner_id"] = pk
        if pk != self.actor.pk:
            # The owner's team: one the importer shares with them (a rep assigns within their
            # teams), else the owner's first.
            if pk not in self.owner_teams:
                self.owner_teams[pk] = list(
                    User.teams.through.objects.filter(user_id=pk)
                    .order_by("team_id")
                    .values_list("team_id", flat=True)
                )
            teams = self.owner_teams[pk]
            shared = [t for t in teams if t in self.actor_teams]
            if shared or teams:
                data["team_id"] = (shared or teams)[0]
        return True

    def _company(self, p: Prepared, found: _Found, problems: list[RowProblem]) -> Account | None:
        """The company the row names by domain or name; None when it names none. A failure
        is added to ``problems`` (and None returned)."""
        domain = p.refs.get("account_domain", "")
        name = p.refs.get("account_name", "")
        hits: list[Account] = []
        if domain:
            hits = found.companies_by_domain.get(domain, [])
            if not hits and not name:
                problems.append(
                    self._problem(
                        p.number,
                        "unknown_company",
                        _("No company has the domain “%(value)s”."),
                        "account_domain",
                        value=domain[:100],
                    )
                )
                return None
        if not hits and name:
            hits = found.companies_by_name.get(name.casefold(), [])
            if not hits and _DOMAIN_RE.match(name.lower()):
                hits = found.companies_by_domain.get(name.lower(), [])
            if not hits:
                problems.append(
                    self._problem(
                        p.number,
                        "unknown_company",
                        _("No company is called “%(value)s”."),
                        "account_name",
                        value=name[:100],
                    )
                )
                return None
        if len(hits) > 1:
            problems.append(
                self._problem(
                    p.number,
                    "ambiguous",
                    AMBIGUOUS,
                    "account_domain" if domain else "account_name",
                    value=(domain or name)[:100],
                )
            )
            return None
        return hits[0] if hits else None

    def _contacts(
        self, p: Prepared, found: _Found, problems: list[RowProblem]
    ) -> list[Contact] | None:
        """The contacts the row names (several for a deal); None after a failure."""
        text = p.refs.get("contact")
        if not text:
            return []
        out: list[Contact] = []
        for how, key, written in _contact_keys(text, several=self.kind == ObjectType.DEAL):
            table = found.contacts_by_email if how == "email" else found.contacts_by_name
            hits = table.get(key, [])
            if len(hits) == 1:
                if hits[0] not in out:
                    out.append(hits[0])
                continue
            if hits:
                template: StrOrPromise = AMBIGUOUS
                code = "ambiguous"
            elif how == "email":
                template, code = _("No contact has the email “%(value)s”."), "unknown_contact"
            else:
                template, code = _("No contact is called “%(value)s”."), "unknown_contact"
            problems.append(self._problem(p.number, code, template, "contact", value=written[:100]))
            return None
        return out

    def _deal_ref(self, p: Prepared, found: _Found, problems: list[RowProblem]) -> int | None:
        text = p.refs.get("deal", "")
        hits = found.deals_by_name.get(text.casefold(), [])
        if len(hits) == 1:
            return hits[0]
        template: StrOrPromise = AMBIGUOUS if hits else _("No deal is called “%(value)s”.")
        problems.append(
            self._problem(
                p.number,
                "ambiguous" if hits else "unknown_deal",
                template,
                "deal",
                value=text[:100],
            )
        )
        return None

    # ------------------------------------------------------------ deals

    def _pipeline(
        self, p: Prepared, problems: list[RowProblem]
    ) -> tuple[Pipeline, list[Stage]] | None:
        text = p.refs.get("pipeline")
        if not text:
            return self.pipelines[0] if self.pipelines else None
        key = " ".join(text.split()).casefold()
        for pipeline, stages in self.pipelines:
            if key in (pipeline.label_en.casefold(), pipeline.label_hi.casefold()):
                return pipeline, stages
        problems.append(
            self._problem(
                p.number,
                "unknown_pipeline",
                _("No pipeline is called “%(value)s”."),
                "pipeline",
                value=text[:100],
            )
        )
        return None

    def _stage(
        self, p: Prepared, pipeline: Pipeline, stages: list[Stage], problems: list[RowProblem]
    ) -> tuple[bool, Stage | None]:
        """(ok, stage): the stage named (by English or Hindi label), or the won or lost
        stage the status (or a "Closed Won" stage name) asks for; None: the service's
        default (the first open stage)."""
        text = p.refs.get("stage", "")
        status = p.data.get("status")
        named = None
        if text:
            key = " ".join(text.split()).casefold()
            named = next(
                (s for s in stages if key in (s.label_en.casefold(), s.label_hi.casefold())), None
            )
            if named is None:
                status = (
                    status if status in ("won", "lost") else deal_status_words().get(word_key(text))
                )
                if status not in ("won", "lost"):
                    problems.append(
                        self._problem(
                            p.number,
                            "unknown_stage",
                            _("The pipeline “%(pipeline)s” has no stage “%(value)s”."),
                            "stage",
                            pipeline=p.refs.get("pipeline") or pipeline.label_en,
                            value=text[:100],
                        )
                    )
                    return False, None
        if status in ("won", "lost"):
            if named is not None and (named.is_won if status == "won" else named.is_lost):
                return True, named
            closing = next(
                (s for s in stages if (s.is_won if status == "won" else s.is_lost)), None
            )
            if closing is None:
                problems.append(
                    self._problem(
                        p.number,
                        "no_closing_stage",
                        _("The pipeline “%(pipeline)s” has no won stage.")
                        if status == "won"
                        else _("The pipeline “%(pipeline)s” has no lost stage."),
                        "status" if "status" in self.header_of else "stage",
                        pipeline=p.refs.get("pipeline") or pipeline.label_en,
                    )
                )
                return False, None
            return True, closing
        return True, named

    def _deal(
        self, p: Prepared, found: _Found, problems: list[RowProblem]
    ) -> Callable[[], Made] | None:
        values = p.data
        data: dict[str, Any] = {
            name: values[name]
            for name in (
                "name",
                "amount",
                "currency",
                "expected_close_on",
                "probability",
                "source",
                "next_step",
                "lost_reason",
            )
            if name in values
        }
        ok = True
        entry = self._pipeline(p, problems)
        if entry is None:
            ok = not p.refs.get("pipeline")
        else:
            pipeline, stages = entry
            data["pipeline_id"] = pipeline.pk
            stage_ok, stage = self._stage(p, pipeline, stages, problems)
            ok = ok and stage_ok
            if stage is not None:
                data["stage_id"] = stage.pk
        ok = self._owner(p, data, problems) and ok
        company = self._company(p, found, problems)
        if company is None and (p.refs.get("account_name") or p.refs.get("account_domain")):
            ok = False
        elif company is not None:
            data["account_id"] = company.pk
        people = self._contacts(p, found, problems)
        if people is None:
            ok = False
        elif people:
            data["contacts"] = [{"contact_id": c.pk, "role": "other"} for c in people]
        if not ok:
            return None
        actor = self.actor

        def call() -> Made:
            deal = deal_create(actor=actor, data=dict(data))
            made: Made = [(ObjectType.DEAL, deal.pk)]
            # A deal imported as won becomes its order (purchase history), as on the board.
            order = Order.objects.filter(deal_id=deal.pk).values_list("pk", flat=True).first()
            if order is not None:
                made.append((ObjectType.ORDER, order))
            return made

        return call

    # ------------------------------------------------------------ orders

    def _order(
        self, p: Prepared, found: _Found, problems: list[RowProblem]
    ) -> Callable[[], Made] | None:
        values = p.data
        ok = True
        data: dict[str, Any] = {"currency": values.get("currency") or self.base_currency}
        for name in ("ordered_on", "status", "external_id"):
            if values.get(name) is not None:
                data[name] = values[name]
        number = values.get("external_id")
        data["lines"] = [
            {
                "description": values.get("description") or number or self.job.file_name[:300],
                "unit_price": values.get("amount"),
            }
        ]
        company = self._company(p, found, problems)
        if company is None and (p.refs.get("account_name") or p.refs.get("account_domain")):
            ok = False
        elif company is not None:
            data["account_id"] = company.pk
        people = self._contacts(p, found, problems)
        if people is None:
            ok = False
        elif people:
            data["contact_id"] = people[0].pk
        if not ok:
            return None
        if number and number in self.seen:
            # Repeated in the file: skipped or failed (as the job says) without a call.
            return functools.partial(_skip, self._duplicate(p.number, number, self.seen[number]))
        actor = self.actor
        row = p.number

        def call() -> Made:
            order, created = order_create(actor=actor, data=dict(data))
            if not created:
                raise _Duplicate(self._duplicate(row, str(number), None))
            if number:
                self.seen[number] = row
            return [(ObjectType.ORDER, order.pk)]

        return call

    def _duplicate(self, number: int, value: str, earlier: int | None) -> RowProblem:
        template = (
            _("A record with “%(value)s” already exists.")
            if earlier is None
            else _("“%(value)s” is already in row %(earlier)s of this file.")
        )
        return self._problem(
            number,
            "duplicate",
            template,
            "external_id",
            level=Level.WARNING if self.job.duplicates == DuplicateHandling.SKIP else Level.ERROR,
            value=value[:100],
            earlier=earlier,
        )

    # ------------------------------------------------------------ activities

    def _moment(
        self, p: Prepared, name: str, zone: dt.tzinfo, problems: list[RowProblem]
    ) -> dt.datetime | None:
        """A date-time cell as an aware datetime: with the time-of-day column when the cell
        has only a date; read in ``zone`` unless it carries an offset."""
        value = p.data.get(name)
        clock = p.data.get("time") if name == "when" else None
        if value is None:
            if clock is not None:
                problems.append(
                    self._problem(
                        p.number, "no_date", _("The row has a time of day but no date."), "time"
                    )
                )
            return None
        if isinstance(value, dt.datetime):
            moment = value
            if clock is not None and value.tzinfo is None and value.time() == dt.time():
                moment = dt.datetime.combine(value.date(), clock)  # an XLSX date at midnight
        else:
            moment = dt.datetime.combine(value, clock or dt.time())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment

    def _activity(
        self, p: Prepared, found: _Found, problems: list[RowProblem]
    ) -> Callable[[], Made] | None:
        values = p.data
        kind = values.get("kind") or ActivityKind.TASK
        ok = True
        data: dict[str, Any] = {}
        for name in ("subject", "body"):
            if values.get(name) is not None:
                data[name] = values[name]
        company = self._company(p, found, problems)
        if company is None and (p.refs.get("account_name") or p.refs.get("account_domain")):
            ok = False
        people = self._contacts(p, found, problems)
        if people is None:
            ok = False
        contact = people[0] if people else None
        deal_id = None
        if p.refs.get("deal"):
            deal_id = self._deal_ref(p, found, problems)
            ok = ok and deal_id is not None
        if kind == "note":
            if not ok:
                return None
            return self._note(data, contact, company)
        ok = self._owner(p, data, problems) and ok
        if contact is not None:
            data["contact_id"] = contact.pk
        if company is not None:
            data["account_id"] = company.pk
        if deal_id is not None:
            data["deal_id"] = deal_id
        zone: dt.tzinfo = self.zone
        zone_name = str(values.get("time_zone") or getattr(self.zone, "key", "UTC"))
        if kind == ActivityKind.MEETING:
            try:
                zone = zoneinfo.ZoneInfo(zone_name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = self.zone  # the service reports the zone itself
        when = self._moment(p, "when", zone, problems)
        if p.data.get("time") is not None and p.data.get("when") is None:
            ok = False
        duration = values.get("duration")
        if kind == ActivityKind.TASK:
            self._put(data, due_at=when, priority=values.get("priority"))
        elif kind in (ActivityKind.CALL, ActivityKind.EMAIL):
            self._put(data, occurred_at=when, direction=values.get("direction"))
            if kind == ActivityKind.CALL:
                self._put(data, duration_seconds=duration, outcome=values.get("outcome"))
        else:
            ends = self._moment(p, "ends_at", zone, problems)
            if ends is None and when is not None:
                if duration is not None:
                    ends = when + dt.timedelta(seconds=duration)
                else:
                    ends = when + MEETING_DEFAULT
                    problems.append(
                        self._problem(
                            p.number,
                            "meeting_length",
                            _("The meeting has no end or duration; it is set to last one hour."),
                            "when",
                            level=Level.WARNING,
                        )
                    )
            self._put(
                data,
                starts_at=when,
                ends_at=ends,
                time_zone=zone_name,
                location=values.get("location"),
            )
        if not ok:
            return None
        create = {
            ActivityKind.TASK: task_create,
            ActivityKind.CALL: call_log,
            ActivityKind.EMAIL: email_log,
            ActivityKind.MEETING: meeting_schedule,
        }[ActivityKind(kind)]
        done = bool(values.get("done")) and kind in (ActivityKind.TASK, ActivityKind.MEETING)
        actor = self.actor

        def call() -> Made:
            activity = create(actor=actor, data=dict(data))
            if done:
                task_complete(actor=actor, activity=activity)
            return [(ObjectType.ACTIVITY, activity.pk)]

        return call

    @staticmethod
    def _put(data: dict[str, Any], **values: Any) -> None:
        data.update({name: value for name, value in values.items() if value is not None})

    def _note(
        self, data: dict[str, Any], contact: Contact | None, company: Account | None
    ) -> Callable[[], Made]:
        """A note row: its subject and details as the text, on the contact (else company)."""
        text = "\n\n".join(str(data[k]) for k in ("subject", "body") if data.get(k))
        actor = self.actor

        def call() -> Made:
            note = note_create(
                actor=actor,
                body=text,
                contact=contact,
                account=company if contact is None else None,
            )
            return [(ObjectType.NOTE, note.pk)]

        return call


def _skip(problem: RowProblem) -> Made:
    raise _Duplicate(problem)


def _message_of(exc: SambandhError, field: str | None) -> str:
    """The message of ``field`` (its first), else the error's own."""
    if field is not None and isinstance(exc, ServiceError):
        messages = exc.fields.get(field)
        if messages:
            return str(messages[0])
    if isinstance(exc, ServiceError) and exc.fields and field is None:
        return str(next(iter(exc.fields.values()))[0])
    return str(exc.message)


# ---------------------------------------------------------------- undo


def _deleter(object_type: str) -> tuple[Any, Callable[[User, Any], None]] | None:
    if object_type == ObjectType.DEAL:
        return Deal, lambda actor, record: deal_delete(actor=actor, deal=record)
    if object_type == ObjectType.ACTIVITY:
        return Activity, lambda actor, record: activity_delete(actor=actor, activity=record)
    if object_type == ObjectType.NOTE:
        return Note, lambda actor, record: note_delete(actor=actor, note=record)
    return None


def undo_created(job: ImportJob, actor: User | None, object_type: str, ids: list[int]) -> list[int]:
    """Remove records a deal, order or activity import made (the undo calls this per chunk,
    in its transaction); returns the ids removed.

    Deals, activities and notes go through their delete services as the job's creator, so
    each leaves its audit entry and event as a deletion on the page would. One the service
    refuses (the user may no longer delete it) stays, and the report says so. Orders have no
    delete service: they are deleted with their lines (the undo's audit entry lists them).
    Without an active creator, records are deleted directly, as contacts' undo does."""
    deleter = _deleter(object_type)
    if deleter is None:
        model: Any = Order if object_type == ObjectType.ORDER else None
        if model is None:
            return []
        present = list(
            model.objects.filter(pk__in=ids).order_by("-pk").values_list("pk", flat=True)
        )
        model.objects.filter(pk__in=present).delete()
        return present
    model, delete = deleter
    removed: list[int] = []
    kept: dict[int, dict[str, str]] = {}
    for record in model.objects.filter(pk__in=ids).order_by("-pk"):
        pk = record.pk
        if actor is None or not actor.is_active:
            record.delete()
            removed.append(pk)
            continue
        try:
            with transaction.atomic():
                delete(actor, record)
        except SambandhError:
            kept[pk] = _refusals(functools.partial(delete, actor, record))
            continue
        removed.append(pk)
    if kept:
        rows = dict(
            ImportChange.objects.filter(
                job=job, object_type=object_type, object_id__in=list(kept)
            ).values_list("object_id", "row")
        )
        ImportProblem.objects.bulk_create(
            ImportProblem(
                job=job,
                row=rows.get(pk),
                code="undo_kept",
                level=str(Level.WARNING),
                messages=messages,
                from_check=False,
            )
            for pk, messages in kept.items()
        )
    return removed


def _refusals(call: Callable[[], None]) -> dict[str, str]:
    """Why undo kept a record, in every language (the call repeated and rolled back)."""
    out: dict[str, str] = {}
    for language in languages():
        with translation.override(language):
            reason = ""
            try:
                with transaction.atomic():
                    call()
                    raise _DryRun([])
            except SambandhError as exc:
                reason = _message_of(exc, None)
            except _DryRun:
                pass
            out[language] = str(_("Undo kept this record: %(reason)s")) % {"reason": reason}
    return out
