"""Benchmark: exact and fuzzy duplicate finding (sambandh.dedup), against raw SQL and a truth.

    python bench/dedup.py [--rows N] [--fuzzy-rows M] [--db sqlite|postgres|both] [--full]

Builds its own database (a temporary SQLite file, or a PostgreSQL database
``sambandh_bench_dedup`` that it creates and drops), then measures in the same run:

1. fuzzy: ``--fuzzy-rows`` contacts generated with a known truth (base people, and variants
   of some of them with typos, swapped first and last names, an initial for the first name,
   no company, another city at the same company, other letter case; a quarter of the people
   written in Devanagari) are bulk-inserted; ``dedup.fuzzy.fuzzy_duplicates`` runs as the
   administrator; reported: its time (against the time to merely read the same rows, the
   floor of any matcher in Python), the comparisons it scored, and pair precision and recall
   against the truth (targets: precision >= 0.95, recall >= 0.90). The set is then deleted.
2. exact: ``--rows`` demo contacts (``sambandh.cli.demo.load_demo``) with about 1% of them
   given the email of another contact in another letter case; every duplicate group through
   ``dedup.exact.iter_exact_groups`` as the administrator, against the raw
   ``SELECT lower(email), count(*) FROM contacts_contact GROUP BY lower(email)
   HAVING count(*) > 1`` (target: within 3x); both must find the same keys. Also the first
   page of groups (what the review queue shows first) and the same run as a sales rep with a
   team scope.

``--full`` is the issue's size: 1,000,000 contacts for exact, 100,000 for fuzzy. Human-readable
lines first; the LAST line is one JSON object (see DESIGN.md, Benchmarks). Machines are
noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contacts import _result, drive  # noqa: E402

DEFAULT_ROWS = 100_000
DEFAULT_FUZZY_ROWS = 20_000
FULL_ROWS = 1_000_000
FULL_FUZZY_ROWS = 100_000
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/"
PG_BENCH_DB = "sambandh_bench_dedup"
# run_child passes only --rows and --seed to the measuring process; this carries the rest.
FUZZY_ROWS_ENV = "SAMBANDH_BENCH_DEDUP_FUZZY_ROWS"
EXACT_TARGET_RATIO = 3.0
PRECISION_TARGET = 0.95
RECALL_TARGET = 0.90
DUPLICATE_SHARE = 0.01
REPEATS = 3


# ---------------------------------------------------------------- the labelled set (pure)

# (Latin, Devanagari) first names and surname syllables. Surnames are built from syllables so
# the name space is large, as in a real country, instead of the demo's few hundred names.
FIRST_NAMES = (
    ("Priya", "प्रिया"),
    ("Ananya", "अनन्या"),
    ("Kavita", "कविता"),
    ("Sunita", "सुनीता"),
    ("Pooja", "पूजा"),
    ("Neha", "नेहा"),
    ("Deepa", "दीपा"),
    ("Lakshmi", "लक्ष्मी"),
    ("Aditi", "अदिति"),
    ("Meera", "मीरा"),
    ("Rahul", "राहुल"),
    ("Amit", "अमित"),
    ("Vikram", "विक्रम"),
    ("Arjun", "अर्जुन"),
    ("Rohan", "रोहन"),
    ("Suresh", "सुरेश"),
    ("Rajesh", "राजेश"),
    ("Anil", "अनिल"),
    ("Karthik", "कार्तिक"),
    ("Imran", "इमरान"),
    ("Harpreet", "हरप्रीत"),
    ("Siddharth", "सिद्धार्थ"),
    ("Gaurav", "गौरव"),
    ("Nikhil", "निखिल"),
    ("Pankaj", "पंकज"),
    ("Ritu", "रितु"),
    ("Shalini", "शालिनी"),
    ("Tanvi", "तन्वी"),
    ("Usha", "उषा"),
    ("Varun", "वरुण"),
    ("Yash", "यश"),
    ("Zoya", "ज़ोया"),
    ("Bhavna", "भावना"),
    ("Chetan", "चेतन"),
    ("Divya", "दिव्या"),
    ("Farhan", "फ़रहान"),
    ("Ishaan", "ईशान"),
    ("Jyoti", "ज्योति"),
    ("Kunal", "कुणाल"),
    ("Lata", "लता"),
)
SYLLABLES = (
    ("ka", "का"),
    ("ra", "रा"),
    ("ma", "मा"),
    ("sha", "शा"),
    ("na", "ना"),
    ("ta", "टा"),
    ("va", "वा"),
    ("la", "ला"),
    ("pa", "पा"),
    ("da", "दा"),
    ("ga", "गा"),
    ("ja", "जा"),
    ("ba", "बा"),
    ("sa", "सा"),
    ("ha", "हा"),
    ("ya", "या"),
    ("ri", "रि"),
    ("ni", "नि"),
    ("ti", "ति"),
    ("li", "लि"),
    ("ki", "कि"),
    ("mi", "मि"),
    ("vi", "वि"),
    ("su", "सु"),
    ("ku", "कु"),
    ("ru", "रु"),
    ("de", "दे"),
    ("ne", "ने"),
    ("me", "मे"),
    ("ko", "को"),
    ("ro", "रो"),
    ("so", "सो"),
    ("dhu", "धु"),
    ("gho", "घो"),
    ("cha", "चा"),
    ("pre", "प्रे"),
    ("tri", "त्रि"),
    ("kha", "खा"),
    ("bhi", "भि"),
    ("the", "थे"),
)
ENDINGS = (("", ""), ("n", "न"), ("r", "र"), ("l", "ल"), ("t", "त"), ("sh", "श"), ("m", "म"))
CITIES = (
    ("Mumbai", "मुंबई"),
    ("Delhi", "दिल्ली"),
    ("Bengaluru", "बेंगलुरु"),
    ("Chennai", "चेन्नई"),
    ("Hyderabad", "हैदराबाद"),
    ("Pune", "पुणे"),
    ("Kolkata", "कोलकाता"),
    ("Jaipur", "जयपुर"),
    ("Lucknow", "लखनऊ"),
    ("Ahmedabad", "अहमदाबाद"),
    ("Indore", "इंदौर"),
    ("Kochi", "कोच्चि"),
    ("Nagpur", "नागपुर"),
    ("Patna", "पटना"),
    ("Bhopal", "भोपाल"),
    ("Surat", "सूरत"),
    ("Kanpur", "कानपुर"),
    ("Varanasi", "वाराणसी"),
    ("Agra", "आगरा"),
    ("Nashik", "नासिक"),
    ("Ranchi", "रांची"),
    ("Raipur", "रायपुर"),
    ("Dehradun", "देहरादून"),
    ("Amritsar", "अमृतसर"),
    ("Chandigarh", "चंडीगढ़"),
    ("Guwahati", "गुवाहाटी"),
    ("Mysuru", "मैसूरु"),
    ("Udaipur", "उदयपुर"),
    ("Jodhpur", "जोधपुर"),
    ("Gwalior", "ग्वालियर"),
)
VARIANT_KINDS = ("typo", "swap", "initial", "no_company", "other_city", "case")


@dataclass
class Person:
    """One generated contact. ``person`` says who it really is: rows with the same ``person``
    are duplicates of each other, every other pair is not."""

    person: int
    first_name: str
    last_name: str
    city: str
    company: int | None
    email: str
    phone: str
    kinds: tuple[str, ...] = ()


def _surname(rng: random.Random, devanagari: bool) -> str:
    parts = [rng.choice(SYLLABLES) for _i in range(rng.choice((2, 3, 3)))]
    ending = rng.choice(ENDINGS)
    if devanagari:
        return "".join(p[1] for p in parts) + ending[1]
    return ("".join(p[0] for p in parts) + ending[0]).capitalize()


def _typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with the next, or replaced.
    Rarely at the first letter (people get first letters right)."""
    if len(word) < 3:
        return word
    # Devanagari: never the first letter, or a vowel sign would be left without its consonant.
    first_ok = word.isascii() and rng.random() >= 0.9
    at = 0 if first_ok else rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:at] + word[at + 1 :]
    if kind == "double":
        return word[: at + 1] + word[at] + word[at + 1 :]
    if kind == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    letters = "अआइउएओकगचजतदनपबमयरलवसह" if not word.isascii() else "abcdeghiklmnoprstuvy"
    return word[:at] + rng.choice(letters) + word[at + 1 :]


def _variant(rng: random.Random, base: Person, companies: int) -> Person:
    devanagari = not base.last_name.isascii()
    choices = [k for k in VARIANT_KINDS if not (devanagari and k in ("initial", "case"))]
    if base.company is None:
        choices = [k for k in choices if k not in ("no_company", "other_city")]
    kinds = tuple(rng.sample(choices, rng.choice((1, 1, 2))))
    if "no_company" in kinds and "other_city" in kinds:
        # Neither company nor city left in common: no rule could tell, so no such truth.
        kinds = tuple(k for k in kinds if k != "other_city")
    first, last, city, company = base.first_name, base.last_name, base.city, base.company
    for kind in kinds:
        if kind == "typo":
            if rng.random() < 0.5:
                first = _typo(rng, first)
            else:
                last = _typo(rng, last)
        elif kind == "swap":
            first, last = last, first
        elif kind == "initial":
            first = f"{first[0]}." if first.isascii() else first
        elif kind == "no_company":
            company = None
        elif kind == "other_city":
            city = rng.choice([c for c, _hi in CITIES if c != city])
        elif kind == "case":
            first, last = (
                (first.upper(), last.upper())
                if rng.random() < 0.5
                else (
                    first.lower(),
                    last.lower(),
                )
            )
            city = city.upper() if rng.random() < 0.5 else city.lower()
    n = rng.randrange(10**9)
    # Another address and number: the exact rules would find the same ones anyway.
    return Person(base.person, first, last, city, company, f"p{n}@mail.example", "", kinds)


def labelled_people(count: int, seed: int = 1, companies: int = 200) -> list[Person]:
    """``count`` contacts: about 75% base people (distinct name in their city), the rest
    variants of a random third of them; a quarter of the people are written in Devanagari
    (their variants too: nothing is transliterated). Companies are numbered 1..``companies``."""
    rng = random.Random(f"dedup:{seed}")
    people: list[Person] = []
    taken: set[tuple[str, str, str]] = set()
    bases: list[Person] = []
    while len(people) < count:
        if bases and rng.random() < 0.25:
            people.append(_variant(rng, rng.choice(bases), companies))
            continue
        devanagari = rng.random() < 0.25
        first_pair = rng.choice(FIRST_NAMES)
        first = first_pair[1] if devanagari else first_pair[0]
        last = _surname(rng, devanagari)
        city_pair = rng.choice(CITIES)
        city = city_pair[1] if devanagari and rng.random() < 0.5 else city_pair[0]
        if (first, last, city) in taken:
            continue
        taken.add((first, last, city))
        company = rng.randrange(1, companies + 1) if rng.random() < 0.7 else None
        base = Person(len(bases), first, last, city, company, f"b{len(bases)}@mail.example", "")
        bases.append(base)
        people.append(base)
    return people


def true_pairs(people: list[Person], ids: list[int]) -> set[tuple[int, int]]:
    """Every pair of ids (smaller first) that are the same person."""
    by_person: dict[int, list[int]] = {}
    for person, pk in zip(people, ids, strict=True):
        by_person.setdefault(person.person, []).append(pk)
    return {
        (min(a, b), max(a, b)) for group in by_person.values() for a, b in combinations(group, 2)
    }


def precision_recall(
    found: set[tuple[int, int]], truth: set[tuple[int, int]]
) -> tuple[float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall


def _floor_result(name: str, value: float, target_min: float) -> dict[str, Any]:
    """A result with a lower bound (precision, recall): ``ok`` when ``value >= target_min``."""
    row = _result(name, value, "ratio", None)
    row["target_min"] = target_min
    row["ok"] = value >= target_min
    return row


# ---------------------------------------------------------------- the driver (no Django)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=None, help=f"contacts for exact dedup ({DEFAULT_ROWS})"
    )
    parser.add_argument(
        "--fuzzy-rows",
        type=int,
        default=None,
        help=f"labelled contacts for fuzzy dedup ({DEFAULT_FUZZY_ROWS})",
    )
    parser.add_argument("--full", action="store_true", help="the issue's sizes (1M and 100k)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="server to create the bench DB on")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a result misses its target"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows is None:
        args.rows = FULL_ROWS if args.full else DEFAULT_ROWS
    if args.fuzzy_rows is None:
        env = os.environ.get(FUZZY_ROWS_ENV)
        args.fuzzy_rows = int(env) if env else FULL_FUZZY_ROWS if args.full else DEFAULT_FUZZY_ROWS
    if args.rows < 1000 or args.fuzzy_rows < 1000:
        parser.error("--rows and --fuzzy-rows must be at least 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _measure(args)
    os.environ[FUZZY_ROWS_ENV] = str(args.fuzzy_rows)
    return drive(
        __file__, args, "dedup", pg_database=PG_BENCH_DB, extra={"fuzzy_rows": args.fuzzy_rows}
    )


# ---------------------------------------------------------------- measuring (child process)


def _say(text: str) -> None:
    print(text, flush=True)


def _median_ms(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    fn()  # warm: page cache, prepared statements
    samples: list[float] = []
    value: Any = None
    for _i in range(repeats):
        started = time.perf_counter()
        value = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), value


def _raw(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _insert_labelled(people: list[Person], owner: Any) -> list[int]:
    """The labelled set in bulk (the matcher reads rows; how they got there does not matter)."""
    from sambandh.contacts.models import Account, Contact

    companies = max((p.company or 0) for p in people)
    accounts = Account.objects.bulk_create(
        [Account(name=f"Labelled Company {n}", owner=owner) for n in range(1, companies + 1)]
    )
    account_ids = {n: a.pk for n, a in enumerate(accounts, start=1)}
    created = Contact.objects.bulk_create(
        [
            Contact(
                first_name=p.first_name,
                last_name=p.last_name,
                city=p.city,
                email=p.email,
                phone=p.phone,
                account_id=account_ids.get(p.company) if p.company else None,
                owner=owner,
            )
            for p in people
        ],
        batch_size=2000,
    )
    return [c.pk for c in created]


def _read_floor(actor: Any) -> int:
    """Reading the rows the fuzzy matcher reads, in the orders it reads them: its floor."""
    from django.db.models.functions import Lower

    from sambandh.contacts.models import Contact
    from sambandh.core.permissions import visible
    from sambandh.dedup.fuzzy import PERSON_COLUMNS

    people = visible(actor, Contact)
    n = 0
    for _row in (
        people.exclude(city="").order_by(Lower("city"), "id").values_list(*PERSON_COLUMNS)
    ).iterator(chunk_size=2000):
        n += 1
    for _row in (
        people.filter(account__isnull=False)
        .order_by("account_id", "id")
        .values_list(*PERSON_COLUMNS)
    ).iterator(chunk_size=2000):
        n += 1
    return n


def _fuzzy_bench(admin: Any, rows: int, seed: int) -> list[dict[str, Any]]:
    from sambandh.contacts.models import Account, Contact
    from sambandh.core.models import ObjectType
    from sambandh.dedup.fuzzy import fuzzy_duplicates

    people = labelled_people(rows, seed)
    ids = _insert_labelled(people, admin)
    truth = true_pairs(people, ids)
    devanagari = sum(1 for p in people if not p.last_name.isascii())
    _say(
        f"fuzzy: {rows:,} labelled contacts ({len({p.person for p in people}):,} people, "
        f"{devanagari:,} in Devanagari, {len(truth):,} true duplicate pairs)"
    )
    started = time.perf_counter()
    result = fuzzy_duplicates(actor=admin, object_type=ObjectType.CONTACT)
    fuzzy_ms = (time.perf_counter() - started) * 1000
    floor_ms, _n = _median_ms(lambda: _read_floor(admin), repeats=1)
    found = {(p.a, p.b) for p in result.pairs}
    precision, recall = precision_recall(found, truth)
    missed = truth - found
    _say(
        f"fuzzy dedup: {fuzzy_ms:,.0f} ms ({result.comparisons:,} comparisons in "
        f"{result.blocks:,} blocks, {len(found):,} pairs; reading the rows alone "
        f"{floor_ms:,.0f} ms) | precision {precision:.3f}, recall {recall:.3f}"
    )
    kinds: dict[str, int] = {}
    by_id = dict(zip(ids, people, strict=True))
    for a, b in missed:
        for kind in (*by_id[a].kinds, *by_id[b].kinds) or ("base",):
            kinds[kind] = kinds.get(kind, 0) + 1
    if kinds:
        _say("  missed pairs by variant kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    Contact.objects.filter(pk__in=ids).delete()
    Account.objects.filter(name__startswith="Labelled Company ").delete()
    n = len(people) or 1
    return [
        _result("fuzzy dedup", fuzzy_ms, "ms", floor_ms),
        _result("fuzzy comparisons per row", result.comparisons / n, "comparisons", None),
        _floor_result("fuzzy precision", round(precision, 4), PRECISION_TARGET),
        _floor_result("fuzzy recall", round(recall, 4), RECALL_TARGET),
    ]


def _inject_duplicates(share: float, seed: int) -> int:
    """Give ``share`` of the contacts the email of another one, in another letter case."""
    from django.db import connection, transaction

    rng = random.Random(f"dups:{seed}")
    high = _raw("SELECT max(id) FROM contacts_contact")[0][0] or 0
    low = _raw("SELECT min(id) FROM contacts_contact")[0][0] or 0
    count = int((high - low + 1) * share)
    targets = rng.sample(range(low, high + 1), count)
    sources = [rng.randint(low, high) for _i in targets]
    emails: dict[int, str] = {}
    for chunk in _chunks(sorted(set(sources)), 500):
        marks = ", ".join(["%s"] * len(chunk))
        emails.update(_raw(f"SELECT id, email FROM contacts_contact WHERE id IN ({marks})", chunk))
    updates = [
        (emails[s].upper() if i % 2 else emails[s].capitalize(), t)
        for i, (s, t) in enumerate(zip(sources, targets, strict=True))
        if s != t and s in emails
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany("UPDATE contacts_contact SET email = %s WHERE id = %s", updates)
    return len(updates)


def _exact_bench(admin: Any, rows: int, seed: int) -> list[dict[str, Any]]:
    from django.db import connection

    from sambandh.cli.demo import load_demo
    from sambandh.core.models import ObjectType, User
    from sambandh.dedup.exact import exact_groups, iter_exact_groups

    started = time.perf_counter()
    load_demo(actor=admin, contacts=rows, seed=seed, out=None)
    injected = _inject_duplicates(DUPLICATE_SHARE, seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _say(
        f"exact: loaded {rows:,} demo contacts and gave {injected:,} of them another's email "
        f"in {time.perf_counter() - started:.1f} s"
    )
    raw_sql = (
        "SELECT lower(email), count(*) FROM contacts_contact GROUP BY lower(email) "
        "HAVING count(*) > 1"
    )
    raw_ms, raw_rows = _median_ms(lambda: _raw(raw_sql))

    def all_groups(actor: Any) -> Callable[[], list[Any]]:
        return lambda: list(
            iter_exact_groups(actor=actor, object_type=ObjectType.CONTACT, rule="email")
        )

    ours_ms, groups = _median_ms(all_groups(admin))
    raw_keys = {key for key, _n in raw_rows if key}
    if {g.key for g in groups} != raw_keys:
        raise SystemExit("bench/dedup.py: the duplicate groups and the raw GROUP BY differ")
    if sum(len(g.ids) for g in groups) != sum(n for key, n in raw_rows if key):
        raise SystemExit("bench/dedup.py: the groups' sizes and the raw counts differ")
    page_ms, _page = _median_ms(
        lambda: exact_groups(actor=admin, object_type=ObjectType.CONTACT, rule="email", limit=50),
        repeats=5,
    )
    rep = User.objects.get(username="asha")
    rep_ms, rep_groups = _median_ms(all_groups(rep))
    _say(
        f"exact dedup by lower(email): {len(groups):,} groups in {ours_ms:,.0f} ms | raw GROUP BY "
        f"{raw_ms:,.0f} ms (ratio {ours_ms / raw_ms:.2f}, target {EXACT_TARGET_RATIO:g}x); "
        f"first page of 50 groups {page_ms:.1f} ms; as a team-scoped sales rep "
        f"{len(rep_groups):,} groups in {rep_ms:,.0f} ms"
    )
    return [
        _result("exact dedup (all groups)", ours_ms, "ms", raw_ms, target_ratio=EXACT_TARGET_RATIO),
        _result("exact dedup first page", page_ms, "ms", None),
        _result("exact dedup as sales rep", rep_ms, "ms", None),
    ]


def _measure(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from sambandh.cli.admins import administrators, ensure_admin

    _say(
        f"== dedup bench on {args.db}: exact over {args.rows:,} contacts, fuzzy over "
        f"{args.fuzzy_rows:,}"
    )
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin()
    admin = administrators()[0]
    results = _fuzzy_bench(admin, args.fuzzy_rows, args.seed)
    results += _exact_bench(admin, args.rows, args.seed)
    for row in results:
        if row["ok"] is False:
            _say(f"MISSED: {row['name']} ({row['value']} {row['unit']}, ratio {row['ratio']})")
    print(
        json.dumps(
            {
                "bench": "dedup",
                "db": args.db,
                "rows": args.rows,
                "fuzzy_rows": args.fuzzy_rows,
                "results": results,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


if __name__ == "__main__":
    sys.exit(main())
