"""Benchmark: importing a contacts file (sambandh.dataio) against a raw bulk load of its rows.

    python bench/import_contacts.py [--rows N] [--db sqlite|postgres|both] [--strict]

Builds its own database (a temporary SQLite file, or a PostgreSQL database
``sambandh_bench_import`` that it creates and drops), writes a contacts export shaped like
HubSpot's (Record ID, First Name, Last Name, Email, Phone Number, Job Title, City,
Country/Region, Company Name, Lifecycle Stage, Tags, and a Create Date the mapping leaves out)
of ``--rows`` rows (default 20,000; ``--rows 1000000`` is the issue's size): Indian and
foreign people, a tenth of the Indian ones in Devanagari, phones in the ways people type them,
countries as names, codes or "भारत"; about 1% of the rows repeat an earlier row's email in
another letter case, about 1% are invalid (a bad email, a bad phone, or neither a name nor an
email). Then it measures, in one run:

1. raw baseline: the rows a correct import must write (clean values, duplicates and invalid
   rows left out) loaded into the freshly migrated, empty tables with all their indexes, in ONE
   transaction, SQLite ``executemany`` / PostgreSQL ``COPY``: the companies, the tags, the
   contacts and their tag links ("rows"), then the search documents of the contacts and
   companies ("search"). Sambandh indexes every record it writes in the same transaction, so
   the baseline includes the documents; both parts are reported. The tables are emptied again.
2. Sambandh: the same file through the import services, as a user and the worker drive it:
   ``import_job_create`` (store the file, read its header, propose the mapping; the proposal
   must be the expected one), ``import_job_configure`` (create mode, valid rows),
   ``import_job_start`` and ``import_run`` in this process (what the Huey task calls): parse,
   normalise, validate, match, write, index, events, undo records, audit. Seconds, rows/s and
   the ratio to raw (targets: within 4x raw, stretch 2x; 90 s for 1,000,000 rows).
3. the table already holding those contacts: a second file of ``rows / 10`` new contacts in
   create mode, then a third in create-or-update mode by email, a fifth of whose rows update
   existing contacts (their email in another letter case, a new city and job title): rows/s of
   each (target: at least 10,000 rows/s), each beside its raw baseline into the same table,
   loaded and then taken out again untimed: the create file's clean rows; the create-or-update
   file's new rows and its updates (found by lower(email); city, job title, time, version and
   the contact's document), as a hand-written loader would write them.

Every import is checked, and the bench stops with an error when one is wrong: its counts
(created, updated, skipped duplicates, failed), the problems it reported (code and column, row
by row kind), the companies it created, and what the database holds: a digest of every
contact's values (names, email, phone, job, city, country, record id, company, stage) and of
its tags must equal the digest of what was generated.

``--profile FILE`` writes a cProfile of the first import (``python -m pstats FILE``), run
wholly in the measuring process (the pipeline's reader too) so the profile sees every part;
the times of a profiled run are not comparable with a plain run's. Human
lines first; the LAST line is one JSON object (see DESIGN.md, Benchmarks). Compare the ratios
of one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import dataclasses
import functools
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import _result, drive  # noqa: E402

DEFAULT_ROWS = 20_000
FULL_ROWS = 1_000_000
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "sambandh_bench_import"
# run_child passes only --rows and --seed to the measuring process; this carries --profile.
PROFILE_ENV = "SAMBANDH_BENCH_IMPORT_PROFILE"
DUPLICATE_SHARE = 0.01
INVALID_SHARE = 0.01
UPDATE_SHARE = 0.2  # of the create-or-update file's rows
TARGET_RATIO = 4.0
STRETCH_RATIO = 2.0
TARGET_SECONDS_1M = 90.0
TARGET_RATE = 10_000.0  # rows/s into a populated table
RAW_BATCH = 10_000

HEADERS = (
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Job Title",
    "City",
    "Country/Region",
    "Company Name",
    "Lifecycle Stage",
    "Tags",
    "Create Date",
)
# What the import must propose for HEADERS; a different proposal stops the bench.
EXPECTED_MAPPING = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "city",
    "country",
    "account_name",
    "lifecycle_stage",
    "tags",
    None,
]
# HubSpot's labels of the lifecycle stages it exports, and our keys for them.
STAGE_LABELS = (
    ("Subscriber", "subscriber"),
    ("Lead", "lead"),
    ("Lead", "lead"),
    ("Marketing Qualified Lead", "marketing_qualified"),
    ("Sales Qualified Lead", "sales_qualified"),
    ("Opportunity", "opportunity"),
    ("Customer", "customer"),
    ("Customer", "customer"),
)
COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "AE": "United Arab Emirates",
    "SG": "Singapore",
    "DE": "Germany",
}
CALLING_CODES = {"IN": "91", "US": "1", "GB": "44", "AE": "971", "SG": "65", "DE": "49"}
HINDI_CITIES = {
    "Mumbai": "मुंबई",
    "Delhi": "दिल्ली",
    "Bengaluru": "बेंगलुरु",
    "Chennai": "चेन्नई",
    "Hyderabad": "हैदराबाद",
    "Pune": "पुणे",
    "Kolkata": "कोलकाता",
    "Jaipur": "जयपुर",
    "Lucknow": "लखनऊ",
    "Ahmedabad": "अहमदाबाद",
    "Indore": "इंदौर",
    "Kochi": "कोच्चि",
}
EMAIL_DOMAINS = ("example.com", "example.in", "example.org", "mail.example", "corp.example")
COMPANY_SYLLABLES = (
    "ka", "ra", "ma", "sha", "na", "ta", "va", "la", "pa", "da", "ga", "ja", "ba", "sa",
    "ri", "ni", "ti", "vi", "su", "ku", "ru", "de", "ne", "ko", "ro", "so", "dhu", "cha",
)  # fmt: skip
COMPANY_WORDS = (
    "Agro", "Textiles", "Software", "Logistics", "Pharma", "Foods", "Steels", "Exports",
    "Fintech", "Handicrafts", "Cement", "Healthcare", "Motors", "Chemicals", "Traders",
)  # fmt: skip
COMPANY_SUFFIXES = ("Pvt Ltd", "Ltd", "LLP", "Industries", "& Sons", "Enterprises")


# ---------------------------------------------------------------- the generated file (pure)


@dataclasses.dataclass(slots=True)
class Clean:
    """A contact as a correct import writes it (and as ``contact_document`` reads it)."""

    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    city: str
    country: str
    external_id: str
    company: str  # the company's name as first written in the file, or ""
    stage: str  # the lifecycle stage's key, or ""
    tags: tuple[str, ...]
    salutation: str = ""
    other_emails: tuple[str, ...] = ()
    other_phones: tuple[str, ...] = ()

    def canonical(self) -> str:
        return "\x1f".join(
            (
                self.first_name,
                self.last_name,
                self.email,
                self.phone,
                self.job_title,
                self.city,
                self.country,
                self.external_id,
                self.company,
                self.stage,
            )
        )


def row_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


DIGEST_MOD = 2**64


@dataclasses.dataclass
class FileSpec:
    """What a generated file holds: every count the import of it must report."""

    path: Path
    rows: int = 0
    created: int = 0  # rows that create a contact
    duplicates: int = 0  # an earlier row's email in another letter case
    bad_email: int = 0
    bad_phone: int = 0
    no_identity: int = 0
    # create-or-update file: email -> (city, job title) the update writes
    updates: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    companies: list[str] = dataclasses.field(default_factory=list)  # new, in file order
    digest: int = 0  # sum of the created contacts' row hashes
    tag_digest: int = 0  # sum of hash(email, tag) over their tag links

    @property
    def failed(self) -> int:
        return self.bad_email + self.bad_phone + self.no_identity


@functools.cache
def _ascii(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()
    ).lower()


def _other_case(email: str, rng: random.Random) -> str:
    local, domain = email.split("@", 1)
    if rng.random() < 0.5:
        return email.upper()
    return f"{local.title()}@{domain.capitalize()}"


def company_pool(count: int, seed: int) -> list[str]:
    """``count`` company names, distinct without regard to letter case."""
    rng = random.Random(f"companies:{seed}")
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        stem = "".join(rng.choice(COMPANY_SYLLABLES) for _i in range(rng.choice((2, 3))))
        name = f"{stem.capitalize()} {rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


@dataclasses.dataclass(slots=True)
class _Person:
    first: str
    last: str
    latin: str  # "first.last" in ASCII, for the email
    city_cell: str
    city: Any  # sambandh.cli.demo.City
    country_cell: str
    country: str  # what the import makes of country_cell


class ContactFile:
    """Writes one generated file and says what its import must do.

    ``tag`` makes the file's new emails and record ids its own; ``seen_companies`` (casefold
    -> name as first written) is shared by the files of one run, so a company an earlier file
    created is matched, not created again; ``existing`` (email, city) are contacts already in
    the database that ``update_share`` of the rows update."""

    def __init__(
        self,
        *,
        seed: int,
        tag: str,
        companies: list[str],
        seen_companies: dict[str, str],
        existing: Iterable[tuple[str, str]] = (),
        update_share: float = 0.0,
    ) -> None:
        from sambandh.cli import demo

        self.demo = demo
        self.rng = random.Random(f"import:{seed}:{tag}")
        self.tag = tag
        self.companies = companies
        self.seen_companies = seen_companies
        self.existing = list(existing)
        self.update_share = update_share
        self.recent: list[list[str]] = []  # cells of recent created rows, for duplicates

    def write(
        self, path: Path, rows: int, on_created: Callable[[Clean], None] | None = None
    ) -> FileSpec:
        """Write ``rows`` rows to ``path``; ``on_created`` receives each contact the import
        must create, in the file's order."""
        spec = FileSpec(path)
        rng = self.rng
        with open(path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADERS)
            for n in range(rows):
                roll = rng.random()
                if roll < DUPLICATE_SHARE and self.recent:
                    cells = list(rng.choice(self.recent))
                    cells[0] = f"{self.tag}{n}"
                    cells[3] = _other_case(cells[3], rng)
                    spec.duplicates += 1
                elif roll < DUPLICATE_SHARE + INVALID_SHARE:
                    cells = self._invalid(n, spec)
                elif roll < DUPLICATE_SHARE + INVALID_SHARE + self.update_share and self.existing:
                    cells = self._update(spec)
                else:
                    cells, clean = self._new(n, spec)
                    spec.created += 1
                    spec.digest = (spec.digest + row_hash(clean.canonical())) % DIGEST_MOD
                    for name in clean.tags:
                        spec.tag_digest = (
                            spec.tag_digest + row_hash(f"{clean.email}\x1f{name}")
                        ) % DIGEST_MOD
                    if on_created is not None:
                        on_created(clean)
                writer.writerow(cells)
                spec.rows += 1
        return spec

    def _person(self) -> _Person:
        rng, demo = self.rng, self.demo
        if rng.random() < 0.15:
            city = rng.choice(demo.FOREIGN_CITIES)
            firsts, lasts = demo.FOREIGN_NAMES[city.country]
            first, last = rng.choice(firsts), rng.choice(lasts)
            country_cell = rng.choice((COUNTRY_NAMES[city.country], city.country))
            latin = f"{_ascii(first)}.{_ascii(last)}"
            return _Person(first, last, latin, city.name, city, country_cell, city.country)
        city = rng.choice(demo.INDIAN_CITIES)
        first_pair, last_pair = rng.choice(demo.INDIAN_FIRST), rng.choice(demo.INDIAN_LAST)
        first, last = first_pair[0], last_pair[0]
        latin = f"{_ascii(first)}.{_ascii(last)}"
        city_cell = city.name
        if rng.random() < 0.1:
            first, last = first_pair[1], last_pair[1]
            if rng.random() < 0.5:
                city_cell = HINDI_CITIES[city.name]
        country_cell = rng.choice(("India", "India", "IN", "भारत", ""))
        return _Person(
            first, last, latin, city_cell, city, country_cell, "IN" if country_cell else ""
        )

    def _phone(self, person: _Person) -> tuple[str, str]:
        """(the cell as people type it, its E.164 form)."""
        e164 = self.demo.demo_phone(self.rng, person.city)
        code = CALLING_CODES[person.city.country]
        national = e164[1 + len(code) :]
        if person.city.country != "IN":
            return f"+{code} {national}", e164
        cell = self.rng.choice(
            (
                f"+91 {national[:5]} {national[5:]}",
                f"{national[:5]} {national[5:]}",
                f"0{national}",
                national,
                f"+91-{national}",
            )
        )
        return cell, e164

    def _company(self) -> str:
        rng = self.rng
        if rng.random() < 0.25:
            return ""
        name = rng.choice(self.companies)
        return name.upper() if rng.random() < 0.05 else name

    def _new(self, n: int, spec: FileSpec) -> tuple[list[str], Clean]:
        rng = self.rng
        person = self._person()
        email = f"{person.latin}.{self.tag}{n}@{rng.choice(EMAIL_DOMAINS)}"
        email_cell = email if rng.random() < 0.9 else _other_case(email, rng)
        phone_cell, phone = self._phone(person) if rng.random() < 0.9 else ("", "")
        job = ""
        if rng.random() < 0.7:
            hindi = not person.first.isascii()
            job = rng.choice(self.demo.HINDI_JOB_TITLES if hindi else self.demo.JOB_TITLES)
        company_cell = self._company()
        company = ""
        if company_cell:
            company = self.seen_companies.get(company_cell.casefold(), "")
            if not company:
                company = self.seen_companies[company_cell.casefold()] = company_cell
                spec.companies.append(company_cell)
        stage_label, stage = rng.choice(STAGE_LABELS) if rng.random() < 0.7 else ("", "")
        tags: tuple[str, ...] = ()
        if rng.random() < 0.4:
            tags = tuple(rng.sample(self.demo.TAGS, rng.choice((1, 1, 2))))
        cells = [
            f"{self.tag}{n}",
            person.first,
            person.last,
            email_cell,
            phone_cell,
            job,
            person.city_cell,
            person.country_cell,
            company_cell,
            stage_label,
            "; ".join(tags),
            f"2024-{1 + n % 12:02d}-{1 + n % 28:02d} 10:{n % 60:02d}",
        ]
        self.recent.append(cells)
        if len(self.recent) > 3000:
            del self.recent[:1000]
        clean = Clean(
            first_name=person.first,
            last_name=person.last,
            email=email,
            phone=phone,
            job_title=job,
            city=person.city_cell,
            country=person.country,
            external_id=f"{self.tag}{n}",
            company=company,
            stage=stage,
            tags=tags,
        )
        return cells, clean

    def _invalid(self, n: int, spec: FileSpec) -> list[str]:
        """A row with one error: a bad email, a bad phone, or neither a name nor an email."""
        rng = self.rng
        person = self._person()
        first, last = person.first, person.last
        email = f"{person.latin}.{self.tag}{n}@example.com"
        phone_cell, _e164 = self._phone(person)
        kind = rng.randrange(3)
        if kind == 0:
            spec.bad_email += 1
            email = rng.choice((email.replace("@", " at "), email.split("@")[0] + "@", "n/a"))
        elif kind == 1:
            spec.bad_phone += 1
            phone_cell = rng.choice(("12345", "98765", "call me", "+91 12"))
        else:
            spec.no_identity += 1
            first = last = email = ""
        cells = [f"{self.tag}{n}", first, last, email, phone_cell, "", person.city_cell]
        return [*cells, person.country_cell, "", "", "", ""]

    def _update(self, spec: FileSpec) -> list[str]:
        """An existing contact (its email in another letter case) with a new city and job."""
        rng = self.rng
        email, old_city = self.existing.pop()
        city = rng.choice([c.name for c in self.demo.INDIAN_CITIES if c.name != old_city])
        job = rng.choice(self.demo.JOB_TITLES)
        spec.updates[email] = (city, job)
        return ["", "", "", _other_case(email, rng), "", job, city, "", "", "", "", ""]


# ---------------------------------------------------------------- the driver (no Django)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help=f"rows of the first file ({DEFAULT_ROWS:,})"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a result misses its target"
    )
    parser.add_argument("--profile", default=None, help="write a cProfile of the first import")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    if args.profile is None:
        args.profile = os.environ.get(PROFILE_ENV) or None
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    if args.profile:
        os.environ[PROFILE_ENV] = os.path.abspath(args.profile)
    return drive(__file__, args, "import_contacts", pg_database=PG_BENCH_DB)


# ---------------------------------------------------------------- measuring (child process)


def _say(text: str) -> None:
    print(text, flush=True)


def _fail(text: str) -> SystemExit:
    return SystemExit(f"bench/import_contacts.py: {text}")


def _floor_result(name: str, value: float, unit: str, target_min: float) -> dict[str, Any]:
    row = _result(name, value, unit, None)
    row["target_min"] = target_min
    row["ok"] = value >= target_min
    return row


class RawLoad:
    """The rows of the first file as a raw loader inserts them: built (untimed) while the file
    is written, loaded (timed) into the empty tables in one transaction."""

    def __init__(self, admin: Any) -> None:
        from django.db import connection

        from sambandh.contacts.models import Account, Contact, LifecycleStage
        from sambandh.contacts.services.cleaning import (
            _account_document,
            _first_team,
            contact_document,
        )
        from sambandh.core.search import TYPE_CODES, _key

        # The very documents the services write, from the same functions.
        self.contact_document = cast(Callable[[Any], str], contact_document)
        self.account_document = cast(Callable[[Any], str], _account_document)
        self.contact_code, self.account_code = TYPE_CODES["contact"], TYPE_CODES["account"]
        self.key = _key

        self.stage_ids = dict(LifecycleStage.objects.values_list("key", "pk"))
        # Into a populated table: the companies already there are linked, not inserted again.
        self.account_ids: dict[str, int] = {
            name.casefold(): pk for pk, name in Account.objects.values_list("pk", "name")
        }
        self.accounts: list[tuple[Any, ...]] = []
        self.contacts: list[tuple[Any, ...]] = []
        self.tag_names: list[str] = []
        self.links: list[tuple[int, str]] = []
        self.documents: list[tuple[int, int, int, str]] = []
        now = _now()
        team = _first_team(admin)
        self.contact_sql, self.contact_constants = _insert_sql(
            Contact,
            (
                "id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "job_title",
                "city",
                "country",
                "external_id",
                "account_id",
                "lifecycle_stage_id",
            ),
            Contact(owner_id=admin.pk, team_id=team, created_by_id=admin.pk, created_at=now),
            now,
        )
        self.account_sql, self.account_constants = _insert_sql(
            Account,
            ("id", "name"),
            Account(owner_id=admin.pk, team_id=team, created_by_id=admin.pk, created_at=now),
            now,
        )
        self.contact_start = _next_id(Contact)
        self.account_start = _next_id(Account)
        self.vendor = connection.vendor
        # create-or-update: email -> (city, job title) of existing contacts, and what they were
        self.updates: dict[str, tuple[str, str]] = {}
        self.before: list[tuple[Any, ...]] = []  # (id, city, job, updated_at, version, document)

    def add(self, clean: Clean) -> None:
        account_id = None
        if clean.company:
            account_id = self.account_ids.get(clean.company.casefold())
            if account_id is None:
                account_id = self.account_start + len(self.accounts)
                self.account_ids[clean.company.casefold()] = account_id
                self.accounts.append((account_id, clean.company))
                document = self.account_document(_AccountSource(clean.company))
                self.documents.append(
                    (self.key("account", account_id), self.account_code, account_id, document)
                )
        pk = self.contact_start + len(self.contacts)
        self.contacts.append(
            (
                pk,
                clean.first_name,
                clean.last_name,
                clean.email,
                clean.phone,
                clean.job_title,
                clean.city,
                clean.country,
                clean.external_id,
                account_id,
                self.stage_ids[clean.stage] if clean.stage else None,
            )
        )
        for name in clean.tags:
            self.links.append((pk, name))
        document = self.contact_document(clean)
        self.documents.append((self.key("contact", pk), self.contact_code, pk, document))

    def load(self) -> tuple[float, float]:
        """(seconds for the rows, seconds for the search documents), one transaction (its
        commit counted with the documents)."""
        from django.db import connection, transaction

        from sambandh.cli.demo import _insert_rows
        from sambandh.contacts.models import Contact, Tag
        from sambandh.core.search import PG_TABLE, SQLITE_TABLE

        through = Contact.tags.through._meta.db_table
        started = time.perf_counter()
        with transaction.atomic():
            for batch in _batches(self.accounts):
                _insert_rows(self.account_sql, [(*row, *self.account_constants) for row in batch])
            tag_ids = dict(Tag.objects.values_list("name", "pk"))
            tags = Tag.objects.bulk_create(
                [Tag(name=name) for name in self.tag_names if name not in tag_ids]
            )
            tag_ids.update({t.name: t.pk for t in tags})
            for batch in _batches(self.contacts):
                _insert_rows(self.contact_sql, [(*row, *self.contact_constants) for row in batch])
            link_sql = f"INSERT INTO {through} (contact_id, tag_id) VALUES (%s, %s)"  # noqa: S608
            for batch in _batches(self.links):
                _insert_rows(link_sql, [(pk, tag_ids[name]) for pk, name in batch])
            updated_documents = self._update() if self.updates else []
            rows_done = time.perf_counter()
            if updated_documents:
                _update_documents(updated_documents)
            if self.vendor == "postgresql":
                sql = f"INSERT INTO {PG_TABLE} (key, object_type, object_id, body) VALUES (%s, %s, %s, %s)"  # noqa: S608
                for batch in _batches(self.documents):
                    _insert_rows(sql, batch)
            else:
                sql = f"INSERT INTO {SQLITE_TABLE} (rowid, body) VALUES (%s, %s)"  # noqa: S608
                for batch in _batches(self.documents):
                    with connection.cursor() as cursor:
                        cursor.executemany(sql, [(key, body) for key, _c, _pk, body in batch])
        finished = time.perf_counter()
        return rows_done - started, finished - rows_done

    def _documents_table(self) -> tuple[str, str]:
        """The search documents' table and its key column on this database."""
        from sambandh.core.search import PG_TABLE, SQLITE_TABLE

        return (PG_TABLE, "key") if self.vendor == "postgresql" else (SQLITE_TABLE, "rowid")

    def keep_before(self) -> None:
        """Untimed, before ``load``: what the updated contacts hold now, for ``remove``."""
        from django.db import connection

        from sambandh.contacts.models import Contact
        from sambandh.core.search import _SHIFT

        table, column = self._documents_table()
        contacts = Contact._meta.db_table
        self.before = []
        with connection.cursor() as cursor:
            for batch in _batches(list(self.updates)):
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    f"SELECT c.id, c.city, c.job_title, c.updated_at, c.version, d.body "  # noqa: S608
                    f"FROM {contacts} c JOIN {table} d ON d.{column} = c.id * {1 << _SHIFT} + %s "
                    f"WHERE lower(c.email) IN ({marks})",
                    [self.contact_code, *batch],
                )
                self.before += cursor.fetchall()

    def _update(self) -> list[tuple[int, str]]:
        """The existing contacts the file updates, as a raw loader updates them: found by
        lower(email), their city, job title, time and version set (SQLite ``executemany``,
        PostgreSQL ``UPDATE ... FROM (VALUES ...)``); their new documents, by key."""
        from types import SimpleNamespace

        from django.db import connection

        from sambandh.contacts.models import Contact

        contacts = Contact._meta.db_table
        now = Contact._meta.get_field("updated_at").get_db_prep_save(_now(), connection)
        wanted = {email.lower(): value for email, value in self.updates.items()}
        rows: list[tuple[Any, ...]] = []
        documents: list[tuple[int, str]] = []
        with connection.cursor() as cursor:
            for batch in _batches(list(wanted)):
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    "SELECT id, salutation, first_name, last_name, email, other_emails, phone, "  # noqa: S608
                    f"other_phones FROM {contacts} WHERE lower(email) IN ({marks})",
                    batch,
                )
                for pk, salutation, first, last, email, emails, phone, phones in cursor:
                    city, job = wanted[email.lower()]
                    rows.append((city, job, now, pk))
                    record = SimpleNamespace(
                        salutation=salutation,
                        first_name=first,
                        last_name=last,
                        email=email,
                        other_emails=json.loads(emails) if isinstance(emails, str) else emails,
                        phone=phone,
                        other_phones=json.loads(phones) if isinstance(phones, str) else phones,
                        job_title=job,
                        city=city,
                    )
                    documents.append((self.key("contact", pk), self.contact_document(record)))
            if self.vendor == "postgresql":
                one = "(%s, %s, %s::timestamptz, %s::bigint)"
                for batch in _batches(rows):
                    cursor.execute(
                        f"UPDATE {contacts} AS t SET city = v.city, job_title = v.job, "  # noqa: S608
                        "updated_at = v.at, version = t.version + 1 "
                        f"FROM (VALUES {', '.join([one] * len(batch))}) AS v(city, job, at, id) "
                        "WHERE t.id = v.id",
                        [value for row in batch for value in row],
                    )
            else:
                cursor.executemany(
                    f"UPDATE {contacts} SET city = %s, job_title = %s, updated_at = %s, "  # noqa: S608
                    "version = version + 1 WHERE id = %s",
                    rows,
                )
        return sorted(documents)

    def remove(self) -> None:
        """Take out (untimed) what ``load`` wrote into a populated table: its contacts, their
        tag links and documents, the companies it added and their documents."""
        from django.db import connection, transaction

        from sambandh.contacts.models import Account, Contact

        table, column = self._documents_table()
        keys = [(key,) for key, _c, _pk, _b in self.documents]
        through = Contact.tags.through._meta.db_table
        # Plain DELETEs: nothing else refers to rows the bench itself just loaded.
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, start in (
                (f"DELETE FROM {through} WHERE contact_id >= %s", self.contact_start),  # noqa: S608
                (f"DELETE FROM {Contact._meta.db_table} WHERE id >= %s", self.contact_start),  # noqa: S608
                (f"DELETE FROM {Account._meta.db_table} WHERE id >= %s", self.account_start),  # noqa: S608
            ):
                cursor.execute(sql, [start])
            cursor.executemany(f"DELETE FROM {table} WHERE {column} = %s", keys)  # noqa: S608
            cursor.executemany(
                f"UPDATE {Contact._meta.db_table} SET city = %s, job_title = %s, "  # noqa: S608
                "updated_at = %s, version = %s WHERE id = %s",
                [(city, job, at, version, pk) for pk, city, job, at, version, _b in self.before],
            )
            cursor.executemany(
                f"UPDATE {table} SET body = %s WHERE {column} = %s",  # noqa: S608
                [(body, self.key("contact", pk)) for pk, _c, _j, _a, _v, body in self.before],
            )
        if self.vendor == "postgresql" and not connection.in_atomic_block:
            # The dead rows out of the tables and their indexes, so that the import after this
            # finds them as the raw load found them. (VACUUM cannot run in a transaction: in
            # a caller's, as in the tests, autovacuum is left to do it.)
            with connection.cursor() as cursor:
                for name in (through, Contact._meta.db_table, Account._meta.db_table, table):
                    cursor.execute(f"VACUUM (ANALYZE) {name}")


def _update_documents(documents: list[tuple[int, str]]) -> None:
    """Updated contacts' documents replaced by key, in key order."""
    from django.db import connection

    from sambandh.core.search import PG_TABLE, SQLITE_TABLE

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for batch in _batches(documents):
                cursor.execute(
                    f"UPDATE {PG_TABLE} AS d SET body = v.body "  # noqa: S608
                    f"FROM (VALUES {', '.join(['(%s::bigint, %s)'] * len(batch))}) "
                    "AS v(key, body) WHERE d.key = v.key",
                    [value for row in batch for value in row],
                )
        else:
            cursor.executemany(
                f"UPDATE {SQLITE_TABLE} SET body = %s WHERE rowid = %s",  # noqa: S608
                [(body, key) for key, body in documents],
            )


class _AccountSource:
    """The attributes ``_account_document`` reads."""

    domain = phone = city = industry = ""

    def __init__(self, name: str) -> None:
        self.name = name


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def _batches(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), RAW_BATCH):
        yield items[start : start + RAW_BATCH]


def _insert_sql(
    model: Any, varying: tuple[str, ...], template: Any, now: Any
) -> tuple[str, tuple[Any, ...]]:
    """INSERT of every concrete column (``varying`` first), and the database values of the
    others, converted once by their fields (as the demo loader's bulk path does)."""
    from django.db import connection

    template.updated_at = now
    fields = {f.attname: f for f in model._meta.local_concrete_fields}
    constant_names = [name for name in fields if name not in varying]
    constants = tuple(
        fields[name].get_db_prep_save(getattr(template, name), connection)
        for name in constant_names
    )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in (*varying, *constant_names))
    marks = ", ".join(["%s"] * (len(varying) + len(constant_names)))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    return sql, constants


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _empty_tables() -> None:
    """Back to freshly migrated tables (untimed): what the raw load wrote is removed."""
    from django.db import connection

    from sambandh.contacts.models import Account, Contact, Tag
    from sambandh.core.search import PG_TABLE, SQLITE_TABLE

    tables = [
        Contact.tags.through._meta.db_table,
        Contact._meta.db_table,
        Account._meta.db_table,
        Tag._meta.db_table,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # CASCADE: in a freshly migrated database the tables that refer to these are empty.
            cursor.execute(
                f"TRUNCATE {', '.join([*tables, PG_TABLE])} RESTART IDENTITY CASCADE"  # noqa: S608
            )
            return
        # Without foreign key checks SQLite empties a table at once instead of row by row.
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in [SQLITE_TABLE, *tables]:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)  # noqa: S608
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("VACUUM")


def _sqlite_copy(work: Path) -> Path | None:
    """SQLite: a copy of the database file (untimed), for ``_sqlite_restore``; else None.

    The raw baseline into the populated table is loaded and then taken out again. Deleted,
    its rows would leave free pages all through the tables and indexes that the import
    after it writes into (its upsert ran 20% slower than into the same table without
    them); put back from a copy, the file is exactly as the raw load found it."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    copy = work / "before-raw.sqlite3"
    shutil.copyfile(settings.DATABASES["default"]["NAME"], copy)
    return copy


def _sqlite_restore(copy: Path) -> None:
    from django.conf import settings
    from django.db import connection

    connection.close()  # the last connection: SQLite folds the WAL in and removes it
    name = str(settings.DATABASES["default"]["NAME"])
    for leftover in (f"{name}-wal", f"{name}-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    os.replace(copy, name)


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclasses.dataclass
class Timed:
    job: Any
    seconds: float
    create_seconds: float


def _import(admin: Any, path: Path, mode: str, profile: str | None = None) -> Timed:
    """The file through the services: upload, configure, start, and the worker's run."""
    from django.test import override_settings

    from sambandh.dataio.models import ImportJob
    from sambandh.dataio.services import (
        import_job_configure,
        import_job_create,
        import_job_start,
        import_run,
    )

    profiler = cProfile.Profile() if profile else None
    # Profiled, the whole import runs in this process (the pipeline's reader too), so that
    # the profile sees it all; its times are then not comparable with a plain run's.
    one_process = override_settings(SAMBANDH_IMPORT_PIPELINE_MIN_ROWS=sys.maxsize)
    if profiler is not None:
        one_process.enable()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    with open(path, "rb") as upload:
        job = import_job_create(
            actor=admin,
            object_type="contact",
            upload=upload,
            filename=path.name,
            size=path.stat().st_size,
        )
    created = time.perf_counter()
    if job.mapping != EXPECTED_MAPPING:
        raise _fail(f"the proposed mapping is {job.mapping}, not {EXPECTED_MAPPING}")
    job = import_job_configure(actor=admin, job=job, mapping=job.mapping, mode=mode)
    import_job_start(actor=admin, job=job)
    import_run(job.pk)
    if profiler is not None:
        profiler.disable()
    finished = time.perf_counter()
    if profiler is not None and profile:
        one_process.disable()
        profiler.dump_stats(profile)
        _say(f"profile of the first import written to {profile}")
    return Timed(ImportJob.objects.get(pk=job.pk), finished - started, created - started)


def _check_job(job: Any, spec: FileSpec, *, created: int, updated: int, skipped: int) -> None:
    """The job's counts and its problems (code, column) are exactly what the file holds."""
    from django.db.models import Count

    from sambandh.dataio.models import ImportStatus

    if job.status != ImportStatus.COMPLETED:
        raise _fail(f"import {job.file_name} ended {job.status}: {job.error}")
    found = (
        job.processed_count,
        job.created_count,
        job.updated_count,
        job.skipped_count,
        job.failed_count,
    )
    expected = (spec.rows, created, updated, skipped, spec.failed)
    if found != expected:
        raise _fail(
            f"{job.file_name}: (rows, created, updated, skipped, failed) are {found}, "
            f"expected {expected}"
        )
    problems = {
        (code, field): n
        for code, field, n in job.problems.filter(from_check=False)
        .values_list("code", "field")
        .annotate(n=Count("id"))
        .values_list("code", "field", "n")
    }
    wanted = {
        ("duplicate", "Email"): skipped,
        ("invalid_email", "Email"): spec.bad_email,
        ("invalid_phone", "Phone Number"): spec.bad_phone,
        ("no_identity", ""): spec.no_identity,
    }
    wanted = {key: n for key, n in wanted.items() if n}
    if problems != wanted:
        raise _fail(f"{job.file_name}: problems {problems}, expected {wanted}")


def _digests() -> tuple[int, int]:
    """(sum of every contact's row hash, sum of hash(email, tag) over every tag link)."""
    from sambandh.contacts.models import Contact

    digest = 0
    for row in (
        Contact.objects.order_by()
        .values_list(
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "city",
            "country",
            "external_id",
            "account__name",
            "lifecycle_stage__key",
        )
        .iterator(chunk_size=5000)
    ):
        text = "\x1f".join("" if value is None else str(value) for value in row)
        digest = (digest + row_hash(text)) % DIGEST_MOD
    tag_digest = 0
    for email, name in (
        Contact.tags.through.objects.order_by()
        .values_list("contact__email", "tag__name")
        .iterator(chunk_size=5000)
    ):
        tag_digest = (tag_digest + row_hash(f"{email}\x1f{name}")) % DIGEST_MOD
    return digest, tag_digest


def _check_database(contacts: int, companies: int, digest: int, tag_digest: int) -> None:
    from sambandh.contacts.models import Account, Contact

    found = (Contact.objects.count(), Account.objects.count())
    if found != (contacts, companies):
        raise _fail(
            f"the database holds (contacts, companies) {found}, expected {(contacts, companies)}"
        )
    if _digests() != (digest, tag_digest):
        raise _fail("the contacts' values or tags in the database differ from those generated")


def _existing_sample(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` (email, city) of contacts in the database, chosen at random."""
    from sambandh.contacts.models import Contact

    rng = random.Random(f"existing:{seed}")
    ids = list(Contact.objects.values_list("id", flat=True))
    chosen = rng.sample(ids, min(count, len(ids)))
    found: list[tuple[str, str]] = []
    for start in range(0, len(chosen), 500):
        found += list(
            Contact.objects.filter(pk__in=chosen[start : start + 500]).values_list("email", "city")
        )
    rng.shuffle(found)
    return found


def _check_updates(updates: dict[str, tuple[str, str]]) -> None:
    from sambandh.contacts.models import Contact

    emails = list(updates)
    for start in range(0, len(emails), 500):
        for email, city, job in Contact.objects.filter(
            email__in=emails[start : start + 500]
        ).values_list("email", "city", "job_title"):
            if updates[email] != (city, job):
                raise _fail(f"{email} was not updated: {(city, job)} != {updates[email]}")


def _reader_seconds(path: Path) -> float:
    """Reading the file alone, row by row (the floor of any import in Python)."""
    from sambandh.dataio.readers import open_table

    started = time.perf_counter()
    with open_table(path) as table:
        for _row in table.rows():
            pass
    return time.perf_counter() - started


def _measure(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.contacts.models import Account, Contact
    from sambandh.dataio.models import ImportMode

    rows = args.rows
    more = max(1000, rows // 10)
    _say(f"== import bench on {args.db}: {rows:,} rows, then {more:,} twice into them")
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]
    pool = company_pool(max(50, rows // 40), args.seed)
    seen: dict[str, str] = {}
    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    first_path = work / "contacts.csv"

    # 1. the file, and the raw rows of what it must create
    started = time.perf_counter()
    raw = RawLoad(admin)
    first = ContactFile(seed=args.seed, tag="a", companies=pool, seen_companies=seen)
    spec = first.write(first_path, rows, raw.add)
    from sambandh.cli.demo import TAGS

    linked = {name for _pk, name in raw.links}
    raw.tag_names = [name for name in TAGS if name in linked]
    _say(
        f"wrote {spec.rows:,} rows ({first_path.stat().st_size / 1e6:.1f} MB): "
        f"{spec.created:,} to create, {spec.duplicates:,} duplicates, {spec.failed:,} invalid "
        f"({spec.bad_email} email, {spec.bad_phone} phone, {spec.no_identity} no name or email), "
        f"{len(spec.companies):,} companies, in {time.perf_counter() - started:.1f} s"
    )
    raw_rows_s, raw_search_s = raw.load()
    raw_s = raw_rows_s + raw_search_s
    _check_database(spec.created, len(spec.companies), spec.digest, spec.tag_digest)
    _say(
        f"raw load ({'COPY' if raw.vendor == 'postgresql' else 'executemany'}, one transaction): "
        f"rows {raw_rows_s:.2f} s + search documents {raw_search_s:.2f} s = {raw_s:.2f} s "
        f"({spec.created / raw_s:,.0f} contacts/s)"
    )
    del raw
    _empty_tables()
    reader_s = _reader_seconds(first_path)

    # 2. the import of the same file into the empty tables
    timed = _import(admin, first_path, ImportMode.CREATE, args.profile)
    job = timed.job
    _check_job(job, spec, created=spec.created, updated=0, skipped=spec.duplicates)
    _check_database(spec.created, len(spec.companies), spec.digest, spec.tag_digest)
    rate = rows / timed.seconds
    _say(
        f"import (create, valid rows): {timed.seconds:.2f} s ({rate:,.0f} rows/s; upload and "
        f"mapping {timed.create_seconds:.2f} s), {timed.seconds / raw_s:.2f}x raw | reading "
        f"the file alone {reader_s:.2f} s | created {job.created_count:,}, skipped "
        f"{job.skipped_count:,}, failed {job.failed_count:,}"
    )
    results = [
        _result("raw load rows", raw_rows_s, "s", None),
        _result("raw load search documents", raw_search_s, "s", None),
        _result("read file only", reader_s, "s", None),
        _result("import", timed.seconds, "s", raw_s, target_ratio=TARGET_RATIO),
        _result("import rate", rate, "rows/s", None),
    ]
    results[3]["stretch_ratio"] = STRETCH_RATIO
    if rows >= FULL_ROWS:
        results.append(
            _result("import 1M rows", timed.seconds, "s", None, target_max=TARGET_SECONDS_1M)
        )

    # 3. into the populated table: its raw baseline (the second file's rows loaded raw, then
    # taken out again), new contacts (create), then create-or-update by email
    _analyze()
    present = Contact.objects.count()
    present_companies = Account.objects.count()
    path = work / "more.csv"
    more_raw = RawLoad(admin)
    more_spec = ContactFile(seed=args.seed, tag="b", companies=pool, seen_companies=seen).write(
        path, more, more_raw.add
    )
    more_raw.tag_names = sorted({name for _pk, name in more_raw.links})
    kept = _sqlite_copy(work)
    more_raw_s = sum(more_raw.load())
    _check_database(
        present + more_spec.created,
        present_companies + len(more_spec.companies),
        (spec.digest + more_spec.digest) % DIGEST_MOD,
        (spec.tag_digest + more_spec.tag_digest) % DIGEST_MOD,
    )
    if kept is not None:
        _sqlite_restore(kept)
    else:
        more_raw.remove()
    del more_raw
    _analyze()
    raw_rate = more / more_raw_s
    _say(
        f"raw load of the second file's rows into {present:,} contacts: {more_raw_s:.2f} s "
        f"({raw_rate:,.0f} rows/s of the file)"
    )
    results.append(_result("raw load into populated", more_raw_s, "s", None))
    timed = _import(admin, path, ImportMode.CREATE)
    path.unlink()
    _check_job(
        timed.job, more_spec, created=more_spec.created, updated=0, skipped=more_spec.duplicates
    )
    companies = len(spec.companies) + len(more_spec.companies)
    _check_database(
        present + more_spec.created,
        companies,
        (spec.digest + more_spec.digest) % DIGEST_MOD,
        (spec.tag_digest + more_spec.tag_digest) % DIGEST_MOD,
    )
    create_rate = more / timed.seconds
    _say(
        f"import of {more:,} rows into {present:,} contacts (create): {timed.seconds:.2f} s "
        f"({create_rate:,.0f} rows/s), {timed.seconds / more_raw_s:.2f}x raw"
    )
    results.append(
        _floor_result("import into populated (create)", create_rate, "rows/s", TARGET_RATE)
    )
    results[-1]["present"] = present
    results[-1]["raw_rate"] = round(raw_rate)
    results[-1]["ratio"] = round(timed.seconds / more_raw_s, 2)

    present = Contact.objects.count()
    present_companies = Account.objects.count()
    path = work / "upsert.csv"
    upsert_raw = RawLoad(admin)
    upsert_spec = ContactFile(
        seed=args.seed,
        tag="c",
        companies=pool,
        seen_companies=seen,
        existing=_existing_sample(int(more * UPDATE_SHARE * 1.5), args.seed),
        update_share=UPDATE_SHARE,
    ).write(path, more, upsert_raw.add)
    # Its raw baseline: the new rows as for the create file, and the updates (a row that
    # repeats an earlier row's email is left out: the import updates that contact's record id).
    upsert_raw.tag_names = sorted({name for _pk, name in upsert_raw.links})
    upsert_raw.updates = upsert_spec.updates
    upsert_raw.keep_before()
    kept = _sqlite_copy(work)
    upsert_raw_s = sum(upsert_raw.load())
    found = (Contact.objects.count(), Account.objects.count())
    expected = (present + upsert_spec.created, present_companies + len(upsert_spec.companies))
    if found != expected:
        raise _fail(f"the raw create-or-update left (contacts, companies) {found}, not {expected}")
    _check_updates(upsert_spec.updates)
    if kept is not None:
        _sqlite_restore(kept)
    else:
        upsert_raw.remove()
    del upsert_raw
    _analyze()
    _say(
        f"raw create-or-update of the third file's rows into {present:,} contacts: "
        f"{upsert_raw_s:.2f} s ({more / upsert_raw_s:,.0f} rows/s of the file)"
    )
    results.append(_result("raw create-or-update into populated", upsert_raw_s, "s", None))
    timed = _import(admin, path, ImportMode.UPSERT)
    path.unlink()
    # A repeated email updates the contact its first row created.
    updated = len(upsert_spec.updates) + upsert_spec.duplicates
    _check_job(timed.job, upsert_spec, created=upsert_spec.created, updated=updated, skipped=0)
    companies += len(upsert_spec.companies)
    found = (Contact.objects.count(), Account.objects.count())
    if found != (present + upsert_spec.created, companies):
        raise _fail(
            f"after create-or-update the database holds (contacts, companies) {found}, "
            f"expected {(present + upsert_spec.created, companies)}"
        )
    _check_updates(upsert_spec.updates)
    upsert_rate = more / timed.seconds
    _say(
        f"import of {more:,} rows into {present:,} contacts (create or update by email, "
        f"{len(upsert_spec.updates):,} updates): {timed.seconds:.2f} s ({upsert_rate:,.0f} rows/s), "
        f"{timed.seconds / upsert_raw_s:.2f}x raw"
    )
    results.append(
        _floor_result("import into populated (upsert)", upsert_rate, "rows/s", TARGET_RATE)
    )
    results[-1]["present"] = present
    results[-1]["raw_rate"] = round(more / upsert_raw_s)
    results[-1]["ratio"] = round(timed.seconds / upsert_raw_s, 2)
    for row in results:
        if row["ok"] is False:
            _say(f"MISSED: {row['name']} ({row['value']} {row['unit']}, ratio {row['ratio']})")
    first_path.unlink()
    work.rmdir()
    print(
        json.dumps(
            {"bench": "import_contacts", "db": args.db, "rows": rows, "results": results},
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
