"""The sales benchmarks of issue 3 in one run: the board, the forecast and the timeline.

    python bench/sales.py [--db sqlite|postgres|both] [--full] [--strict]

Runs ``sales_board.py`` (a pipeline's board), ``sales_forecast.py`` (forecast aggregation) and
``sales_timeline.py`` (a contact's timeline), each with its own raw-database baseline in the
same run, and prints their results as one JSON object on the last line. ``--full`` uses the
issue's sizes: 10,000 open deals on the board, 200,000 deals in the forecast, 10,000
activities on the timeline; without it each script uses its small default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FULL_ROWS = {"sales_board": 10_000, "sales_forecast": 200_000, "sales_timeline": 10_000}


def _run(script: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(HERE / f"{script}.py"), "--db", args.db]
    if args.full:
        command += ["--rows", str(FULL_ROWS[script])]
    if args.strict:
        command.append("--strict")
    completed = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603
    sys.stderr.write(completed.stderr)
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        print(line, flush=True)
    if not lines:
        raise SystemExit(f"bench/sales.py: {script} printed nothing (exit {completed.returncode})")
    result: dict[str, Any] = json.loads(lines[-1])
    result["exit"] = completed.returncode
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--full", action="store_true", help="the issue's sizes")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    runs = [_run(script, args) for script in FULL_ROWS]
    final = {
        "bench": "sales",
        "db": args.db,
        "rows": {run["bench"]: run.get("rows") for run in runs},
        "results": [
            {**result, "name": f"{run['bench']}: {result['name']}"}
            for run in runs
            for result in run["results"]
        ],
    }
    print(json.dumps(final, ensure_ascii=False), flush=True)
    return 1 if any(run["exit"] for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
