"""``sambandh serve`` really serves over HTTP, and SIGTERM stops its whole process tree.

Runs the installed command in a subprocess against a fresh SQLite data folder (never the
test run's database), so it exercises migrate, collectstatic, the first administrator,
gunicorn and the Huey consumer exactly as an operator would start them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
)

START_TIMEOUT = 180.0  # migrate + collectstatic on a busy two-core machine
STOP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command() -> list[str]:
    script = Path(sys.executable).with_name("sambandh")
    if script.exists():
        return [str(script)]
    found = shutil.which("sambandh")
    return [found] if found else [sys.executable, "-m", "sambandh.cli"]


def _children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree = _children_of()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie has exited already


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SAMBANDH_TEST_DB_NAME", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    env["SAMBANDH_DATA_DIR"] = str(tmp_path / "data")
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603
            [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, port, log
    finally:
        # Whatever the test did, leave nothing running.
        for pid in _descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait_for_login_page(process: subprocess.Popen[bytes], port: int, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sambandh serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            status, body = _get(f"http://127.0.0.1:{port}/login/")
        except OSError:
            time.sleep(0.5)
            continue
        assert status == 200, body[:500]
        return body
    pytest.fail(f"sambandh serve did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")


def _wait_for_log(log: Path, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text()
        if text in content:
            return content
        time.sleep(0.2)
    pytest.fail(f"{text!r} never appeared in the output:\n{log.read_text()}")


def test_serve_answers_the_login_page_and_stops_its_process_tree_on_sigterm(
    served: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    process, port, log = served

    body = _wait_for_login_page(process, port, log)
    assert 'name="password"' in body
    assert 'name="csrfmiddlewaretoken"' in body

    output = _wait_for_log(log, f"Sambandh is running on http://127.0.0.1:{port}")
    # A fresh database has no administrator: one is created and its password shown once.
    password = re.search(r"password:\s+(\S+)", output)
    assert password is not None, output
    assert len(password.group(1)) >= 12

    # gunicorn (master and worker) and the Huey consumer all run under the supervisor.
    tree = _descendants(process.pid)
    assert len(tree) >= 3, tree
    commands = " ".join(
        Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in tree
    )
    assert "gunicorn" in commands
    assert "worker" in commands

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_TIMEOUT) == 0
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
        time.sleep(0.2)
    assert [pid for pid in tree if _alive(pid)] == []
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/login/")
