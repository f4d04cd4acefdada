"""Benchmark: the contacts list, lookup by email, global search and the contact page.

    python bench/contacts.py [--rows N] [--db sqlite|postgres|both]

Builds its own database (a temporary SQLite file, or a PostgreSQL database ``sambandh_bench``
that it creates and drops), loads ``--rows`` demo contacts through the demo bulk path, then
measures in the same run, each against the raw-database baseline for the same work:

0. the request floor: ``GET /api/v1/health`` (no auth, no query) through the same stack;
1. list API, 50 rows, keyset-walking pages deep: p50 and p99 vs the raw page query, written
   by hand to return what the API's page holds (its columns, tag names, stage key);
2. lookup by email through the API: p99 vs the same hand-written query ``WHERE email = ?``;
3. global search, top 20, through the API: p95 (target: under 50 ms) vs the raw FTS5 /
   pg_trgm query;
4. the contact page's query count at a tenth of the rows and at all of them (must not grow).

Human-readable lines first; the LAST line is one JSON object (see DESIGN.md, Benchmarks).
Requests go through Django's test Client with a Bearer token: the whole middleware, auth,
permission and serialisation stack, without a network hop. Machines are noisy: compare the
ratios of one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_ROWS = 20_000
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "sambandh_bench"
PAGE = 50
SEARCH_TARGET_MS = 50.0


# ---------------------------------------------------------------- the driver (no Django)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="contacts to load")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a result misses its target"
    )
    # Internal: the measuring child process (settings are fixed per process, so one per DB).
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    return args


@contextmanager
def _postgres_database(admin_url: str, name: str = PG_BENCH_DB) -> Iterator[str]:
    import psycopg

    base = admin_url.rstrip("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run_child(
    script: str, args: argparse.Namespace, db: str, *, pg_database: str
) -> dict[str, Any]:
    """Run ``script --child`` for one database in a fresh process (settings are fixed per
    process) on a throw-away data folder, or PostgreSQL database ``pg_database``; return its
    JSON line. Every bench script's driver uses this one."""
    name = f"bench/{os.path.basename(script)}"
    with tempfile.TemporaryDirectory(prefix="sambandh-bench-") as data_dir:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "SAMBANDH_TEST_DB_NAME", "REDIS_URL", "DEBUG"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "sambandh.settings",
                "SAMBANDH_DATA_DIR": data_dir,
                # Plain static storage: pages render without a collectstatic manifest.
                "SAMBANDH_TESTING": "1",
                "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
            }
        )
        command = [sys.executable, os.path.abspath(script), "--child", "--db", db]
        command += ["--rows", str(args.rows)]
        if getattr(args, "seed", None) is not None:
            command += ["--seed", str(args.seed)]
        if db == "postgres":
            with _postgres_database(args.pg_url, pg_database) as url:
                env["DATABASE_URL"] = url
                lines = _stream(command, env, name)
        else:
            lines = _stream(command, env, name)
    if not lines or not lines[-1].startswith("{"):
        raise SystemExit(f"{name}: the {db} run failed (see above)")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _stream(command: list[str], env: dict[str, str], name: str = "bench/contacts.py") -> list[str]:
    """Run ``command``, echoing its output as it comes; return its lines."""
    lines: list[str] = []
    with subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        command, env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if not line.startswith("{"):
                print(line, end="", flush=True)
        process.wait()
    if process.returncode != 0:
        raise SystemExit(f"{name}: measuring process exited with {process.returncode}")
    return lines


def drive(
    script: str,
    args: argparse.Namespace,
    bench: str,
    *,
    pg_database: str,
    extra: dict[str, Any] | None = None,
) -> int:
    """The driver's half of every bench script: a child run per database, then one JSON line
    (with --db both, the two runs' results, each name prefixed by its database); under
    --strict, exit 1 when a result misses its target."""
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = [run_child(script, args, db, pg_database=pg_database) for db in dbs]
    if len(runs) == 1:
        final = runs[0]
    else:
        final = {
            "bench": bench,
            "db": "both",
            "rows": args.rows,
            **(extra or {}),
            "results": [
                {**r, "name": f"{run['db']}: {r['name']}"} for run in runs for r in run["results"]
            ],
        }
    print(json.dumps(final, ensure_ascii=False), flush=True)
    missed = [r["name"] for r in final["results"] if r.get("ok") is False]
    return 1 if args.strict and missed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    return drive(__file__, args, "contacts", pg_database=PG_BENCH_DB)


# ---------------------------------------------------------------- measuring (child process)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile of ``samples`` (``p`` in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn(*args)
    return (time.perf_counter() - started) * 1000, value


def _say(text: str) -> None:
    print(text, flush=True)


def _result(
    name: str,
    value: float,
    unit: str,
    baseline: float | None,
    *,
    target_ratio: float | None = None,
    target_max: float | None = None,
) -> dict[str, Any]:
    ratio = round(value / baseline, 2) if baseline else None
    ok: bool | None = None
    if target_ratio is not None and ratio is not None:
        ok = ratio <= target_ratio
    if target_max is not None:
        ok = value <= target_max
    row: dict[str, Any] = {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": ratio,
        "target_ratio": target_ratio,
    }
    if target_max is not None:
        row["target_max"] = target_max
    row["ok"] = ok
    return row


class Api:
    """GETs through Django's test Client with a Bearer token; any non-200 stops the bench."""

    def __init__(self, token: str) -> None:
        from django.test import Client

        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.timed(path, params)[1]

    def timed(self, path: str, params: dict[str, str] | None = None) -> tuple[float, Any]:
        """(milliseconds, body): the clock covers the request through the whole server stack
        (middleware, auth, view, JSON rendering), not the client's decoding of the body."""
        started = time.perf_counter()
        response = self.client.get(path, params or {})
        ms = (time.perf_counter() - started) * 1000
        if response.status_code == 404:
            raise SystemExit(
                f"bench/contacts.py: {path} answered 404: is the endpoint there yet? "
                "(contacts API in src/sambandh/contacts/api.py, page in contacts/views.py)"
            )
        if response.status_code != 200:
            raise SystemExit(
                f"bench/contacts.py: {path} answered {response.status_code}: "
                f"{response.content[:300]!r}"
            )
        return ms, response.json()


def _load(actor: Any, *, contacts: int, seed: int, start: int) -> float:
    from sambandh.cli.demo import load_demo

    result = load_demo(actor=actor, contacts=contacts, seed=seed, start=start, out=None)
    return float(result.bulk_rows_per_second)


def _detail_queries(actor: Any, contact_id: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(actor)
    path = f"/contacts/{contact_id}/"
    client.get(path)  # warm: session, caches, template loading
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code == 404:
        raise SystemExit(f"bench/contacts.py: {path} answered 404: is the contact page there yet?")
    if response.status_code != 200:
        raise SystemExit(f"bench/contacts.py: {path} answered {response.status_code}")
    return len(queries)


def _busiest_contact_id() -> int:
    """A contact with notes and tags, so the page shows every section it has."""
    from django.db.models import Count

    from sambandh.contacts.models import Contact

    contact = (
        Contact.objects.annotate(n_notes=Count("notes", distinct=True))
        .filter(tags__isnull=False, account__isnull=False)
        .order_by("-n_notes", "id")
        .first()
    ) or Contact.objects.order_by("id").first()
    assert contact is not None
    return contact.pk


def _page_sql() -> tuple[str, str]:
    """(SELECT ... FROM ..., the contacts table): written by hand, the columns, tag names and
    lifecycle stage key that the API's page shows, so the ratio measures our stack, not
    a smaller answer."""
    from django.db import connection

    from sambandh.contacts.models import Contact, LifecycleStage, Tag
    from sambandh.contacts.selectors import CONTACT_ROW_FIELDS

    table = Contact._meta.db_table
    columns = ", ".join(
        f"{table}.{Contact._meta.get_field(name).column}"  # type: ignore[union-attr]
        for name in CONTACT_ROW_FIELDS
    )
    through = Contact.tags.through._meta.db_table
    if connection.vendor == "postgresql":
        names = "coalesce(array_agg(t.name), ARRAY[]::varchar[])"
    else:
        names = "json_group_array(t.name)"
    tags = (
        f"(SELECT {names} FROM {through} tl JOIN {Tag._meta.db_table} t ON t.id = tl.tag_id "
        f"WHERE tl.contact_id = {table}.id)"
    )
    stages = LifecycleStage._meta.db_table
    select = (
        f"SELECT {columns}, s.key, {tags} FROM {table} "
        f"LEFT JOIN {stages} s ON s.id = {table}.lifecycle_stage_id"
    )
    return select, table


def _raw(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _list_bench(api: Api, rng: random.Random, walks: int, pages: int) -> list[dict[str, Any]]:
    from sambandh.contacts.models import Contact
    from sambandh.core.pagination import encode_cursor

    api_ms: list[float] = []
    raw_ms: list[float] = []
    select, t = _page_sql()
    total = Contact.objects.count()
    for walk in range(walks):
        # The first walk starts at the top; the others somewhere in the middle of the list.
        if walk == 0:
            key: tuple[str, str, int] | None = None
        else:
            offset = rng.randrange(max(1, total - pages * PAGE))
            row = Contact.objects.order_by("last_name", "first_name", "id").values_list(
                "last_name", "first_name", "id"
            )[offset]
            key = (row[0], row[1], row[2])
        cursor = encode_cursor("name", list(key)) if key else None
        for _page in range(pages):
            params = {"limit": str(PAGE)}
            if cursor:
                params["cursor"] = cursor
            ms, body = api.timed("/api/v1/contacts", params)
            api_ms.append(ms)
            order = f"ORDER BY {t}.last_name, {t}.first_name, {t}.id LIMIT {PAGE}"
            if key is None:
                ms, rows = _timed(_raw, f"{select} {order}", [])
            else:
                sql = (
                    f"{select} WHERE ({t}.last_name, {t}.first_name, {t}.id) > (%s, %s, %s) {order}"
                )
                ms, rows = _timed(_raw, sql, list(key))
            raw_ms.append(ms)
            items = body["items"]
            if [i["id"] for i in items] != [r[0] for r in rows]:
                raise SystemExit("bench/contacts.py: the API page and the raw page differ")
            if not body["next_cursor"]:
                break
            cursor = body["next_cursor"]
            last = items[-1]
            key = (last["last_name"], last["first_name"], last["id"])
    _say(
        f"list page (50 rows, {len(api_ms)} pages): API p50 {percentile(api_ms, 50):.2f} ms, "
        f"p99 {percentile(api_ms, 99):.2f} ms | raw p50 {percentile(raw_ms, 50):.2f} ms, "
        f"p99 {percentile(raw_ms, 99):.2f} ms"
    )
    return [
        _result(
            "list page p50",
            percentile(api_ms, 50),
            "ms",
            percentile(raw_ms, 50),
            target_ratio=5,
        ),
        _result("list page p99", percentile(api_ms, 99), "ms", percentile(raw_ms, 99)),
    ]


def _email_bench(api: Api, rng: random.Random, lookups: int) -> list[dict[str, Any]]:
    from sambandh.contacts.models import Contact

    high = Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(1, high) for _i in range(lookups * 2)]
    emails = list(
        Contact.objects.filter(pk__in=ids).exclude(email="").values_list("email", flat=True)
    )[:lookups]
    api_ms: list[float] = []
    raw_ms: list[float] = []
    select, table = _page_sql()
    sql = f"{select} WHERE {table}.email = %s"
    for email in emails:
        ms, body = api.timed("/api/v1/contacts", {"email": email})
        api_ms.append(ms)
        ms, rows = _timed(_raw, sql, [email])
        raw_ms.append(ms)
        if {i["id"] for i in body["items"]} != {r[0] for r in rows}:
            raise SystemExit(f"bench/contacts.py: API and raw lookups of {email} differ")
    _say(
        f"lookup by email ({len(emails)} lookups): API p99 {percentile(api_ms, 99):.2f} ms | "
        f"raw p99 {percentile(raw_ms, 99):.2f} ms"
    )
    return [
        _result(
            "email lookup p99",
            percentile(api_ms, 99),
            "ms",
            percentile(raw_ms, 99),
            target_ratio=10,
        )
    ]


def _floor_bench(api: Api, requests: int) -> list[dict[str, Any]]:
    """The framework's own cost: ``GET /api/v1/health`` (no auth, no query) through the same
    middleware and router. A ratio against an in-process SQLite query of tens of
    microseconds cannot fall below this floor divided by that query's time."""
    api.get("/api/v1/health")
    samples = [api.timed("/api/v1/health")[0] for _i in range(requests)]
    _say(
        f"request floor (/api/v1/health, {requests} requests): p50 "
        f"{percentile(samples, 50):.2f} ms, p99 {percentile(samples, 99):.2f} ms"
    )
    return [
        _result("request floor p50", percentile(samples, 50), "ms", None),
        _result("request floor p99", percentile(samples, 99), "ms", None),
    ]


def _search_terms(rng: random.Random) -> list[str]:
    """What people type: surnames (Latin and Devanagari), a city, part of a phone or email."""
    from sambandh.contacts.models import Contact

    terms = ["sharma", "प्रिया", "शर्मा", "Lucknow", "Müller", "priya verma", "Tan", "gupta"]
    high = Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for pk in (rng.randint(1, high) for _i in range(6)):
        contact = Contact.objects.filter(pk__gte=pk).order_by("id").first()
        if contact is None:
            continue
        terms.append(contact.email.split("@")[0])
        terms.append(contact.phone[-7:])
    return terms


def _search_bench(api: Api, rng: random.Random, repeats: int) -> list[dict[str, Any]]:
    from sambandh.core.search import matching_ids_sql

    api_ms: list[float] = []
    raw_ms: list[float] = []
    terms = _search_terms(rng)
    for _round in range(repeats):
        for term in terms:
            ms, _body = api.timed("/api/v1/search", {"q": term})
            api_ms.append(ms)
            found = matching_ids_sql("contact", term)
            assert found is not None
            sql, params = found
            ms, _rows = _timed(_raw, f"{sql} LIMIT 20", params)
            raw_ms.append(ms)
    api_p95, raw_p95 = percentile(api_ms, 95), percentile(raw_ms, 95)
    _say(
        f"global search top 20 ({len(api_ms)} searches, {len(terms)} terms): "
        f"API p95 {api_p95:.2f} ms | raw p95 {raw_p95:.2f} ms (target: under "
        f"{SEARCH_TARGET_MS:.0f} ms)"
    )
    return [_result("search p95", api_p95, "ms", raw_p95, target_max=SEARCH_TARGET_MS)]


def _measure(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.core.services import api_token_create

    _say(f"== contacts bench on {args.db}, {args.rows:,} contacts")
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]
    rng = random.Random(args.seed)

    # Step 1: a tenth of the rows, to count the contact page's queries on a small database.
    small = max(500, args.rows // 10)
    started = time.perf_counter()
    _load(admin, contacts=small, seed=args.seed, start=0)
    contact_id = _busiest_contact_id()
    queries_small = _detail_queries(admin, contact_id)
    # Step 2: the rest of the rows, then everything is measured at full size.
    rate = _load(admin, contacts=args.rows - small, seed=args.seed, start=small)
    _say(
        f"loaded {args.rows:,} contacts in {time.perf_counter() - started:.1f} s "
        f"(bulk path {rate:,.0f} rows/s)"
    )
    # Fresh planner statistics, as autovacuum (PostgreSQL) or an operator (SQLite) would have.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    queries_big = _detail_queries(admin, contact_id)
    _say(
        f"contact page /contacts/{contact_id}/: {queries_small} queries at {small:,} contacts, "
        f"{queries_big} at {args.rows:,}"
    )

    _token, raw_token = api_token_create(actor=admin, name="bench")
    # Serve as a web worker does (sambandh/wsgi.py): the application loaded, then settled.
    # This process also loaded the rows; a worker never holds what that left behind.
    from sambandh.core.memory import settle

    settle()
    api = Api(raw_token)
    api.get("/api/v1/contacts", {"limit": str(PAGE)})  # warm up
    results = []
    results += _floor_bench(api, requests=200)
    results += _list_bench(api, rng, walks=10, pages=10)
    results += _email_bench(api, rng, lookups=200)
    results += _search_bench(api, rng, repeats=5)
    results.append(
        _result(
            "contact page queries",
            float(queries_big),
            "queries",
            float(queries_small),
            target_ratio=1,
        )
    )
    results.append(_result("bulk load", rate, "rows/s", None))
    for row in results:
        if row["ok"] is False:
            _say(f"MISSED: {row['name']} ({row['value']} {row['unit']}, ratio {row['ratio']})")
    print(
        json.dumps(
            {"bench": "contacts", "db": args.db, "rows": args.rows, "results": results},
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
