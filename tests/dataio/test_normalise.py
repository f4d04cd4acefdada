"""Normalising imported cells: each normaliser's happy and unhappy paths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from sambandh.dataio.normalise import (
    looks_like_formula,
    neutralise_formula,
    normalise_bool,
    normalise_country,
    normalise_date,
    normalise_decimal,
    normalise_email,
    normalise_emails,
    normalise_name,
    normalise_phone,
    normalise_phones,
    normalise_text,
    split_full_name,
)
from sambandh.dataio.problems import Level


def code(result):
    return None if result[1] is None else result[1].code


@pytest.mark.parametrize("empty", [None, "", "   ", "\t\r\n"])
@pytest.mark.parametrize(
    "normaliser",
    [
        normalise_text,
        normalise_name,
        normalise_email,
        normalise_emails,
        normalise_phone,
        normalise_phones,
        normalise_country,
        normalise_date,
        normalise_bool,
        normalise_decimal,
    ],
)
def test_an_empty_cell_is_none_without_a_problem(normaliser, empty):
    assert normaliser(empty) == (None, None)


def test_names_are_trimmed_and_collapsed_keeping_case_and_devanagari():
    assert normalise_name("  Ram \u00a0 Prasad\n Kumar ") == ("Ram Prasad Kumar", None)
    assert normalise_name("McDONALD") == ("McDONALD", None)
    assert normalise_name(" सीता  देवी ") == ("सीता देवी", None)
    assert normalise_name("a\x00b\x07c") == ("abc", None)


def test_a_name_over_the_limit_is_a_problem():
    value, problem = normalise_name("x" * 121)
    assert value is None
    assert problem is not None and problem.code == "too_long"
    assert str(problem.message) == "Enter at most 120 characters."


def test_text_keeps_line_breaks_and_warns_about_formulas():
    assert normalise_text(" one\ntwo ") == ("one\ntwo", None)
    value, problem = normalise_text('=HYPERLINK("http://x","y")')
    assert value == '=HYPERLINK("http://x","y")'
    assert problem is not None and (problem.code, problem.level) == ("formula", Level.WARNING)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", True),
        ("@SUM(A1:A2)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("+91 98765 43210", False),
        ("-12.50", False),
        ("(022) 2345-6789", False),
        ("Ram", False),
        ("", False),
    ],
)
def test_formula_like_text_is_recognised(text, expected):
    assert looks_like_formula(text) is expected


def test_neutralise_formula_prefixes_an_apostrophe_as_exports_do():
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("@x") == "'@x"
    assert neutralise_formula("Ram") == "Ram"


def test_full_names_split_into_salutation_first_and_last():
    assert split_full_name("Dr. Ram  Prasad Kumar") == ("Dr.", "Ram Prasad", "Kumar")
    assert split_full_name("श्रीमती सीता देवी") == ("श्रीमती", "सीता", "देवी")
    assert split_full_name("Madonna") == ("", "Madonna", "")
    assert split_full_name("Mr") == ("", "Mr", "")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ram@Example.IN", "ram@example.in"),
        ("  ram.kumar@example.co.in ", "ram.kumar@example.co.in"),
        ("Ram Kumar <Ram@Example.in>", "ram@example.in"),
        ("mailto:sita@example.in", "sita@example.in"),
    ],
)
def test_emails_are_lower_cased_and_validated(raw, expected):
    assert normalise_email(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["ram@", "ram at example.in", "@example.in", "ram@example"])
def test_invalid_emails_are_problems(raw):
    value, problem = normalise_email(raw)
    assert value is None
    assert problem is not None and problem.code == "invalid_email"
    assert str(problem.message) == f"“{raw}” is not a valid email address."


def test_several_emails_in_one_cell_keep_the_good_ones():
    value, problem = normalise_emails("A@x.in; b@x.in, bad@ \n a@x.in")
    assert value == ["a@x.in", "b@x.in"]
    assert problem is not None and problem.code == "invalid_email"


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("98765 43210", "IN", "+919876543210"),
        ("098765-43210", "IN", "+919876543210"),
        ("+91 98765 43210", "US", "+919876543210"),
        ("0091 98765 43210", "US", "+919876543210"),
        ("tel:+1-415-555-0132", "IN", "+14155550132"),
        ("(415) 555-0132", "US", "+14155550132"),
        (9876543210.0, "IN", "+919876543210"),
        (9876543210, "IN", "+919876543210"),
        ("९८७६५ ४३२१०", "IN", "+919876543210"),
    ],
)
def test_phones_become_e164_with_a_default_country(raw, country, expected):
    assert normalise_phone(raw, default_country=country) == (expected, None)


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+91 12"])
def test_invalid_phones_are_problems(raw):
    value, problem = normalise_phone(raw)
    assert value is None
    assert problem is not None and problem.code == "invalid_phone"


def test_several_phones_in_one_cell():
    assert normalise_phones("98765 43210; +1 415 555 0132") == (
        ["+919876543210", "+14155550132"],
        None,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("India", "IN"),
        ("india", "IN"),
        ("IN", "IN"),
        ("in", "IN"),
        ("IND", "IN"),
        ("भारत", "IN"),
        ("Bharat", "IN"),
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("अमेरिका", "US"),
        ("संयुक्त राज्य", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("the Netherlands", "NL"),
        ("Côte d’Ivoire", "CI"),
        ("cote d'ivoire", "CI"),
        ("Germany", "DE"),
        ("जर्मनी", "DE"),
        ("UAE", "AE"),
        ("Sri Lanka", "LK"),
        ("नेपाल", "NP"),
    ],
)
def test_countries_from_codes_and_english_or_hindi_names(raw, expected):
    assert normalise_country(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["Narnia", "ZZ", "EU", "Europe"])
def test_unknown_countries_are_problems(raw):
    value, problem = normalise_country(raw)
    assert value is None
    assert problem is not None and problem.code == "unknown_country"


@pytest.mark.parametrize(
    ("raw", "day_first", "expected"),
    [
        ("2024-01-15", True, dt.date(2024, 1, 15)),
        ("2024/1/5", True, dt.date(2024, 1, 5)),
        ("2024-01-15T10:30:00Z", True, dt.date(2024, 1, 15)),
        ("20240115", True, dt.date(2024, 1, 15)),
        ("05/01/2024", True, dt.date(2024, 1, 5)),
        ("05/01/2024", False, dt.date(2024, 5, 1)),
        ("15/01/2024", False, dt.date(2024, 1, 15)),  # only one reading is a date
        ("15.01.24", True, dt.date(2024, 1, 15)),
        ("15-01-1970", True, dt.date(1970, 1, 15)),
        ("15-Jan-2024", True, dt.date(2024, 1, 15)),
        ("15 January 2024", True, dt.date(2024, 1, 15)),
        ("Jan 15, 2024", True, dt.date(2024, 1, 15)),
        ("1 Sept 2023", True, dt.date(2023, 9, 1)),
        ("15 जनवरी 2024", True, dt.date(2024, 1, 15)),
        ("१५/०१/२०२४", True, dt.date(2024, 1, 15)),
        ("45306", True, dt.date(2024, 1, 15)),
        (45306, True, dt.date(2024, 1, 15)),
        (45306.75, True, dt.date(2024, 1, 15)),
        (dt.datetime(2024, 1, 15, 10, 30), True, dt.date(2024, 1, 15)),  # noqa: DTZ001
        (dt.date(2024, 1, 15), True, dt.date(2024, 1, 15)),
    ],
)
def test_dates_in_common_forms(raw, day_first, expected):
    assert normalise_date(raw, day_first=day_first) == (expected, None)


def test_excel_serials_around_its_fictional_leap_day():
    assert normalise_date(59) == (dt.date(1900, 2, 28), None)
    assert normalise_date(61) == (dt.date(1900, 3, 1), None)
    assert code(normalise_date(60)) == "invalid_date"


@pytest.mark.parametrize("raw", ["31/02/2024", "tomorrow", "2024-13-01", "--0412", True, "1/2"])
def test_unreadable_dates_are_problems(raw):
    value, problem = normalise_date(raw)
    assert value is None
    assert problem is not None and problem.code == "invalid_date"


def test_dates_before_1900_are_refused():
    assert code(normalise_date("1899-12-31")) == "date_out_of_range"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("YES", True),
        ("y", True),
        ("true", True),
        ("1", True),
        ("x", True),
        ("✓", True),
        ("हाँ", True),
        ("हां", True),
        (True, True),
        (1, True),
        ("no", False),
        ("False", False),
        ("0", False),
        ("नहीं", False),
        (False, False),
        (0.0, False),
    ],
)
def test_booleans(raw, expected):
    assert normalise_bool(raw) == (expected, None)


def test_an_unreadable_boolean_is_a_problem_in_the_users_language():
    value, problem = normalise_bool("maybe")
    assert value is None and problem is not None and problem.code == "invalid_boolean"
    assert str(problem.message) == "“maybe” is not yes or no."
    with translation.override("hi"):
        assert str(problem.message) == "“maybe” को हाँ या नहीं के रूप में पढ़ा नहीं जा सका।"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,23,456.78", Decimal("123456.78")),
        ("12,34,56,789", Decimal("123456789.00")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("1234.5", Decimal("1234.50")),
        (".5", Decimal("0.50")),
        ("₹ 1,23,456", Decimal("123456.00")),
        ("Rs. 500", Decimal("500.00")),
        ("INR 2,500.50", Decimal("2500.50")),
        ("$1,234", Decimal("1234.00")),
        ("-1,234.50", Decimal("-1234.50")),
        ("(1,234.50)", Decimal("-1234.50")),
        ("१,२३,४५६", Decimal("123456.00")),
        (1234.5, Decimal("1234.50")),
        (42, Decimal("42.00")),
        (Decimal("3.14159"), Decimal("3.14")),
    ],
)
def test_decimals_with_indian_and_western_grouping(raw, expected):
    assert normalise_decimal(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["1,2,3", "12,34", "1.234.567,89", "abc", "1e5", "NaN", True])
def test_unreadable_numbers_are_problems_not_guesses(raw):
    value, problem = normalise_decimal(raw)
    assert value is None
    assert problem is not None and problem.code == "invalid_number"


def test_a_number_too_large_for_our_columns_is_a_problem():
    assert code(normalise_decimal("10000000000000000")) == "number_too_large"


def test_a_problem_is_placed_in_a_file_by_the_import():
    _value, problem = normalise_email("bad@")
    assert problem is not None
    placed = problem.at(row=7, field="Email")
    assert placed.as_dict() == {
        "row": 7,
        "field": "Email",
        "code": "invalid_email",
        "level": "error",
        "message": "“bad@” is not a valid email address.",
        "params": {"value": "bad@"},
    }
