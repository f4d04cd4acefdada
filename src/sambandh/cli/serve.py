"""``sambandh serve``: gunicorn and a Huey consumer, supervised together.

Both run as child processes in their own process groups, so a Ctrl-C in the terminal reaches
only this supervisor, which then stops each child the way that child stops cleanly:
gunicorn on SIGTERM (finish in-flight requests), the Huey consumer on SIGINT (finish running
tasks). If either child dies on its own, the other is stopped too and ``serve`` exits non-zero,
so a process manager sees the failure instead of a half-running CRM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

STOP_TIMEOUT = 20.0
START_TIMEOUT = 60.0


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    return env


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "sambandh.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        str(int(STOP_TIMEOUT / 2)),
        # No access log: query strings can carry personal data (search terms, emails).
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "sambandh.cli", "worker"]


def wait_until_listening(host: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    """True once ``host:port`` accepts connections; False if the process died or time ran out."""
    connect_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((connect_host.strip("[]"), port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


def _reap(processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            # Escalate for the whole group: gunicorn's own workers must not outlive it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def run_servers(*, host: str, port: int, workers: int, on_ready: list[str]) -> int:
    """Start gunicorn and the Huey consumer; return when both have stopped (exit status)."""
    env = _child_env()
    web = subprocess.Popen(gunicorn_command(host, port, workers), env=env, start_new_session=True)  # noqa: S603
    queue = subprocess.Popen(worker_command(), env=env, start_new_session=True)  # noqa: S603
    children = [web, queue]
    stopping: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        if not stopping:
            stopping.append(signum)
            _stop(web, signal.SIGTERM)
            _stop(queue, signal.SIGINT)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if wait_until_listening(host, port, web):
            for line in on_ready:
                print(line, flush=True)
        while not stopping:
            if any(child.poll() is not None for child in children):
                # One of them died on its own: take the other down and report failure.
                stopping.append(0)
                _stop(web, signal.SIGTERM)
                _stop(queue, signal.SIGINT)
                break
            time.sleep(0.2)
        _reap(children)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
    if stopping[0] == 0:
        return 1
    return 0
