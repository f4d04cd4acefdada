"""Benchmark: the timeline of a contact with 10,000 activities (plus notes, orders, a deal's
stage changes and the audit trail), through the API, against raw SQL for the same page.

    python bench/sales_timeline.py [--rows N] [--db sqlite|postgres|both] [--strict]

Builds its own database (a temporary SQLite file, or a PostgreSQL database
``sambandh_bench_timeline`` that it creates and drops), bulk-inserts ``--rows`` activities on
one contact (2,000 by default, for a run under a minute; ``--rows 10000`` is the issue's
size), then measures in the same run:

1. the first timeline page (20 items) through ``GET /api/v1/contacts/{id}/timeline``: p50
   and p95, against the same page read with plain SQL (one query per source: activities,
   notes, stage changes, audit entries, orders, merged in Python, as the selector does);
2. a deep page (a cursor halfway down the timeline), the same way;
3. the query count of both pages for a contact with 10 activities and for the big one:
   they must be equal (the count is bounded whatever the timeline's length).

Human-readable lines first; the LAST line is one JSON object (see DESIGN.md, Benchmarks).
Requests go through Django's test Client with a Bearer token: middleware, auth, permissions
and serialisation, without a network hop. Compare ratios of one run, not times across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import _result, _say, _timed, drive, percentile  # noqa: E402

DEFAULT_ROWS = 2_000
SMALL = 10
PAGE = 20
REPEATS = 40
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "sambandh_bench_timeline"
START = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="activities to load")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    return drive(__file__, args, "sales_timeline", pg_database=PG_BENCH_DB)


# ---------------------------------------------------------------- measuring (child process)


def _build(admin: Any, activities: int, label: str) -> Any:
    """A contact (made through the service, so it has its audit entry) with ``activities``
    bulk-inserted calls, some notes, orders and a deal that moved through three stages."""
    from sambandh.activities.models import Activity, ActivityKind
    from sambandh.contacts.models import Note
    from sambandh.contacts.services import contact_create
    from sambandh.sales.models import Deal, DealContact, DealStageChange, Order, Pipeline

    contact = contact_create(
        actor=admin, data={"first_name": label, "email": f"{label}@example.com"}
    )
    batch: list[Activity] = []
    for i in range(activities):
        batch.append(
            Activity(
                kind=ActivityKind.CALL,
                subject=f"Call {i}",
                contact=contact,
                owner=admin,
                status="done",
                direction="outbound",
                outcome="connected",
                occurred_at=START - dt.timedelta(minutes=7 * i),
            )
        )
        if len(batch) == 2000:
            Activity.objects.bulk_create(batch)
            batch = []
    Activity.objects.bulk_create(batch)
    notes = Note.objects.bulk_create(
        Note(body=f"Note {i}", contact=contact, created_by=admin) for i in range(20)
    )
    for i, note in enumerate(notes):
        note.created_at = START - dt.timedelta(hours=5 * i + 1)
    Note.objects.bulk_update(notes, ["created_at"])
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position"))
    deal = Deal.objects.create(
        name=f"{label} deal", pipeline=pipeline, stage=stages[0], owner=admin, currency="INR"
    )
    DealContact.objects.create(deal=deal, contact=contact)
    for i, stage in enumerate(stages[1:4]):
        DealStageChange.objects.create(
            deal=deal,
            from_stage=stages[i],
            to_stage=stage,
            changed_at=START - dt.timedelta(days=3 * i + 1),
            changed_by=admin,
        )
    for i in range(10):
        Order.objects.create(
            number=f"{label}-{i:03d}",
            contact=contact,
            owner=admin,
            ordered_on=(START - dt.timedelta(days=11 * i)).date(),
            currency="INR",
            total=Decimal("1000.00"),
        )
    return contact


def _raw_page(
    contact_id: int, cursor: tuple[dt.datetime, str, int] | None
) -> list[tuple[Any, ...]]:
    """The same page with plain SQL: one query per source after the cursor, merged in Python."""
    from django.db import connection

    ops = connection.ops
    n = PAGE + 1

    def after(kind: str, column: str, table: str) -> tuple[str, list[Any]]:
        if cursor is None:
            return "", []
        at, c_kind, pk = cursor
        value = ops.adapt_datetimefield_value(at)
        if kind < c_kind:
            return f" AND {table}.{column} <= %s", [value]
        if kind > c_kind:
            return f" AND {table}.{column} < %s", [value]
        return f" AND ({table}.{column}, {table}.id) < (%s, %s)", [value, pk]

    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as c:
        extra, params = after("activity", "occurred_at", "a")
        c.execute(
            "SELECT a.occurred_at, 'activity', a.id, a.kind, a.subject, a.status, a.owner_id "
            f"FROM activities_activity a WHERE a.contact_id = %s{extra} "
            f"ORDER BY a.occurred_at DESC, a.id DESC LIMIT {n}",
            [contact_id, *params],
        )
        rows += c.fetchall()
        extra, params = after("note", "created_at", "n")
        c.execute(
            "SELECT n.created_at, 'note', n.id, n.body, n.created_by_id FROM contacts_note n "
            f"WHERE n.contact_id = %s{extra} ORDER BY n.created_at DESC, n.id DESC LIMIT {n}",
            [contact_id, *params],
        )
        rows += c.fetchall()
        extra, params = after("stage", "changed_at", "s")
        c.execute(
            "SELECT s.changed_at, 'stage', s.id, s.from_stage_id, s.to_stage_id, s.deal_id "
            "FROM sales_dealstagechange s WHERE s.deal_id IN "
            f"(SELECT deal_id FROM sales_dealcontact WHERE contact_id = %s){extra} "
            f"ORDER BY s.changed_at DESC, s.id DESC LIMIT {n}",
            [contact_id, *params],
        )
        rows += c.fetchall()
        extra, params = after("change", "at", "e")
        c.execute(
            "SELECT e.at, 'change', e.id, e.action, e.changes FROM core_auditentry e "
            f"WHERE e.object_type = 'contact' AND e.object_id = %s{extra} "
            f"ORDER BY e.at DESC, e.id DESC LIMIT {n}",
            [str(contact_id), *params],
        )
        rows += c.fetchall()
        order_extra, order_params = "", []
        if cursor is not None:
            order_extra, order_params = " AND o.ordered_on <= %s", [cursor[0].date()]
        c.execute(
            "SELECT o.ordered_on, 'order', o.id, o.number, o.total FROM sales_order o "
            f"WHERE o.contact_id = %s{order_extra} ORDER BY o.ordered_on DESC, o.id DESC "
            f"LIMIT {n}",
            [contact_id, *order_params],
        )
        rows += c.fetchall()

    def key(row: tuple[Any, ...]) -> tuple[Any, str, int]:
        at = row[0]
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if not isinstance(at, dt.datetime):
            at = dt.datetime.combine(at, dt.time())
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return (at, row[1], row[2])

    rows.sort(key=key, reverse=True)
    return rows[:PAGE]


def _api_page(client: Any, contact_id: int, cursor: str | None) -> Any:
    params = {"limit": str(PAGE)}
    if cursor:
        params["cursor"] = cursor
    response = client.get(f"/api/v1/contacts/{contact_id}/timeline", params)
    if response.status_code != 200:
        raise SystemExit(
            f"bench/sales_timeline.py: the timeline answered {response.status_code}: "
            f"{response.content[:300]!r}"
        )
    return response.json()


def _queries(client: Any, contact_id: int, cursor: str | None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _api_page(client, contact_id, cursor)
    return len(captured)


def _middle_cursor(contact_id: int, total: int) -> tuple[str, tuple[dt.datetime, str, int]]:
    from sambandh.activities.models import Activity
    from sambandh.core.pagination import encode_cursor

    at, pk = (
        Activity.objects.filter(contact_id=contact_id)
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", "id")[total // 2]
    )
    return encode_cursor("timeline", [at.isoformat(), "activity", pk]), (at, "activity", pk)


def _compare(
    name: str, client: Any, contact_id: int, cursor: str | None, raw_cursor: Any
) -> list[dict[str, Any]]:
    api_ms: list[float] = []
    raw_ms: list[float] = []
    for _ in range(REPEATS):
        ms, body = _timed(_api_page, client, contact_id, cursor)
        api_ms.append(ms)
        ms, rows = _timed(_raw_page, contact_id, raw_cursor)
        raw_ms.append(ms)
    api_ids = [(i["kind"], i["id"]) for i in body["items"]]
    raw_ids = [(r[1], r[2]) for r in rows]
    if api_ids != raw_ids:
        raise SystemExit(f"bench/sales_timeline.py: {name}: API and raw pages differ")
    _say(
        f"{name} ({PAGE} items, {REPEATS} runs): API p50 {percentile(api_ms, 50):.2f} ms, "
        f"p95 {percentile(api_ms, 95):.2f} ms | raw SQL p50 {percentile(raw_ms, 50):.2f} ms, "
        f"p95 {percentile(raw_ms, 95):.2f} ms"
    )
    return [
        _result(f"{name} p50", percentile(api_ms, 50), "ms", percentile(raw_ms, 50)),
        _result(f"{name} p95", percentile(api_ms, 95), "ms", percentile(raw_ms, 95)),
    ]


def _measure(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.core.services import api_token_create

    _say(f"== timeline bench on {args.db}, {args.rows:,} activities on one contact")
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]
    started = time.perf_counter()
    small = _build(admin, SMALL, "small")
    big = _build(admin, args.rows, "big")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _say(f"loaded {args.rows + SMALL:,} activities in {time.perf_counter() - started:.1f} s")
    _token, raw_token = api_token_create(actor=admin, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    _api_page(client, big.pk, None)  # warm up

    small_first = _queries(client, small.pk, None)
    small_next = _api_page(client, small.pk, None)["next_cursor"]
    small_deep = _queries(client, small.pk, small_next) if small_next else small_first
    big_first = _queries(client, big.pk, None)
    deep_cursor, raw_cursor = _middle_cursor(big.pk, args.rows)
    big_deep = _queries(client, big.pk, deep_cursor)
    _say(
        f"queries: first page {small_first} ({SMALL} activities) vs {big_first} "
        f"({args.rows:,}); deep page {small_deep} vs {big_deep}"
    )
    results = []
    results += _compare("first page", client, big.pk, None, None)
    results += _compare("deep page", client, big.pk, deep_cursor, raw_cursor)
    results.append(
        _result(
            "first page queries", float(big_first), "queries", float(small_first), target_ratio=1
        )
    )
    results.append(
        _result("deep page queries", float(big_deep), "queries", float(small_deep), target_ratio=1)
    )
    for row in results:
        if row["ok"] is False:
            _say(f"MISSED: {row['name']} ({row['value']} {row['unit']}, ratio {row['ratio']})")
    print(
        json.dumps(
            {"bench": "sales_timeline", "db": args.db, "rows": args.rows, "results": results},
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
