"""A database of its own for tests that run real Sambandh processes (crash tests, workers):
a SQLite file under ``tmp_path``, or a fresh PostgreSQL database when ``DATABASE_URL`` points
at PostgreSQL, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def own_database(tmp_path: Path, **extra: str) -> Iterator[dict[str, str]]:
    """The environment for child processes: ``SAMBANDH_DATA_DIR`` (and ``DATABASE_URL``)."""
    env = {**os.environ, "SAMBANDH_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT), **extra}
    env.pop("SAMBANDH_TESTING", None)
    url = os.environ.get("DATABASE_URL", "")
    name = None
    server = url.rsplit("/", 1)[0] + "/postgres"  # the maintenance database is always there
    if url.startswith("postgres"):
        name = f"sambandh_proc_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    else:
        env.pop("DATABASE_URL", None)
    try:
        yield env
    finally:
        if name is not None:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_path(env: dict[str, str]) -> Path:
    return Path(env["SAMBANDH_DATA_DIR"]) / "sambandh.sqlite3"
