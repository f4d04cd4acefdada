"""Cell values from imported files, cleaned into what our fields hold.

Every normaliser takes one raw cell (text from a CSV or vCard, or a typed XLSX value) and
returns ``(value, problem)``:

- an empty cell gives ``(None, None)``: whether blank means "leave as it is" or "clear" is the
  import mode's decision, so it must stay distinguishable from any value;
- a usable value gives ``(value, None)``, or ``(value, warning)`` when it is usable but the user
  should know (text that a spreadsheet would run as a formula);
- an unusable one gives ``(None, error)``.

Problems carry no row or column; the import job places them with ``problem.at(row=, field=)``.
Where ``sambandh.core.validation`` already knows a rule (email, phone), it is used, so an
imported value is accepted exactly when a form would accept it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import babel
from django.utils.translation import gettext_lazy as _

from sambandh.core import validation
from sambandh.core.exporting import FORMULA_STARTS, neutralise
from sambandh.dataio.problems import Level, Problem

T = TypeVar("T")
Normalised = tuple[T | None, Problem | None]

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACE_RE = re.compile(r"\s+")
# Devanagari digits (०-९) read as ASCII ones.
_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


def _text(value: Any) -> str:
    """A cell as trimmed text; numbers from XLSX as they would be typed (42, not 42.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    # A printable string has no control character: the substitution would change nothing.
    return (text if text.isprintable() else _CONTROL_RE.sub("", text)).strip()


# --- formulas -----------------------------------------------------------------------------

_NUMBER_LIKE_RE = re.compile(r"^[+-][\d\s().,/-]*$")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula when it is exported again: it
    starts with ``=``, ``@``, or ``+``/``-`` followed by more than a number (``+91 98765 43210``
    and ``-12.5`` are data, ``+cmd|' /C calc'!A0`` is not)."""
    if not text:
        return False
    if text[0] in "+-":
        return not _NUMBER_LIKE_RE.match(text)
    return text.startswith(FORMULA_STARTS)


def neutralise_formula(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: a leading apostrophe before anything that
    starts like a formula (the rule every export uses, ``sambandh.core.exporting.neutralise``)."""
    return neutralise(text)


def formula_warning(text: str) -> Problem | None:
    if looks_like_formula(text):
        return Problem.make(
            "formula",
            _("This text starts like a spreadsheet formula; it is kept as text and never run."),
            level=Level.WARNING,
        )
    return None


# --- text and names -----------------------------------------------------------------------


def _too_long(limit: int) -> Problem:
    return Problem.make("too_long", _("Enter at most %(n)d characters."), n=limit)


def normalise_text(value: Any, *, max_length: int | None = None) -> Normalised[str]:
    """Trimmed text without control characters; line breaks inside are kept."""
    text = _text(value)
    if not text:
        return None, None
    if max_length is not None and len(text) > max_length:
        return None, _too_long(max_length)
    return text, formula_warning(text)


def normalise_name(value: Any, *, max_length: int = 120) -> Normalised[str]:
    """A name on one line: trimmed, runs of spaces (also non-breaking ones and line breaks)
    made one space. Letter case is kept: "McDonald" and "DSouza" are not ours to fix."""
    text = _SPACE_RE.sub(" ", unicodedata.normalize("NFC", _text(value))).strip()
    return normalise_text(text, max_length=max_length)


_SALUTATIONS = {
    s.casefold().rstrip("."): s
    for s in (
        "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Shri", "Shree", "Smt", "Sushri", "Kumari",
        "Sri", "Sir", "Dame", "श्री", "श्रीमती", "सुश्री", "कुमारी", "डॉ", "डॉ.", "प्रो",
    )
}  # fmt: skip


def split_full_name(value: Any) -> tuple[str, str, str]:
    """(salutation, first name, last name) of a full name such as Pipedrive's "Person - Name"
    or a vCard's FN: a leading title is split off, the last word is the last name."""
    name, _problem = normalise_name(value, max_length=10_000)
    words = (name or "").split(" ")
    salutation = ""
    if len(words) > 1 and words[0].casefold().rstrip(".") in _SALUTATIONS:
        salutation = words.pop(0)
    if len(words) == 1:
        return salutation, words[0], ""
    return salutation, " ".join(words[:-1]), words[-1]


# --- email and phone ----------------------------------------------------------------------

_ANGLE_RE = re.compile(r"<([^<>]+)>\s*$")


def normalise_email(value: Any) -> Normalised[str]:
    """A valid address in lower case (no DNS lookup). ``Name <a@b.in>`` and ``mailto:`` forms
    give the address."""
    text = _text(value)
    if not text:
        return None, None
    match = _ANGLE_RE.search(text)
    if match:
        text = match.group(1).strip()
    text = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE)
    try:
        return validation.clean_email(text) or None, None
    except ValueError:
        return None, Problem.make(
            "invalid_email", _("“%(value)s” is not a valid email address."), value=text[:100]
        )


_LIST_SPLIT_RE = re.compile(r"[;,\n]+")


def normalise_emails(value: Any) -> Normalised[list[str]]:
    """Several addresses in one cell (separated by ";", "," or line breaks), each checked; the
    first bad one is the problem and the good ones are kept."""
    found: list[str] = []
    problem = None
    for part in _LIST_SPLIT_RE.split(_text(value)):
        email, error = normalise_email(part)
        if email and email not in found:
            found.append(email)
        problem = problem or error
    return (found or None), problem


def normalise_phone(value: Any, *, default_country: str = "IN") -> Normalised[str]:
    """A phone number in E.164 (+919876543210). A national number is read in
    ``default_country``; an XLSX number cell (9876543210.0) is read as its digits."""
    text = _text(value).translate(_DIGITS)
    if not text:
        return None, None
    text = text[4:] if text.lower().startswith("tel:") else text
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        return validation.clean_phone(text, default_region=default_country) or None, None
    except ValueError:
        return None, Problem.make(
            "invalid_phone", _("“%(value)s” is not a valid phone number."), value=text[:40]
        )


def normalise_phones(value: Any, *, default_country: str = "IN") -> Normalised[list[str]]:
    """Several numbers in one cell, separated by ";", "," or line breaks."""
    found: list[str] = []
    problem = None
    for part in _LIST_SPLIT_RE.split(_text(value)):
        phone, error = normalise_phone(part, default_country=default_country)
        if phone and phone not in found:
            found.append(phone)
        problem = problem or error
    return (found or None), problem


# --- countries ----------------------------------------------------------------------------

# Babel territories that are not countries one lives in.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
# Names people write that the locale data does not hold (its names are the formal ones).
_COUNTRY_ALIASES = {
    "usa": "US", "us": "US", "u s": "US", "u s a": "US", "america": "US",
    "united states of america": "US", "अमेरिका": "US", "अमरीका": "US", "यूएसए": "US",
    "संयुक्त राज्य अमेरिका": "US",
    "uk": "GB", "u k": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "ब्रिटेन": "GB", "इंग्लैंड": "GB",
    "bharat": "IN", "hindustan": "IN", "republic of india": "IN", "भारत गणराज्य": "IN",
    "हिंदुस्तान": "IN", "हिन्दुस्तान": "IN", "इंडिया": "IN",
    "uae": "AE", "u a e": "AE", "emirates": "AE", "यूएई": "AE",
    "holland": "NL", "russia": "RU", "south korea": "KR", "korea": "KR",
    "czech republic": "CZ", "burma": "MM", "ceylon": "LK", "persia": "IR",
    "ivory coast": "CI", "turkey": "TR", "vatican": "VA",
}  # fmt: skip


def _country_key(text: str) -> str:
    """Case, accents (in Latin script only: Devanagari's marks are letters), punctuation and
    a leading "the" do not matter."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"[.,()'’\-_/&]+", " ", text).replace(" and ", " ")
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    if all(ord(c) < 0x250 for c in stripped):
        text = stripped
    text = _SPACE_RE.sub(" ", text).strip()
    return text.removeprefix("the ")


@functools.cache
def _country_names() -> dict[str, str]:
    from babel.core import get_global

    codes = validation.country_codes() - _NOT_COUNTRIES
    names: dict[str, str] = {}
    for language in ("en", "hi"):
        for code, name in babel.Locale(language).territories.items():
            if code in codes:
                names.setdefault(_country_key(str(name)), str(code))
    for code in codes:
        names.setdefault(code.casefold(), code)
    # ISO alpha-3 (IND, USA) and numeric (356) codes, from CLDR's territory aliases.
    for alias, targets in get_global("territory_aliases").items():
        if len(targets) == 1 and targets[0] in codes and (len(alias) == 3):
            names.setdefault(alias.casefold(), targets[0])
    for alias, code in _COUNTRY_ALIASES.items():
        names[_country_key(alias)] = code
    return names


def normalise_country(value: Any) -> Normalised[str]:
    """An ISO 3166 alpha-2 code from a code (IN, IND, 356) or a name in English or Hindi
    ("India", "भारत", "United States", "USA", "अमेरिका")."""
    return _country(_text(value))


@functools.lru_cache(maxsize=4096)
def _country(text: str) -> Normalised[str]:
    """A file holds few distinct countries: each text is looked up once."""
    if not text:
        return None, None
    code = _country_names().get(_country_key(text))
    if code is None:
        return None, Problem.make(
            "unknown_country",
            _("“%(value)s” is not a country we know; use a name or a code such as IN."),
            value=text[:60],
        )
    return code, None


# --- dates --------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX = 2_958_465  # 9999-12-31
_ISO_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_BASIC_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T.*)?$")
_NUMERIC_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[T ].*)?$")
_WORDS_SPLIT_RE = re.compile(r"[\s,/.\-]+")


@functools.cache
def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for language in ("en", "hi"):
        months = babel.Locale(language).months["format"]
        for width in ("wide", "abbreviated"):
            for number, name in months[width].items():
                names[str(name).casefold().rstrip(".")] = int(number)
    names["sept"] = 9
    return names


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # POSIX's rule, as Python's %y: 69-99 are 19xx, 00-68 are 20xx.
        year += 1900 if year >= 69 else 2000
    return year


def _excel_serial(number: float) -> dt.date | None:
    """Excel's day count (1900 date system): 1 is 1900-01-01 and Excel believes 1900 was a leap
    year, so serials from 61 on are counted from 1899-12-30."""
    if not 1 <= number <= _EXCEL_MAX:
        return None
    days = int(number)
    if days < 61:
        return dt.date(1899, 12, 31) + dt.timedelta(days=days) if days != 60 else None
    return _EXCEL_EPOCH + dt.timedelta(days=days)


def _parse_date(text: str, day_first: bool) -> dt.date | None:
    text = text.translate(_DIGITS)
    for regex in (_ISO_RE, _BASIC_RE):
        match = regex.match(text)
        if match:
            y, m, d = (int(g) for g in match.groups())
            return dt.date(y, m, d)
    match = _NUMERIC_RE.match(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        day, month = (first, second) if day_first else (second, first)
        if month > 12 and day <= 12:
            day, month = month, day  # only one reading is a date
        return dt.date(year, month, day)
    if re.fullmatch(r"\d{1,5}(\.\d+)?", text):
        return _excel_serial(float(text))
    # "15-Jan-2024", "15 January 2024", "Jan 15, 2024", "15 जनवरी 2024"
    words = [w for w in _WORDS_SPLIT_RE.split(text.casefold()) if w]
    months = _month_names()
    month_words = [w for w in words if w.rstrip(".") in months]
    numbers = [w for w in words if w.isdigit()]
    if len(month_words) == 1 and len(numbers) == 2 and len(words) == 3:
        month = months[month_words[0].rstrip(".")]
        a, b = numbers
        day_text, year_text = (a, b) if len(b) in (2, 4) and len(a) <= 2 else (b, a)
        if len(day_text) > 2:
            return None
        return dt.date(_year(year_text), month, int(day_text))
    return None


def normalise_date(value: Any, *, day_first: bool = True) -> Normalised[dt.date]:
    """A date from ISO (2024-01-15, 20240115, with a time after it), D/M/Y or M/D/Y with
    "/", "-" or "." (``day_first`` picks the reading when both are possible; 2-digit years
    as Python's ``%y``), month names in English or Hindi (15-Jan-2024, Jan 15 2024,
    15 जनवरी 2024), an Excel serial number (45306), or a date/datetime from an XLSX cell."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, bool):
        parsed = None
    elif isinstance(value, int | float | Decimal):
        parsed = _excel_serial(float(value))
    else:
        text = _text(value)
        if not text:
            return None, None
        try:
            parsed = _parse_date(text, day_first)
        except ValueError:  # a day or month out of range: 31/02/2024
            parsed = None
    if parsed is None:
        return None, Problem.make(
            "invalid_date",
            _("“%(value)s” is not a date we can read; use a form such as 2024-01-31."),
            value=str(value)[:40],
        )
    if parsed.year < 1900:
        return None, Problem.make("date_out_of_range", _("Enter a date after 1900."))
    return parsed, None


# --- booleans and numbers -----------------------------------------------------------------

_TRUE = frozenset(
    {"yes", "y", "true", "t", "1", "on", "x", "✓", "✔", "हाँ", "हां", "हा", "सही", "सत्य"}
)
_FALSE = frozenset({"no", "n", "false", "f", "0", "off", "नहीं", "नही", "ना", "गलत", "ग़लत", "असत्य"})


def normalise_bool(value: Any) -> Normalised[bool]:
    """yes/no, true/false, 1/0, on/off, y/n, x or ✓ (a ticked box), हाँ/नहीं, सही/गलत."""
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value), None
    text = _text(value).casefold().translate(_DIGITS)
    if not text:
        return None, None
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return None, Problem.make(
        "invalid_boolean", _("“%(value)s” is not yes or no."), value=str(value)[:40]
    )


_CURRENCY_RE = re.compile(
    r"^(?:₹|rs\.?|inr|\$|usd|€|eur|£|gbp)\s*|\s*(?:₹|rs\.?|inr|\$|usd|€|eur|£|gbp)$",
    re.IGNORECASE,
)
_WESTERN_RE = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_INDIAN_RE = re.compile(r"^\d{1,2}(,\d{2})*,\d{3}(\.\d+)?$")
_PLAIN_RE = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")


def normalise_decimal(value: Any, *, places: int = 2) -> Normalised[Decimal]:
    """A number from "1,23,456.78" (Indian grouping), "1,234,567.89" (Western), "1234.5",
    with a currency sign or code (₹, Rs., INR, $) and a sign or accounting brackets for a
    negative; XLSX numbers as they are. Rounded to ``places``. Grouping in the wrong places
    ("1,2,3") is a problem, not a guess."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = _text(value).translate(_DIGITS).replace("\u00a0", " ")
        if not text:
            return None, None
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1].strip()
        if text[:1] in "+-":
            negative, text = text[0] == "-", text[1:].strip()
        text = _CURRENCY_RE.sub("", text).strip()
        if text[:1] == "-":
            negative, text = True, text[1:].strip()
        text = text.replace(" ", "")
        number = None
        if _PLAIN_RE.match(text) or _WESTERN_RE.match(text) or _INDIAN_RE.match(text):
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                number = None
            if number is not None and negative:
                number = -number
    if number is None or not number.is_finite():
        return None, Problem.make(
            "invalid_number", _("“%(value)s” is not a number we can read."), value=str(value)[:40]
        )
    if abs(number) >= Decimal(10) ** 16:
        return None, Problem.make("number_too_large", _("This number is too large."))
    return number.quantize(Decimal(1).scaleb(-places)), None
