from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from sambandh.core import validation
from sambandh.core.money import format_money, format_number


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+91 98765 43210", None, "+919876543210"),
        ("098765 43210", "IN", "+919876543210"),
        ("12345", "US", None),
        ("+1 415 555 2671", None, "+14155552671"),
    ],
)
def test_phones_become_e164(raw, region, expected):
    if expected is None:
        with pytest.raises(ValueError):
            validation.clean_phone(raw, default_region=region)
    else:
        assert validation.clean_phone(raw, default_region=region) == expected


def test_email_is_lower_cased_and_checked():
    assert validation.clean_email(" A.B@Example.ORG ") == "a.b@example.org"
    with pytest.raises(ValueError, match="valid email"):
        validation.clean_email("a@@b")


def test_country_time_zone_currency_and_language_codes():
    assert validation.clean_country("np") == "NP"
    assert validation.clean_time_zone("Asia/Kathmandu") == "Asia/Kathmandu"
    assert validation.clean_currency("inr") == "INR"
    assert validation.clean_language("hi") == "hi"
    for cleaner, bad in [
        (validation.clean_country, "India"),
        (validation.clean_time_zone, "IST"),
        (validation.clean_currency, "RUPEE"),
        (validation.clean_language, "fr"),
    ]:
        with pytest.raises(ValueError):
            cleaner(bad)


def test_text_drops_control_characters_and_enforces_length():
    assert validation.clean_text(" a\x00b\x07 ", max_length=5) == "ab"
    with pytest.raises(ValueError):
        validation.clean_text("x" * 6, max_length=5)
    with pytest.raises(ValueError):
        validation.clean_text(123, max_length=5)


def test_decimals_reject_nan_infinity_and_huge_values():
    assert validation.clean_decimal("1,50,000.5") == Decimal("150000.50")
    for bad in ["NaN", "Infinity", "1e20", "abc", True]:
        with pytest.raises(ValueError):
            validation.clean_decimal(bad)


def test_domain_is_stripped_of_scheme_and_www():
    assert validation.clean_domain("https://www.Example.co.in/about") == "example.co.in"
    with pytest.raises(ValueError):
        validation.clean_domain("not a domain")


def test_error_messages_follow_the_active_language():
    with translation.override("hi"), pytest.raises(ValueError) as info:
        validation.clean_email("bad")
    assert str(info.value) != "Enter a valid email address."


def test_money_uses_indian_grouping_for_hindi_and_english():
    assert format_money(Decimal("100000"), "INR", "hi") == "₹1,00,000.00"
    assert format_money(Decimal("100000"), "INR", "en") == "₹1,00,000.00"
    assert format_number(Decimal("12345678.5"), "hi") == "1,23,45,678.5"
    assert format_money(Decimal("1234.5"), "USD", "en-us") == "$1,234.50"
