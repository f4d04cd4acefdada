"""Fuzzy duplicates: alike names within the same company or city, compared block by block.

The rule, for contacts: the names are alike (``scoring.name_similarity`` >= threshold, typos,
initials, swapped order and case forgiven) AND the two share a company (same account) or a
city. For companies: the names are alike (legal-form words ignored) and the domains do not
contradict each other.

Scaling: rows are streamed from the database in two passes, ordered by city and then by
company, so only one city's (or one company's) rows are in memory at a time. Within that
partition rows are grouped by blocking keys (``normalise.person_keys``) and only rows that
share a key are compared; a pair sharing several keys is scored once, in the block of its
smallest shared key. A block larger than ``max_block`` (a very common name in a very big
city) is compared within a sliding window over its names in sorted order instead of fully.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType, User
from sambandh.core.permissions import visible
from sambandh.dedup import normalise, scoring
from sambandh.dedup.types import FuzzyPair, FuzzyResult, ordered_reasons

DEFAULT_THRESHOLD = 86.0
# Subtracted from the name score when both people have a company and they differ.
COMPANY_CONFLICT = 8.0
DEFAULT_ACCOUNT_THRESHOLD = 90.0
MAX_BLOCK = 400
WINDOW = 40
CHUNK = 2000


class PersonRow(NamedTuple):
    id: int
    first_name: str
    last_name: str
    city: str
    account_id: int | None
    email: str
    phone: str


class CompanyRow(NamedTuple):
    id: int
    name: str
    domain: str
    city: str


PERSON_COLUMNS = PersonRow._fields
COMPANY_COLUMNS = CompanyRow._fields


class _Item:
    """A row prepared once for matching."""

    __slots__ = ("account_id", "city", "email", "id", "keys", "label", "phone", "tokens")

    def __init__(
        self,
        pk: int,
        tokens: tuple[str, ...],
        keys: frozenset[str],
        city: str,
        account_id: int | str | None,
        email: str = "",
        phone: str = "",
    ) -> None:
        self.id = pk
        self.tokens = tokens
        self.keys = keys
        self.city = city
        self.account_id = account_id
        self.email = email
        self.phone = phone
        self.label = " ".join(sorted(tokens))


def _person(row: PersonRow) -> _Item:
    tokens = normalise.name_tokens(row.first_name, row.last_name)
    return _Item(
        row.id,
        tokens,
        normalise.person_keys(tokens),
        normalise.normalise(row.city),
        row.account_id,
        (row.email or "").lower(),
        row.phone or "",
    )


def _company(row: CompanyRow) -> _Item:
    tokens = normalise.company_tokens(row.name)
    return _Item(
        row.id,
        tokens,
        normalise.company_keys(tokens),
        normalise.normalise(row.city),
        (row.domain or "").lower() or None,
    )


class _Matcher:
    def __init__(
        self, *, companies: bool, threshold: float, max_block: int, result: FuzzyResult
    ) -> None:
        self.companies = companies
        self.threshold = threshold
        self.max_block = max_block
        self.result = result

    def partition(self, items: list[_Item], *, skip_same_city: bool = False) -> None:
        """Compare the rows of one partition (one city, one company, or all companies)."""
        if len(items) < 2:
            return
        blocks: dict[str, list[_Item]] = {}
        for item in items:
            for key in item.keys:
                blocks.setdefault(key, []).append(item)
        for key, members in blocks.items():
            if len(members) < 2:
                continue
            self.result.blocks += 1
            for a, b in self._candidates(members):
                if len(a.keys) > 1 and len(b.keys) > 1 and min(a.keys & b.keys) != key:
                    continue  # scored in the block of a smaller shared key
                if skip_same_city and a.city and a.city == b.city:
                    continue  # compared in the city pass
                self._score(a, b)

    def _candidates(self, members: list[_Item]) -> Iterator[tuple[_Item, _Item]]:
        if len(members) <= self.max_block:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    yield a, b
            return
        ordered = sorted(members, key=lambda item: (item.label, item.id))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 : i + 1 + WINDOW]:
                yield a, b

    def _score(self, a: _Item, b: _Item) -> None:
        self.result.comparisons += 1
        if self.companies:
            if a.account_id and b.account_id and a.account_id != b.account_id:
                return  # two different web domains: two companies
            score = scoring.company_similarity(a.tokens, b.tokens)
            reasons = {"name"}
            if a.account_id and a.account_id == b.account_id:
                reasons.add("domain")
        else:
            score = scoring.name_similarity(a.tokens, b.tokens)
            reasons = {"name"}
            if a.account_id is not None and a.account_id == b.account_id:
                reasons.add("company")
            elif a.account_id is not None and b.account_id is not None:
                score -= COMPANY_CONFLICT  # two different companies: likely two people
            if a.email and a.email == b.email:
                reasons.add("email")
            if a.phone and a.phone == b.phone:
                reasons.add("phone")
        if a.city and a.city == b.city:
            reasons.add("city")
        if score < self.threshold:
            return
        low, high = (a, b) if a.id < b.id else (b, a)
        self.result.pairs.append(
            FuzzyPair(low.id, high.id, round(score, 1), ordered_reasons(reasons))
        )


def _partitions(items: Iterable[_Item], key: Any) -> Iterator[list[_Item]]:
    """Consecutive items with the same ``key(item)`` (the stream is ordered by it)."""
    current: list[_Item] = []
    current_key: object = None
    for item in items:
        k = key(item)
        if current and k != current_key:
            yield current
            current = []
        current_key = k
        current.append(item)
    if current:
        yield current


def match_people(
    by_city: Iterable[PersonRow],
    by_company: Iterable[PersonRow],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_block: int = MAX_BLOCK,
) -> FuzzyResult:
    """The matching itself, on two streams of the same people: ``by_city`` ordered by city
    (people without a city left out), ``by_company`` ordered by account (people without an
    account left out)."""
    result = FuzzyResult()
    matcher = _Matcher(companies=False, threshold=threshold, max_block=max_block, result=result)
    seen = 0
    for items in _partitions(map(_person, by_city), lambda item: item.city):
        seen += len(items)
        matcher.partition(items)
    for items in _partitions(map(_person, by_company), lambda item: item.account_id):
        matcher.partition(items, skip_same_city=True)
    result.rows = seen
    return result


def match_people_in_memory(
    rows: Iterable[PersonRow], *, threshold: float = DEFAULT_THRESHOLD, max_block: int = MAX_BLOCK
) -> FuzzyResult:
    """``match_people`` for rows already in memory (tests, imports of one file)."""
    listed = list(rows)
    by_city = sorted(
        (r for r in listed if r.city), key=lambda r: (normalise.normalise(r.city), r.id)
    )
    by_company = sorted(
        (r for r in listed if r.account_id is not None), key=lambda r: (r.account_id, r.id)
    )
    return match_people(by_city, by_company, threshold=threshold, max_block=max_block)


def match_companies(
    rows: Iterable[CompanyRow],
    *,
    threshold: float = DEFAULT_ACCOUNT_THRESHOLD,
    max_block: int = MAX_BLOCK,
) -> FuzzyResult:
    """Companies are far fewer than people: one partition, blocked by name words."""
    result = FuzzyResult()
    items = [_company(row) for row in rows]
    result.rows = len(items)
    _Matcher(companies=True, threshold=threshold, max_block=max_block, result=result).partition(
        items
    )
    return result


def fuzzy_duplicates(
    *,
    actor: User,
    object_type: str,
    threshold: float | None = None,
    chunk_size: int = CHUNK,
    max_block: int = MAX_BLOCK,
) -> FuzzyResult:
    """Likely-duplicate pairs among the records ``actor`` may read, with scores and reasons.

    Reads the rows as tuples in chunks (``values_list().iterator()``); memory holds one city's
    or one company's people at a time. ``threshold`` is 0..100 (default 88 for contacts, 90
    for companies).
    """
    if threshold is not None and not 0 <= threshold <= 100:
        raise ValidationError({"threshold": [_("Enter a number from 0 to 100.")]})
    if object_type == ObjectType.CONTACT:
        people = visible(actor, Contact)
        by_city = (
            people.exclude(city="")
            .order_by(Lower("city"), "id")
            .values_list(*PERSON_COLUMNS)
            .iterator(chunk_size=chunk_size)
        )
        by_company = (
            people.filter(account__isnull=False)
            .order_by("account_id", "id")
            .values_list(*PERSON_COLUMNS)
            .iterator(chunk_size=chunk_size)
        )
        return match_people(
            (PersonRow(*row) for row in by_city),
            (PersonRow(*row) for row in by_company),
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
            max_block=max_block,
        )
    if object_type == ObjectType.ACCOUNT:
        rows = (
            visible(actor, Account)
            .order_by("id")
            .values_list(*COMPANY_COLUMNS)
            .iterator(chunk_size)
        )
        return match_companies(
            (CompanyRow(*row) for row in rows),
            threshold=DEFAULT_ACCOUNT_THRESHOLD if threshold is None else threshold,
            max_block=max_block,
        )
    raise ValidationError({"object_type": [_("Choose contact or company.")]})
