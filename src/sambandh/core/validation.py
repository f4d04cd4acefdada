"""Normalisers for the values every domain shares. Each returns the clean value or raises
``ValueError`` with a translated message; services collect those per field."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import babel
import babel.numbers
import email_validator
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

# Control characters, and lone UTF-16 surrogates: JSON can escape them ("\\ud800") but no
# database can store them, so they would fail at save time instead of here.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_INT64 = 2**63


def clean_text(value: Any, *, max_length: int, required: bool = False) -> str:
    """Trimmed text without control characters. HTML is kept as text; templates escape it."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        # A printable string has no control character: the substitution would change nothing.
        text = (value if value.isprintable() else _CONTROL_RE.sub("", value)).strip()
    else:
        raise ValueError(_("Enter text."))
    if required and not text:
        raise ValueError(_("This field is required."))
    if len(text) > max_length:
        raise ValueError(_("Enter at most %(n)d characters.") % {"n": max_length})
    return text


# A plain dot-atom local part (RFC 5322 atext, no quoting, no Unicode): for such a part the
# validator's answer depends on the domain alone, so the domain's answer is remembered.
_PLAIN_LOCAL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z"
)


@functools.lru_cache(maxsize=8192)
def _email_domain(domain: str) -> str | None:
    """The domain as the validator normalises it, or None where it refuses it."""
    try:
        result = email_validator.validate_email("a@" + domain, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return str(result.normalized).split("@", 1)[1]


def clean_email(value: Any, *, required: bool = False) -> str:
    text = clean_text(value, max_length=254, required=required)
    if not text:
        return ""
    # The common case without the validator's full parse (an import checks a million): the
    # same answer, as tests/core/test_validation_email.py checks against the validator.
    local, at, domain = text.rpartition("@")
    if at and len(local) <= 64 and _PLAIN_LOCAL_RE.match(local):
        normal_domain = _email_domain(domain)
        if normal_domain is not None:
            return f"{local}@{normal_domain}".lower()
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(_("Enter a valid email address.")) from exc
    return str(result.normalized).lower()


_PHONE_SEPARATORS = str.maketrans("", "", " -().")


@functools.lru_cache(maxsize=256)
def _simple_region(region: str) -> tuple[int, str] | None:
    """(country code, national prefix) of a region whose national numbers parse plainly: no
    rule beyond dropping the prefix (India, Nepal, Germany...), else None."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    prefix = metadata.national_prefix or ""
    if (
        metadata.national_prefix_for_parsing or ""
    ) != prefix or metadata.national_prefix_transform_rule:
        return None
    return phonenumbers.country_code_for_region(region), prefix


def _fast_phone(text: str, region: str | None) -> str | None:
    """The E.164 form of a number written with digits and separators only (national, with or
    without the national prefix, or international with "+"), when it is valid as it stands in
    a region whose numbers parse plainly; None sends it to the full parser. A number accepted
    here is one the parser gives the same answer for (tests/core/test_validation_phone.py)."""
    digits = text.translate(_PHONE_SEPARATORS)
    international = digits.startswith("+")
    if international:
        digits = digits[1:]
    if not digits.isdigit() or not digits.isascii() or len(digits) > 17:
        return None
    if international:
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                break
        else:
            return None
        simple = _simple_region(phonenumbers.region_code_for_country_code(code))
        digits = digits[size:]
        if (
            simple is None
            or simple[0] != code
            or not digits
            or (simple[1] and digits.startswith(simple[1]))
        ):
            return None
    else:
        if not region:
            return None
        simple = _simple_region(region)
        if simple is None:
            return None
        if simple[1] and digits.startswith(simple[1]):
            digits = digits[len(simple[1]) :]  # the national prefix ("0" in India)
    if not digits or digits[0] == "0":
        return None
    number = phonenumbers.PhoneNumber(country_code=simple[0], national_number=int(digits))
    if not phonenumbers.is_valid_number(number):
        return None
    return f"+{simple[0]}{digits}"


def clean_phone(value: Any, *, default_region: str | None = None) -> str:
    """A phone number in E.164 (+919876543210); national numbers use the default country."""
    text = clean_text(value, max_length=40)
    if not text:
        return ""
    fast = _fast_phone(text, default_region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(text, default_region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("Enter a valid phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("Enter a valid phone number."))
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@functools.cache
def country_codes() -> frozenset[str]:
    codes: list[str] = [str(code) for code in babel.Locale("en").territories]
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha())


def clean_country(value: Any) -> str:
    text = clean_text(value, max_length=2).upper()
    if not text:
        return ""
    if text not in country_codes():
        raise ValueError(_("Enter a two-letter country code such as IN or US."))
    return text


def country_name(code: str, language: str = "en") -> str:
    if not code:
        return ""
    locale = babel.Locale.parse("hi" if language.startswith("hi") else "en")
    return str(locale.territories.get(code, code))


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clean_time_zone(value: Any, *, required: bool = False) -> str:
    text = clean_text(value, max_length=64, required=required)
    if not text:
        return ""
    if text not in time_zones():
        raise ValueError(_("Enter a valid time zone such as Asia/Kolkata."))
    return text


@functools.cache
def currency_codes() -> frozenset[str]:
    return frozenset(babel.numbers.list_currencies())


def clean_currency(value: Any, *, required: bool = False) -> str:
    text = clean_text(value, max_length=3, required=required).upper()
    if not text:
        return ""
    if text not in currency_codes():
        raise ValueError(_("Enter a valid ISO 4217 currency code such as INR."))
    return text


def clean_language(value: Any) -> str:
    text = clean_text(value, max_length=10)
    if not text:
        return ""
    if text not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(_("Choose a supported language."))
    return text


def clean_url(value: Any) -> str:
    text = clean_text(value, max_length=500)
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    try:
        URLValidator(schemes=["http", "https"])(text)
    except DjangoValidationError as exc:
        raise ValueError(_("Enter a valid web address.")) from exc
    return text


_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def clean_domain(value: Any) -> str:
    text = clean_text(value, max_length=253).lower()
    if not text:
        return ""
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].removeprefix("www.")
    if not _DOMAIN_RE.match(text):
        raise ValueError(_("Enter a valid domain such as example.com."))
    return text


def clean_decimal(
    value: Any,
    *,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    places: int = 2,
) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(_("Enter a number.")) from exc
    if not number.is_finite():
        raise ValueError(_("Enter a number."))
    if abs(number) >= Decimal(10) ** 16:
        raise ValueError(_("This number is too large."))
    if min_value is not None and number < min_value:
        raise ValueError(_("Enter a number of at least %(n)s.") % {"n": min_value})
    if max_value is not None and number > max_value:
        raise ValueError(_("Enter a number of at most %(n)s.") % {"n": max_value})
    quantum = Decimal(1).scaleb(-places)
    return number.quantize(quantum)


def clean_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    try:
        parsed = dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if parsed.year < 1900:
        raise ValueError(_("Enter a date after 1900."))
    return parsed


def clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "off", ""}:
        return False
    if value is None:
        return False
    raise ValueError(_("Enter yes or no."))


def clean_lookup_value(value: Any) -> Any:
    """A parsed filter or cursor value the database can compare, or ValueError.

    Integers must fit in 64 bits, datetimes are moved to UTC (which must stay within years
    1-9999; PostgreSQL also refuses offsets beyond 15:59), and text may hold neither NUL nor
    lone surrogates. Without this such values fail inside the database driver: a 500.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if not -_INT64 <= value < _INT64:
            raise ValueError(_("Enter a valid value."))
    elif isinstance(value, dt.datetime):
        try:
            aware = value if value.tzinfo is not None else timezone.make_aware(value)
            return aware.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValueError(_("Enter a valid value.")) from exc
    elif isinstance(value, str) and (
        "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    ):
        raise ValueError(_("Enter a valid value."))
    return value
