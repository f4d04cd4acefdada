"""The delivery crash test: real ``sambandh worker`` processes deliver 10,000 events to a
real HTTP receiver while they are killed with SIGKILL at random moments and started again.
Nothing may be lost; a message may come twice only as a retry with the same ``webhook-id``.
Runs as each deployment pairs them: on SQLite with Huey's SQLite queue (the embedded
default), on PostgreSQL with the Redis queue (production), each on a database of its own."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.automation.receiver import running_receiver
from tests.processes import ROOT, own_database

EVENTS = int(os.environ.get("SAMBANDH_CRASH_EVENTS", "10000"))
WORKERS = 3
MAX_KILLS = 25


def _status(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "tests.automation.crash_events", "status"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "sambandh.cli", "worker", "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _queue() -> dict[str, str]:
    """The queue of this database's deployment: Redis beside PostgreSQL, else SQLite's."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return {"REDIS_URL": ""}
    url = os.environ.get("SAMBANDH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        reason = f"Redis is not reachable at {host}:{port} (the PostgreSQL deployment's queue)"
        if os.environ.get("SAMBANDH_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return {"REDIS_URL": url}


def test_killed_workers_lose_no_event_and_repeat_one_only_under_its_own_id(
    tmp_path: Path,
) -> None:
    extra = {
        "SAMBANDH_WAKE_WORKERS": "1",
        "SAMBANDH_DELIVERY_LEASE_SECONDS": "3",
        "SAMBANDH_QUEUE_NAME": f"crash-{uuid.uuid4().hex[:8]}",
        **_queue(),
    }
    rng = random.Random(5)  # noqa: S311 - test timing, not a secret
    with running_receiver() as receiver, own_database(tmp_path, **extra) as env:
        setup = subprocess.run(  # noqa: S603 - our own module
            [
                sys.executable,
                "-m",
                "tests.automation.crash_events",
                "setup",
                receiver.url,
                str(EVENTS),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        assert json.loads(setup.stdout.strip().splitlines()[-1]) == {"events": EVENTS}
        log = tmp_path / "workers.log"
        workers = [_start_worker(env, log) for _ in range(WORKERS)]
        kills = 0
        deadline = time.monotonic() + 600
        try:
            # Kill a random worker every 0.3-1.5 s until most messages are through (or 25
            # kills), then let the survivors and the restarted ones finish (the leases of the
            # dead run out in 3 s).
            while (
                time.monotonic() < deadline
                and len(receiver.requests) < EVENTS * 0.9
                and kills < MAX_KILLS
            ):
                time.sleep(rng.uniform(0.3, 1.5))
                victim = rng.randrange(WORKERS)
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait(timeout=30)
                kills += 1
                workers[victim] = _start_worker(env, log)
            while time.monotonic() < deadline:
                ids = {r.headers["webhook-id"] for r in receiver.requests}
                if len(ids) >= EVENTS:
                    break
                time.sleep(0.5)
            # Let in-flight answers be recorded before reading the database.
            while time.monotonic() < deadline:
                status = _status(env)
                if status["states"] == {"succeeded": EVENTS} or not any(
                    w.poll() is None for w in workers
                ):
                    break
                time.sleep(1)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
        by_id = Counter(r.headers["webhook-id"] for r in receiver.requests)
        ids_of_event: dict[int, set[str]] = defaultdict(set)
        for request in receiver.requests:
            ids_of_event[json.loads(request.body)["data"]["id"]].add(request.headers["webhook-id"])
        lost = EVENTS - len(ids_of_event)
        duplicates = sum(n - 1 for n in by_id.values())
        print(
            f"\ncrash test: {EVENTS} events, {kills} workers killed, {lost} lost, "
            f"{duplicates} repeated with their own webhook-id"
        )
        assert kills >= 3, "the workers were not killed often enough to test anything"
        assert lost == 0, log.read_text()[-3000:]
        # A repeat always carries the message's one id: the receiver can drop it.
        assert all(len(ids) == 1 for ids in ids_of_event.values())
        assert status == {"states": {"succeeded": EVENTS}, "undispatched": 0}
