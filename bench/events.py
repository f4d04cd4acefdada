"""Event delivery: how fast outbox events reach a local webhook receiver, signed, through the
dispatcher and the delivery workers, against the raw insert rate of the outbox table.

    python bench/events.py [--rows N] [--db sqlite|postgres|both]

Steps (in a child process per database, on a throw-away database):
1. baseline: N rows inserted straight into the outbox table (executemany on SQLite, COPY on
   PostgreSQL), the floor of any event pipeline;
2. emit: N events through ``event_emit`` in transactions of 100, as services write them;
3. deliver: ``pump()`` dispatches them to one endpoint and sends each to a receiver in
   another process (keep-alive HTTP on loopback), recording every attempt.
The ratios are emit/baseline and deliver/baseline for the same N.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import PG_ADMIN_URL, _result, drive  # noqa: E402

DEFAULT_ROWS = 5_000
PG_BENCH_DB = "sambandh_bench_events"


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="events to deliver")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument("--strict", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.receiver:
        return _receive()
    if args.child:
        return _measure(args)
    return drive(__file__, args, "events", pg_database=PG_BENCH_DB)


def _receive() -> int:
    """The receiver process: answers every POST with 200 and prints its port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


def _say(text: str) -> None:
    print(text, flush=True)


def _measure(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from sambandh.automation.delivery import pump
    from sambandh.automation.models import Delivery, DeliveryState
    from sambandh.automation.services import allowed_network_add, endpoint_create
    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.core.bulk import insert_rows
    from sambandh.core.events import event_emit
    from sambandh.core.models import OutboxEvent

    n = args.rows
    _say(f"== events bench on {args.db}: {n:,} events to a local receiver")
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]

    # 1. The raw insert rate of the outbox table.
    table = OutboxEvent._meta.db_table
    columns = ["name", "object_type", "object_id", "payload", "actor_id", "request_id"]
    now_column = OutboxEvent._meta.get_field("created_at")
    now = now_column.get_db_prep_save(django.utils.timezone.now(), connection)
    rows = [
        ("contact.updated", "contact", str(i), f'{{"id": {i}}}', admin.pk, "") for i in range(n)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        insert_rows(
            table, [*columns, "created_at", "dispatched_at"], [(*r, now, now) for r in rows]
        )
    raw_seconds = time.perf_counter() - started
    OutboxEvent.objects.all().delete()
    _say(f"raw outbox inserts: {raw_seconds:.2f} s ({n / raw_seconds:,.0f} rows/s)")

    receiver = subprocess.Popen(  # noqa: S603 - this script
        [sys.executable, os.path.abspath(__file__), "--receiver"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        allowed_network_add(actor=admin, network="127.0.0.1")
        endpoint_create(
            actor=admin, data={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["*"]}
        )
        # 2. Emitting through the service-layer call, 100 per transaction.
        started = time.perf_counter()
        for start in range(0, n, 100):
            with transaction.atomic():
                for i in range(start, min(start + 100, n)):
                    event_emit(
                        name="contact.updated",
                        actor=admin,
                        object_type="contact",
                        object_id=i,
                        payload={"id": i},
                    )
        emit_seconds = time.perf_counter() - started
        _say(f"emitted: {emit_seconds:.2f} s ({n / emit_seconds:,.0f} events/s)")
        # 3. Dispatch and delivery.
        started = time.perf_counter()
        sent = 0
        while sent < n:
            totals = pump(budget_seconds=3600)
            sent += totals["sent"]
            if not totals["sent"] and not totals["dispatched"]:
                break
        deliver_seconds = time.perf_counter() - started
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    delivered = Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count()
    _say(
        f"delivered: {delivered:,} of {n:,} in {deliver_seconds:.2f} s "
        f"({delivered / deliver_seconds:,.0f} events/s)"
    )
    if delivered != n:
        _say(f"MISSED: {n - delivered} events were not delivered")
        return 1
    results = [
        _result("emit (event_emit, 100 per transaction)", emit_seconds, "s", raw_seconds),
        _result("dispatch and deliver (signed HTTP)", deliver_seconds, "s", raw_seconds),
        {
            "name": "delivered per second",
            "value": round(delivered / deliver_seconds, 1),
            "unit": "events/s",
            "baseline": round(n / raw_seconds, 1),
            "ratio": None,
            "target_ratio": None,
            "ok": None,
        },
    ]
    print(
        json.dumps({"bench": "events", "db": args.db, "rows": n, "results": results}),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
