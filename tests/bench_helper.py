"""Running a bench script as a user does: in a subprocess, its last line one JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

# A bench run takes from seconds to minutes: the runs are tested when asked for.
slow = pytest.mark.skipif(
    os.environ.get("SAMBANDH_SLOW_TESTS") != "1",
    reason="a bench run takes a minute; set SAMBANDH_SLOW_TESTS=1",
)


def run_bench(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """``python bench/<script> <args>`` with this interpreter; its output captured."""
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def bench_json(script: str, *args: str, timeout: int = 600) -> dict[str, Any]:
    """Run the script, require success, and return its last line's JSON object."""
    result = run_bench(script, *args, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    last: dict[str, Any] = json.loads(lines[-1])
    return last
