"""Fuzzy duplicates: alike names within the same company or city, blocked so it scales."""

from __future__ import annotations

import unicodedata

import pytest

from bench.dedup import labelled_people, precision_recall, true_pairs
from sambandh.contacts.models import Contact
from sambandh.core.errors import ValidationError
from sambandh.core.models import User
from sambandh.dedup import normalise
from sambandh.dedup.fuzzy import (
    WINDOW,
    CompanyRow,
    PersonRow,
    fuzzy_duplicates,
    match_companies,
    match_people_in_memory,
)
from sambandh.dedup.scoring import name_similarity
from sambandh.dedup.types import FuzzyPair, FuzzyResult
from tests.factories import make_account, make_contact


def _row(
    pk: int, first: str, last: str, city: str = "Lucknow", account: int | None = None
) -> PersonRow:
    return PersonRow(pk, first, last, city, account, f"p{pk}@x.example", "")


def _pairs(result: FuzzyResult) -> set[tuple[int, int]]:
    return {(p.a, p.b) for p in result.pairs}


def test_a_generated_labelled_set_meets_the_precision_and_recall_targets() -> None:
    people = labelled_people(3000, seed=7)
    ids = list(range(1, len(people) + 1))
    rows = [
        PersonRow(pk, p.first_name, p.last_name, p.city, p.company, p.email, p.phone)
        for pk, p in zip(ids, people, strict=True)
    ]
    result = match_people_in_memory(rows)
    truth = true_pairs(people, ids)
    precision, recall = precision_recall(_pairs(result), truth)
    assert len(truth) > 500
    assert precision >= 0.95
    assert recall >= 0.90


def test_typos_swapped_names_initials_and_case_are_the_same_person() -> None:
    rows = [
        _row(1, "Asha", "Kumaravel"),
        _row(2, "asha", "KUMARAVEL"),  # case
        _row(3, "Kumaravel", "Asha"),  # swapped
        _row(4, "A.", "Kumaravel"),  # initial
        _row(5, "Asha", "Kumaravle"),  # typo
        _row(6, "Vikram", "Sethupathi"),
    ]
    result = match_people_in_memory(rows)
    found = _pairs(result)
    for other in (2, 3, 4, 5):
        assert (1, other) in found
    assert not any(6 in pair for pair in found)
    exact = next(p for p in result.pairs if (p.a, p.b) == (1, 2))
    assert exact == FuzzyPair(1, 2, 100.0, ("name", "city"))


def test_devanagari_names_match_their_variants_but_are_not_transliterated() -> None:
    rows = [
        _row(1, "प्रिया", "शर्मा", "लखनऊ"),
        _row(2, "शर्मा", "प्रिया", "लखनऊ"),  # swapped
        _row(3, "प्रिया", "शरमा", "लखनऊ"),  # virama dropped
        _row(4, "Priya", "Sharma", "लखनऊ"),  # another script: another spelling
    ]
    found = _pairs(match_people_in_memory(rows))
    assert found == {(1, 2), (1, 3), (2, 3)}


def test_names_are_compared_after_nfkc_and_casefold() -> None:
    composed = "\u095b\u094b\u092f\u093e"  # ज़ोया with the precomposed letter
    decomposed = "\u091c\u093c\u094b\u092f\u093e"  # ज + nukta
    assert composed != decomposed
    assert normalise.normalise(composed) == normalise.normalise(decomposed)
    assert normalise.normalise("ＡＳＨＡ  Straße!") == "asha strasse"
    assert normalise.name_tokens("  Asha-Rani ", "O'Brien") == ("asha", "rani", "o", "brien")
    assert name_similarity(("asha", "rao"), ("rao", "asha")) == 100.0
    assert unicodedata.category("\u094d") == "Mn"  # the virama is kept as part of the word
    assert normalise.normalise("शर्मा") == "शर्मा"


def test_alike_names_need_a_shared_company_or_city() -> None:
    rows = [
        _row(1, "Asha", "Kumaravel", "Lucknow", account=None),
        _row(2, "Asha", "Kumaravel", "Pune", account=None),  # nothing in common but the name
        _row(3, "Asha", "Kumaravel", "Indore", account=9),
        _row(4, "Asha", "Kumaravel", "Nagpur", account=9),  # same company, other city
    ]
    result = match_people_in_memory(rows)
    assert [(p.a, p.b, p.reasons) for p in result.pairs] == [(3, 4, ("name", "company"))]


def test_different_companies_make_a_near_name_less_likely() -> None:
    same = match_people_in_memory([_row(1, "Asha", "Kumar"), _row(2, "Asha", "Kumra")])
    rivals = match_people_in_memory(
        [_row(1, "Asha", "Kumar", account=1), _row(2, "Asha", "Kumra", account=2)]
    )
    assert _pairs(same) == {(1, 2)}
    assert _pairs(rivals) == set()


def test_blocking_keeps_comparisons_far_below_all_pairs() -> None:
    people = [p for p in labelled_people(4000, seed=3) if p.last_name.isascii()]
    rows = [_row(pk, p.first_name, p.last_name, "Lucknow") for pk, p in enumerate(people, 1)]
    result = match_people_in_memory(rows)
    n = len(rows)
    assert n > 2500
    all_pairs = n * (n - 1) // 2
    # Everyone in one city: without blocking every pair would be scored.
    assert result.comparisons < all_pairs // 50
    assert result.comparisons < 20 * n


def test_a_block_over_the_limit_is_compared_within_a_window() -> None:
    rows = [_row(pk, "Asha", f"Sa{pk:05d}x") for pk in range(1, 301)]
    rows.append(_row(1000, "Asha", "Sa00150y"))  # a duplicate of 150 with a slip
    capped = match_people_in_memory(rows, max_block=50)
    assert capped.comparisons <= len(rows) * WINDOW
    assert (150, 1000) in _pairs(capped)


def test_companies_match_without_their_legal_form_and_not_across_domains() -> None:
    rows = [
        CompanyRow(1, "Tata Motors Ltd", "", "Mumbai"),
        CompanyRow(2, "TATA MOTORS LIMITED", "", "Pune"),
        CompanyRow(3, "Tata Motors Pvt. Ltd.", "tatamotors.example", "Mumbai"),
        CompanyRow(4, "Tata Motors", "othertata.example", "Mumbai"),
        CompanyRow(5, "Tata Steel", "", "Mumbai"),
    ]
    found = _pairs(match_companies(rows))
    assert found == {(1, 2), (1, 3), (1, 4), (2, 3), (2, 4)}


def test_clusters_join_pairs_into_groups() -> None:
    result = FuzzyResult(
        pairs=[FuzzyPair(1, 2, 90, ()), FuzzyPair(2, 5, 90, ()), FuzzyPair(7, 8, 90, ())]
    )
    assert result.clusters() == [(1, 2, 5), (7, 8)]


@pytest.mark.django_db
def test_the_database_pass_finds_pairs_with_reasons(admin: User) -> None:
    company = make_account(admin, name="Kumaravel Traders")
    a = make_contact(admin, first_name="Asha", last_name="Kumaravel", city="Lucknow")
    b = make_contact(admin, first_name="ASHA", last_name="kumaravel", city="lucknow")
    c = make_contact(
        admin, first_name="Asha", last_name="Kumaravel", city="Pune", account_id=company.pk
    )
    d = make_contact(
        admin, first_name="Kumaravel", last_name="Asha", city="Indore", account_id=company.pk
    )
    make_contact(admin, first_name="Vikram", last_name="Sethupathi", city="Lucknow")
    result = fuzzy_duplicates(actor=admin, object_type="contact")
    assert sorted((p.a, p.b, p.reasons) for p in result.pairs) == [
        (a.pk, b.pk, ("name", "city")),
        (c.pk, d.pk, ("name", "company")),
    ]
    assert result.rows == 5


@pytest.mark.django_db
def test_the_database_pass_sees_only_records_in_scope(owner: User, outsider: User) -> None:
    mine = make_contact(owner, first_name="Asha", last_name="Kumaravel", city="Lucknow")
    make_contact(outsider, first_name="Asha", last_name="Kumaravel", city="Lucknow")
    assert fuzzy_duplicates(actor=owner, object_type="contact").pairs == []
    twin = make_contact(owner, first_name="Asha", last_name="Kumaravle", city="Lucknow")
    pairs = fuzzy_duplicates(actor=owner, object_type="contact").pairs
    assert [(p.a, p.b) for p in pairs] == [(mine.pk, twin.pk)]
    assert Contact.objects.count() == 3


@pytest.mark.django_db
def test_the_database_pass_on_companies(admin: User) -> None:
    one = make_account(admin, name="Sharma Textiles Pvt Ltd", city="Surat")
    two = make_account(admin, name="Sharma Textiles Private Limited", city="Surat")
    make_account(admin, name="Verma Foods", city="Surat")
    pairs = fuzzy_duplicates(actor=admin, object_type="account").pairs
    assert [(p.a, p.b, p.reasons) for p in pairs] == [(one.pk, two.pk, ("name", "city"))]


@pytest.mark.django_db
def test_a_threshold_out_of_range_or_an_unknown_type_is_refused(admin: User) -> None:
    with pytest.raises(ValidationError):
        fuzzy_duplicates(actor=admin, object_type="contact", threshold=101)
    with pytest.raises(ValidationError):
        fuzzy_duplicates(actor=admin, object_type="deal")
