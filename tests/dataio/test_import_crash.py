"""A worker killed with SIGKILL in the middle of an import: the chunks it committed stay, with
their checkpoint; the next worker resumes after them; no row is written twice. Real
processes on a database of their own (SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.processes import ROOT, own_database, sqlite_path

ROWS = 12_000


def _call(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "tests.dataio.crash_worker", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _processed_row(env: dict[str, str], job: str) -> int:
    """The job's checkpoint, read straight from its database (polled: no Django start-up)."""
    sql = "SELECT processed_row FROM dataio_importjob WHERE id = %s"
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            row = conn.execute(sql, [int(job)]).fetchone()
    else:
        with sqlite3.connect(sqlite_path(env)) as conn:
            row = conn.execute(sql.replace("%s", "?"), [int(job)]).fetchone()
    return int(row[0]) if row else 0


def _status(env: dict[str, str], job: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_call(env, "status", job))
    return result


def test_a_killed_worker_leaves_whole_chunks_and_the_next_one_finishes_without_duplicates(
    tmp_path: Path,
) -> None:
    with own_database(
        tmp_path,
        SAMBANDH_IMPORT_STALE_SECONDS="1",
        SAMBANDH_IMPORT_PIPELINE_MIN_ROWS="10000",
        # A commit per chunk, so that the worker is killed between two of them.
        SAMBANDH_IMPORT_TRANSACTION_ROWS="1000",
    ) as env:
        job = _call(env, "setup", str(ROWS))
        worker = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "tests.dataio.crash_worker", "run", job], env=env, cwd=ROOT
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if _processed_row(env, job) > 0 or worker.poll() is not None:
                break
            time.sleep(0.05)
        assert worker.poll() is None, "the worker finished before it could be killed"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        killed = _status(env, job)
        assert killed["status"] == "running"
        assert 0 < killed["processed_count"] < ROWS
        # What the dead worker committed is exactly its checkpoint: whole chunks, nothing more.
        assert killed["contacts"] == killed["created"] == killed["processed_count"]
        time.sleep(1.5)  # the dead worker's heartbeat goes stale
        assert json.loads(_call(env, "resume")) == [int(job)]
        final = _status(env, job)
        assert final["status"] == "completed"
        assert final["contacts"] == final["distinct"] == final["created"] == ROWS
