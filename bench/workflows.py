"""Workflow evaluation of a date trigger: "birthday at 9:00 in the contact's time zone" over
many contacts, against the raw query that finds the same contacts and inserts their runs.

    python bench/workflows.py [--rows N] [--db sqlite|postgres|both]   (issue size: 1000000)

The contacts are demo contacts (bulk path) spread over the demo's time zones, with birthdays
spread over the year. At one instant after 9:00 in every zone, Sambandh's ``workflows_tick``
makes a run for every contact whose birthday is that local day; the baseline is one plain
SQL query selecting the same contacts plus an executemany/COPY of as many run rows. Both must
find the same number of contacts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import PG_ADMIN_URL, _load, _result, drive  # noqa: E402

DEFAULT_ROWS = 100_000
PG_BENCH_DB = "sambandh_bench_workflows"
TARGET_RATIO = 3.0
# 2026-11-24 18:30 UTC: past 9:00 local in every demo zone that is due of UTC, and the
# same calendar day there (India, Nepal, the Gulf); the baseline asks for exactly those.
INSTANT = dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.UTC)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="contacts to load")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    return drive(__file__, args, "workflows", pg_database=PG_BENCH_DB)


def _say(text: str) -> None:
    print(text, flush=True)


def _measure(args: argparse.Namespace) -> int:
    import zoneinfo

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from sambandh.automation.models import WorkflowRun
    from sambandh.automation.workflows import workflow_create, workflows_tick
    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.contacts.models import Contact
    from sambandh.core.bulk import insert_rows

    n = args.rows
    _say(f"== workflows bench on {args.db}: a birthday trigger over {n:,} contacts")
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]
    _load(admin, contacts=n, seed=args.seed, start=0)
    table = Contact._meta.db_table
    with connection.cursor() as cursor:  # birthdays spread over the year, by id
        if connection.vendor == "sqlite":
            cursor.execute(
                f"UPDATE {table} SET birthday = date('1980-01-01', '+' || (id % 365) || ' days')"  # noqa: S608
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET birthday = DATE '1980-01-01' + (id % 365)::int"  # noqa: S608
            )
    zones = sorted(Contact.objects.order_by().values_list("time_zone", flat=True).distinct())
    local = {z: INSTANT.astimezone(zoneinfo.ZoneInfo(z)) for z in zones if z}
    due = [z for z, t in local.items() if t.date() == INSTANT.date() and t.hour >= 9]
    _say(f"contacts loaded; zones: {', '.join(zones)}; due at this instant: {', '.join(due)}")

    # Baseline: one query for the contacts whose birthday is today in a due zone, and an
    # insert of as many run rows.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_runs (key varchar(120), object_id varchar(64))")
    started = time.perf_counter()
    marks = ", ".join(["%s"] * len(due))
    if connection.vendor == "sqlite":
        day_sql = "strftime('%%m-%%d', birthday) = %s"
    else:
        day_sql = "to_char(birthday, 'MM-DD') = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE time_zone IN ({marks}) AND {day_sql}",  # noqa: S608
            [*due, INSTANT.strftime("%m-%d")],
        )
        ids = [row[0] for row in cursor.fetchall()]
    with transaction.atomic():
        insert_rows(
            "bench_runs",
            ["key", "object_id"],
            [(f"date:{INSTANT.date()}:{pk}", str(pk)) for pk in ids],
        )
    baseline = time.perf_counter() - started
    _say(f"baseline: {len(ids):,} contacts found and run rows written in {baseline:.3f} s")

    workflow = workflow_create(
        actor=admin,
        data={
            "name": "Birthday",
            "object_type": "contact",
            "trigger": {"type": "date", "field": "birthday", "offset_days": 0, "at": "09:00"},
            "actions": [{"type": "add_tag", "tag": "greeted"}],
            "is_active": True,
        },
    )
    started = time.perf_counter()
    workflows_tick(now=INSTANT)
    ours = time.perf_counter() - started
    runs = WorkflowRun.objects.filter(workflow=workflow).count()
    _say(f"workflows_tick: {runs:,} runs made in {ours:.3f} s")
    if runs != len(ids):
        _say(f"MISSED: the tick made {runs} runs, the baseline found {len(ids)} contacts")
        return 1
    started = time.perf_counter()
    workflows_tick(now=INSTANT + dt.timedelta(minutes=1))
    again = time.perf_counter() - started
    results: list[dict[str, Any]] = [
        _result(
            "date trigger evaluation", ours * 1000, "ms", baseline * 1000, target_ratio=TARGET_RATIO
        ),
        _result("the next minute's tick (zones done for the day)", again * 1000, "ms", None),
    ]
    print(
        json.dumps({"bench": "workflows", "db": args.db, "rows": n, "results": results}),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
