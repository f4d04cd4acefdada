"""bench/import_contacts.py: its generated file, its checks against a real import, and its
JSON contract from a small run in a subprocess."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.import_contacts import (
    DIGEST_MOD,
    EXPECTED_MAPPING,
    HEADERS,
    ContactFile,
    RawLoad,
    _check_database,
    _check_job,
    _check_updates,
    _import,
    company_pool,
)
from sambandh.cli.demo import INDIAN_FIRST
from sambandh.contacts.models import Account, Contact
from sambandh.core.models import User
from sambandh.core.search import matching_ids
from sambandh.dataio.mapping import suggest_mapping
from sambandh.dataio.models import ImportMode
from tests.bench_helper import bench_json, run_bench, slow


def _write(path: Path, rows: int, seed: int = 3, **kwargs: Any) -> Any:
    pool = company_pool(40, seed)
    return ContactFile(seed=seed, tag="t", companies=pool, seen_companies={}, **kwargs).write(
        path, rows
    )


def test_the_file_looks_like_a_hubspot_export_and_gets_the_expected_mapping() -> None:
    targets = [s.target for s in suggest_mapping(list(HEADERS), object_type="contact")]
    assert targets == EXPECTED_MAPPING
    assert HEADERS[:4] == ("Record ID", "First Name", "Last Name", "Email")


def test_the_generated_file_is_reproducible_and_mixed(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.csv", 5000)
    second = _write(tmp_path / "b.csv", 5000)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (first.rows, first.created, first.digest) == (5000, second.created, second.digest)
    # About 1% duplicates and 1% invalid rows, each kind of invalid row present.
    assert 25 <= first.duplicates <= 80
    assert 25 <= first.failed <= 80
    assert min(first.bad_email, first.bad_phone, first.no_identity) > 0
    assert first.created == 5000 - first.duplicates - first.failed
    text = (tmp_path / "a.csv").read_bytes().decode("utf-8")
    assert text.startswith(",".join(HEADERS) + "\r\n")
    assert "भारत" in text
    assert any(hindi in text for _latin, hindi, _gender in INDIAN_FIRST)
    assert 0 < first.digest < DIGEST_MOD


@pytest.mark.django_db
def test_an_import_of_a_generated_file_passes_the_benchs_checks(
    admin: User, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    spec = _write(tmp_path / "people.csv", 1500)
    timed = _import(admin, spec.path, ImportMode.CREATE)
    _check_job(timed.job, spec, created=spec.created, updated=0, skipped=spec.duplicates)
    _check_database(spec.created, len(spec.companies), spec.digest, spec.tag_digest)
    # A wrong expectation stops the bench with its reason.
    with pytest.raises(SystemExit) as stopped:
        _check_database(spec.created + 1, len(spec.companies), spec.digest, spec.tag_digest)
    assert "the database holds (contacts, companies)" in str(stopped.value)
    with pytest.raises(SystemExit) as stopped:
        _check_job(timed.job, spec, created=spec.created, updated=0, skipped=0)
    assert "(rows, created, updated, skipped, failed)" in str(stopped.value)


@pytest.mark.django_db
def test_the_upsert_file_updates_what_it_says(admin: User, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"
    seen: dict[str, str] = {}
    pool = company_pool(40, 1)
    first = ContactFile(seed=1, tag="a", companies=pool, seen_companies=seen).write(
        tmp_path / "a.csv", 1000
    )
    _import(admin, first.path, ImportMode.CREATE)
    existing = list(Contact.objects.order_by("id").values_list("email", "city")[:300])
    upsert = ContactFile(
        seed=1,
        tag="c",
        companies=pool,
        seen_companies=seen,
        existing=existing,
        update_share=0.2,
    ).write(tmp_path / "c.csv", 1000)
    assert 150 <= len(upsert.updates) <= 250
    timed = _import(admin, upsert.path, ImportMode.UPSERT)
    _check_job(
        timed.job,
        upsert,
        created=upsert.created,
        updated=len(upsert.updates) + upsert.duplicates,
        skipped=0,
    )
    email, (city, job_title) = next(iter(upsert.updates.items()))
    assert Contact.objects.filter(email=email).values_list("city", "job_title").get() == (
        city,
        job_title,
    )
    assert Account.objects.count() == len(first.companies) + len(upsert.companies)


@pytest.mark.django_db
def test_the_raw_baseline_writes_what_the_import_writes(admin: User, tmp_path: Path) -> None:
    raw = RawLoad(admin)
    spec = ContactFile(seed=2, tag="a", companies=company_pool(40, 2), seen_companies={}).write(
        tmp_path / "people.csv", 1000, raw.add
    )
    linked = {name for _pk, name in raw.links}
    raw.tag_names = sorted(linked)
    rows_s, search_s = raw.load()
    assert rows_s > 0 and search_s > 0
    # The same digests the import of the same file must reach.
    _check_database(spec.created, len(spec.companies), spec.digest, spec.tag_digest)


def _raw_first_file(admin: User, tmp_path: Path) -> tuple[list[str], dict[str, str], Any]:
    """A first file of 1,000 rows loaded raw: (company pool, companies seen, its spec)."""
    pool = company_pool(40, 2)
    seen: dict[str, str] = {}
    first_raw = RawLoad(admin)
    first = ContactFile(seed=2, tag="a", companies=pool, seen_companies=seen).write(
        tmp_path / "a.csv", 1000, first_raw.add
    )
    first_raw.tag_names = sorted({name for _pk, name in first_raw.links})
    first_raw.load()
    return pool, seen, first


@pytest.mark.django_db
def test_the_raw_baseline_into_a_populated_table_is_taken_out_again(
    admin: User, tmp_path: Path
) -> None:
    pool, seen, first = _raw_first_file(admin, tmp_path)
    more_raw = RawLoad(admin)
    more = ContactFile(seed=2, tag="b", companies=pool, seen_companies=seen).write(
        tmp_path / "b.csv", 500, more_raw.add
    )
    more_raw.tag_names = sorted({name for _pk, name in more_raw.links})
    more_raw.load()
    # Loaded: the companies already there are linked, not inserted again.
    _check_database(
        first.created + more.created,
        len(first.companies) + len(more.companies),
        (first.digest + more.digest) % DIGEST_MOD,
        (first.tag_digest + more.tag_digest) % DIGEST_MOD,
    )
    more_raw.remove()
    _check_database(first.created, len(first.companies), first.digest, first.tag_digest)
    # ... and so are their search documents: every contact has an email.
    found = matching_ids("contact", "@", limit=first.created + more.created)
    assert found is not None and len(found) == first.created


@pytest.mark.django_db
def test_the_raw_create_or_update_updates_by_email_and_is_taken_out_again(
    admin: User, tmp_path: Path
) -> None:
    pool, seen, first = _raw_first_file(admin, tmp_path)
    existing = list(Contact.objects.order_by("id").values_list("email", "city")[:300])
    upsert_raw = RawLoad(admin)
    upsert = ContactFile(
        seed=2,
        tag="c",
        companies=pool,
        seen_companies=seen,
        existing=existing,
        update_share=0.2,
    ).write(tmp_path / "c.csv", 1000, upsert_raw.add)
    upsert_raw.tag_names = sorted({name for _pk, name in upsert_raw.links})
    upsert_raw.updates = upsert.updates
    upsert_raw.keep_before()
    assert len(upsert_raw.before) == len(upsert.updates) > 100
    upsert_raw.load()
    assert Contact.objects.count() == first.created + upsert.created
    _check_updates(upsert.updates)  # found by email in any letter case
    email, (city, job) = next(iter(upsert.updates.items()))
    updated = Contact.objects.get(email=email)
    assert updated.version == 2
    total = first.created + upsert.created
    assert updated.pk in (matching_ids("contact", job, limit=total) or [])  # its new document
    upsert_raw.remove()
    # Every value as before (the digest covers city and job title), the documents too.
    _check_database(first.created, len(first.companies), first.digest, first.tag_digest)
    assert Contact.objects.get(pk=updated.pk).version == 1
    found = matching_ids("contact", "@", limit=total)
    assert found is not None and len(found) == first.created
    restored = Contact.objects.get(pk=updated.pk)
    assert restored.pk in (matching_ids("contact", restored.city, limit=total) or [])


def test_too_few_rows_are_refused() -> None:
    result = run_bench("import_contacts.py", "--rows", "10", timeout=60)
    assert result.returncode == 2
    assert "--rows must be at least 1000" in result.stderr


def _check_contract(last: dict[str, Any], db: str) -> None:
    assert (last["bench"], last["db"], last["rows"]) == ("import_contacts", db, 1000)
    prefix = "" if db != "both" else "sqlite: "
    names = [r["name"] for r in last["results"]]
    assert names[:9] == [
        f"{prefix}{name}"
        for name in (
            "raw load rows",
            "raw load search documents",
            "read file only",
            "import",
            "import rate",
            "raw load into populated",
            "import into populated (create)",
            "raw create-or-update into populated",
            "import into populated (upsert)",
        )
    ]
    imported = last["results"][3]
    assert imported["unit"] == "s" and imported["baseline"] > 0
    # value and baseline are rounded to 3 places in the JSON, the ratio from the unrounded.
    assert imported["ratio"] == pytest.approx(imported["value"] / imported["baseline"], abs=0.1)
    assert (imported["target_ratio"], imported["stretch_ratio"]) == (4.0, 2.0)
    raw_populated = last["results"][5]
    assert raw_populated["unit"] == "s" and raw_populated["value"] > 0
    for populated in (last["results"][6], last["results"][8]):
        assert populated["unit"] == "rows/s"
        assert populated["target_min"] == 10000.0
        assert populated["present"] > 900
        assert populated["ok"] is (populated["value"] >= 10000.0)
    # Each file's rate beside the raw load of its rows into the same table.
    for populated in (last["results"][6], last["results"][8]):
        assert populated["raw_rate"] > 0
        assert populated["ratio"] == pytest.approx(
            populated["raw_rate"] / populated["value"], rel=0.1
        )
    assert last["results"][7]["unit"] == "s" and last["results"][7]["value"] > 0


def test_a_small_sqlite_run_checks_its_imports_and_ends_with_the_json_line() -> None:
    _check_contract(bench_json("import_contacts.py", "--rows", "1000", timeout=300), "sqlite")


@slow
def test_a_small_run_on_both_databases_ends_with_one_json_line() -> None:
    last = bench_json("import_contacts.py", "--rows", "1000", "--db", "both")
    _check_contract(last, "both")
    assert len(last["results"]) == 18
    assert last["results"][9]["name"] == "postgres: raw load rows"
