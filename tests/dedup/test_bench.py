"""bench/dedup.py: its labelled set, its arithmetic, and its JSON contract from a small run."""

from __future__ import annotations

from bench.dedup import _floor_result, labelled_people, precision_recall, true_pairs
from tests.bench_helper import bench_json, run_bench, slow


def test_the_labelled_set_is_reproducible_and_mixed() -> None:
    people = labelled_people(2000, seed=5)
    assert people == labelled_people(2000, seed=5)
    assert len(people) == 2000
    kinds = {kind for p in people for kind in p.kinds}
    assert kinds == {"typo", "swap", "initial", "no_company", "other_city", "case"}
    devanagari = sum(1 for p in people if not p.last_name.isascii())
    assert 300 < devanagari < 700
    bases = [p for p in people if not p.kinds]
    assert len({(p.first_name, p.last_name, p.city) for p in bases}) == len(bases)


def test_true_pairs_are_every_pair_of_one_person() -> None:
    people = labelled_people(50, seed=1)
    people = people[:3]
    people[1].person = people[0].person
    people[2].person = people[0].person
    assert true_pairs(people, [30, 10, 20]) == {(10, 30), (20, 30), (10, 20)}


def test_precision_and_recall_of_pairs() -> None:
    truth = {(1, 2), (3, 4)}
    assert precision_recall({(1, 2), (5, 6)}, truth) == (0.5, 0.5)
    assert precision_recall(set(), truth) == (1.0, 0.0)


def test_a_floor_result_is_ok_at_or_above_its_target() -> None:
    assert _floor_result("fuzzy recall", 0.9, 0.9)["ok"] is True
    missed = _floor_result("fuzzy precision", 0.94, 0.95)
    assert (missed["ok"], missed["target_min"], missed["ratio"]) == (False, 0.95, None)


def test_too_few_rows_are_refused() -> None:
    result = run_bench("dedup.py", "--rows", "10", timeout=60)
    assert result.returncode == 2
    assert "must be at least 1000" in result.stderr


@slow
def test_a_small_sqlite_run_ends_with_the_json_line() -> None:
    last = bench_json("dedup.py", "--rows", "2000", "--fuzzy-rows", "2000")
    assert (last["bench"], last["db"], last["rows"], last["fuzzy_rows"]) == (
        "dedup",
        "sqlite",
        2000,
        2000,
    )
    assert [r["name"] for r in last["results"]] == [
        "fuzzy dedup",
        "fuzzy comparisons per row",
        "fuzzy precision",
        "fuzzy recall",
        "exact dedup (all groups)",
        "exact dedup first page",
        "exact dedup as sales rep",
    ]
