"""The contacts benchmark's arithmetic, and its JSON contract from a real (small) run."""

from __future__ import annotations

import pytest

from bench.contacts import _result, percentile
from tests.bench_helper import bench_json, run_bench, slow


def test_percentile_is_the_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


def test_a_result_within_its_target_ratio_is_ok() -> None:
    assert _result("list page p50", 2.0, "ms", 0.5, target_ratio=5) == {
        "name": "list page p50",
        "value": 2.0,
        "unit": "ms",
        "baseline": 0.5,
        "ratio": 4.0,
        "target_ratio": 5,
        "ok": True,
    }


def test_a_result_over_its_target_ratio_is_not_ok() -> None:
    row = _result("email lookup p99", 11.0, "ms", 1.0, target_ratio=10)
    assert row["ratio"] == 11.0
    assert row["ok"] is False


def test_an_absolute_target_decides_alone() -> None:
    assert _result("search p95", 49.0, "ms", 1.0, target_max=50.0)["ok"] is True
    missed = _result("search p95", 51.0, "ms", 50.0, target_max=50.0)
    assert missed["ratio"] == 1.02
    assert missed["target_max"] == 50.0
    assert missed["ok"] is False


def test_a_result_without_baseline_has_no_ratio() -> None:
    row = _result("bulk load", 1234.5, "rows/s", None)
    assert row["baseline"] is None
    assert row["ratio"] is None
    assert row["ok"] is None


def test_too_few_rows_are_refused() -> None:
    result = run_bench("contacts.py", "--rows", "10", timeout=60)
    assert result.returncode == 2
    assert "--rows must be at least 1000" in result.stderr


@slow
def test_a_small_sqlite_run_ends_with_the_json_line() -> None:
    last = bench_json("contacts.py", "--rows", "1000", "--db", "sqlite")
    assert (last["bench"], last["db"], last["rows"]) == ("contacts", "sqlite", 1000)
    names = [r["name"] for r in last["results"]]
    assert names == [
        "request floor p50",
        "request floor p99",
        "list page p50",
        "list page p99",
        "email lookup p99",
        "search p95",
        "contact page queries",
        "bulk load",
    ]
    queries = next(r for r in last["results"] if r["name"] == "contact page queries")
    assert queries["value"] == queries["baseline"]


@pytest.mark.django_db
def test_an_endpoint_that_answers_404_stops_the_bench_with_its_path(admin) -> None:
    from bench.contacts import Api
    from sambandh.core.services import api_token_create

    _token, raw = api_token_create(actor=admin, name="bench")
    with pytest.raises(SystemExit) as stopped:
        Api(raw).get("/api/v1/no-such-list")
    assert str(stopped.value).startswith(
        "bench/contacts.py: /api/v1/no-such-list answered 404: is the endpoint there yet?"
    )


@pytest.mark.django_db
def test_a_refused_request_stops_the_bench_with_its_status(admin) -> None:
    from bench.contacts import Api

    with pytest.raises(SystemExit) as stopped:
        Api("sbk_not-a-token").get("/api/v1/contacts")
    assert str(stopped.value).startswith("bench/contacts.py: /api/v1/contacts answered 401:")
