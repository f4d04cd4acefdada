"""The cells of deal, order and activity files read into values: choice words in English and
Hindi (activity kinds, deal and order statuses, priorities...), dates with times, times of
day and durations. ``rows.RowReader`` calls ``record_readers`` for these kinds; the values
then go to ``records_engine``, which resolves references and writes.

Pure reading, no database: a second process prepares a big file's rows with these.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from sambandh.activities.models import ActivityKind, CallOutcome, Direction, Priority
from sambandh.core.models import ObjectType
from sambandh.dataio import normalise as n
from sambandh.dataio.problems import Problem
from sambandh.sales.models import OrderStatus

if TYPE_CHECKING:
    from sambandh.dataio.rows import Plan

Normaliser = Callable[[Any], n.Normalised[Any]]
# Targets that name another record: resolved per chunk against the database.
RECORD_REFS = frozenset(
    {"pipeline", "stage", "owner", "account_name", "account_domain", "contact", "deal"}
)


def word_key(text: str) -> str:
    """A choice word reduced for comparison: "Closed-Won" and "closed won" are one."""
    return " ".join(text.casefold().replace("-", " ").replace("_", " ").split())


def _labels(choices: Iterable[tuple[str, StrOrPromise]]) -> dict[str, str]:
    """value and label (English and Hindi) of each choice -> value."""
    found: dict[str, str] = {}
    for value, label in choices:
        found.setdefault(word_key(value), value)
        for language in ("en", "hi"):
            with translation.override(language):
                found.setdefault(word_key(str(label)), value)
    return found


@functools.cache
def _kind_words() -> dict[str, str]:
    words = _labels([*ActivityKind.choices, ("note", ObjectType.NOTE.label)])
    extra = {
        "task": "to do|todo|deadline|टास्क|कार्य",
        "call": "phone call|phone|फ़ोन|फोन|कॉल",
        "meeting": "lunch|appointment|event|मीटिंग|बैठक",
        "email": "e mail|mail|ईमेल",
        "note": "notes|नोट|टिप्पणी",
    }
    for value, names in extra.items():
        for name in names.split("|"):
            words.setdefault(word_key(name), value)
    return words


@functools.cache
def deal_status_words() -> dict[str, str]:
    words = {
        "open": "open|in progress|active|खुला|खुली",
        "won": "won|win|closed won|closedwon|जीता|जीती|जीती गई|जीत",
        "lost": "lost|closed lost|closedlost|हारा|हारी|हारी गई|हार",
    }
    return {word_key(name): value for value, names in words.items() for name in names.split("|")}


@functools.cache
def _order_status_words() -> dict[str, str]:
    words = _labels(OrderStatus.choices)
    extra = {
        OrderStatus.PLACED: "pending|processing|on hold|open|new|unpaid|authorized",
        OrderStatus.PAID: "paid in full|payment received",
        OrderStatus.FULFILLED: "completed|complete|delivered|shipped|closed",
        OrderStatus.CANCELLED: "canceled|voided|void|failed",
        OrderStatus.REFUNDED: "refund",
    }
    for value, names in extra.items():
        for name in names.split("|"):
            words.setdefault(word_key(name), str(value))
    return words


@functools.cache
def _priority_words() -> dict[str, str]:
    words = _labels(Priority.choices)
    for name, value in (("medium", "normal"), ("highest", "urgent"), ("critical", "urgent")):
        words.setdefault(name, value)
    words.setdefault("lowest", "low")
    return words


@functools.cache
def _direction_words() -> dict[str, str]:
    words = _labels(Direction.choices)
    for name, value in (("incoming", "inbound"), ("in", "inbound"), ("outgoing", "outbound")):
        words.setdefault(name, value)
    words.setdefault("out", "outbound")
    return words


@functools.cache
def _outcome_words() -> dict[str, str]:
    words = _labels(CallOutcome.choices)
    for name, value in (
        ("answered", "connected"),
        ("voicemail", "left_voicemail"),
        ("left voicemail", "left_voicemail"),
        ("no response", "no_answer"),
    ):
        words.setdefault(name, value)
    return words


_DONE_WORDS = {
    **dict.fromkeys(("done", "completed", "complete", "closed", "held", "finished"), True),
    **dict.fromkeys(
        ("not started", "open", "pending", "in progress", "deferred", "scheduled", "planned"),
        False,
    ),
}


def _choice(words: Callable[[], dict[str, str]], template: StrOrPromise) -> Normaliser:
    def read(value: Any) -> n.Normalised[str]:
        text = n._text(value)
        if not text:
            return None, None
        found = words().get(word_key(text))
        if found is None:
            return None, Problem.make("invalid_choice", template, value=text[:60])
        return found, None

    return read


NOT_A_CHOICE = _("“%(value)s” is not a value this column accepts.")


def _done(value: Any) -> n.Normalised[bool]:
    flag, problem = n.normalise_bool(value)
    if problem is None:
        return flag, None
    found = _DONE_WORDS.get(word_key(n._text(value)))
    if found is None:
        return None, Problem.make("invalid_choice", NOT_A_CHOICE, value=n._text(value)[:60])
    return found, None


_CURRENCY_SIGNS = {"₹": "INR", "rs": "INR", "rs.": "INR", "रु": "INR", "€": "EUR", "£": "GBP"}


def _currency(value: Any) -> n.Normalised[str]:
    """A currency code (the service checks it is one); ₹, Rs, €, £ read as their codes."""
    text = n._text(value)
    if not text:
        return None, None
    return _CURRENCY_SIGNS.get(text.casefold(), text.upper()[:10]), None


def _percent(value: Any) -> n.Normalised[Decimal]:
    text = n._text(value).rstrip("%").strip() if isinstance(value, str) else value
    return n.normalise_decimal(text)


def _text_of(limit: int) -> Normaliser:
    return lambda value: n.normalise_text(value, max_length=limit)


def _name_of(limit: int) -> Normaliser:
    return lambda value: n.normalise_name(value, max_length=limit)


_CLOCK = (
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?)?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
)
_MOMENT_RE = re.compile(
    r"^(?P<date>.*?\d)(?:[,\s]*T\s*|[,\s]+)"
    + _CLOCK
    + r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_TIME_RE = re.compile(r"^" + _CLOCK + r"$", re.IGNORECASE)
_HAS_CLOCK_RE = re.compile(r":|\d\s*[ap]\.?\s?m\b", re.IGNORECASE)
BAD_MOMENT = _(
    "“%(value)s” is not a date and time we can read; use a form such as 2026-03-08 14:30."
)
BAD_TIME = _("“%(value)s” is not a time we can read; use a form such as 14:30.")
BAD_DURATION = _("“%(value)s” is not a duration we can read; use minutes or a form such as 1:30.")


def _clock(match: re.Match[str]) -> dt.time | None:
    """The time of a ``_CLOCK`` match: "9:00", "09:00:30", "9 pm", "12:15 AM"."""
    if match["m"] is None and match["ampm"] is None:
        return None  # a bare number is not a time
    hour, minute, second = int(match["h"]), int(match["m"] or 0), int(match["s"] or 0)
    ampm = (match["ampm"] or "").casefold().replace(".", "").replace(" ", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def _offset(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def normalise_moment(value: Any, *, day_first: bool = True) -> n.Normalised[dt.datetime | dt.date]:
    """A date and time from a cell: "2026-03-08 09:00", "08/03/2026 9:00 AM" (``day_first``
    picks the reading of the date as for dates), ISO with an offset or "Z", an XLSX date-time
    or an Excel serial with a fraction. A datetime comes back naive unless the cell gave an
    offset (the importer reads a naive one in the user's zone); a cell with only a date
    gives a ``date``."""
    if isinstance(value, dt.datetime | dt.date):
        return value, None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        day = n._excel_serial(float(value))
        if day is None:
            return None, Problem.make("invalid_datetime", BAD_MOMENT, value=str(value)[:40])
        seconds = round((float(value) - int(float(value))) * 86400)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds), None
    text = n._text(value)
    if not text:
        return None, None
    bad = Problem.make("invalid_datetime", BAD_MOMENT, value=text[:40])
    match = _MOMENT_RE.match(text)
    if match is not None and (match["m"] is not None or match["ampm"] is not None):
        day, problem = n.normalise_date(match["date"].strip(), day_first=day_first)
        clock = _clock(match)
        zone = _offset(match["zone"])
        if day is None or problem is not None or clock is None:
            return None, bad
        if match["zone"] and zone is None:
            return None, bad
        return dt.datetime.combine(day, clock, tzinfo=zone), None
    if _HAS_CLOCK_RE.search(text):
        return None, bad  # a time is there, but not one we can read
    day, problem = n.normalise_date(text, day_first=day_first)
    if day is None or problem is not None:
        return None, bad
    return day, None


def normalise_time(value: Any) -> n.Normalised[dt.time]:
    """A time of day: "14:30", "2:30 PM", "9 am", an XLSX time or a fraction of a day."""
    if isinstance(value, dt.datetime):
        return value.time(), None
    if isinstance(value, dt.time):
        return value, None
    if isinstance(value, float) and 0 <= value < 1:
        seconds = round(value * 86400) % 86400
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60), None
    text = n._text(value)
    if not text:
        return None, None
    match = _TIME_RE.match(text)
    clock = _clock(match) if match is not None else None
    if clock is None:
        return None, Problem.make("invalid_time", BAD_TIME, value=text[:40])
    return clock, None


_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
}
_PART_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


def normalise_duration(value: Any) -> n.Normalised[int]:
    """A duration in seconds: "1:30" (hours and minutes), "1:30:15", a plain number of
    minutes ("45"), "90 min", "1h 30m", an XLSX time or time span."""
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds()), None
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second, None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if value < 0:
            return None, Problem.make("invalid_duration", BAD_DURATION, value=str(value)[:40])
        return round(float(value) * 60), None
    text = n._text(value).casefold()
    if not text:
        return None, None
    bad = Problem.make("invalid_duration", BAD_DURATION, value=text[:40])
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return round(float(text) * 60), None
    if re.fullmatch(r"\d{1,3}:\d{2}(:\d{2})?", text):
        parts = [int(p) for p in text.split(":")]
        if any(p > 59 for p in parts[1:]):
            return None, bad
        hours, minutes, seconds = (parts + [0])[:3]
        return hours * 3600 + minutes * 60 + seconds, None
    total, end = 0.0, 0
    for match in _PART_RE.finditer(text):
        if text[end : match.start()].strip() or match[2] not in _UNITS:
            return None, bad
        total += float(match[1]) * _UNITS[match[2]]
        end = match.end()
    if end == 0 or text[end:].strip():
        return None, bad
    return round(total), None


def record_readers(plan: Plan) -> tuple[dict[str, Normaliser], frozenset[str]]:
    """The cell readers of a deal, order or activity file (``rows.RowReader`` calls this)
    and the targets that name other records."""
    day_first = plan.day_first

    def date(value: Any) -> n.Normalised[dt.date]:
        return n.normalise_date(value, day_first=day_first)

    def moment(value: Any) -> n.Normalised[dt.datetime | dt.date]:
        return normalise_moment(value, day_first=day_first)

    single: dict[str, Normaliser]
    if plan.object_type == ObjectType.DEAL:
        single = {
            "name": _name_of(200),
            "status": _choice(
                deal_status_words, _("“%(value)s” is not a deal status; use open, won or lost.")
            ),
            "amount": n.normalise_decimal,
            "currency": _currency,
            "expected_close_on": date,
            "probability": _percent,
            "source": _text_of(60),
            "next_step": _text_of(200),
            "lost_reason": _text_of(2000),
        }
    elif plan.object_type == ObjectType.ORDER:
        single = {
            "external_id": _name_of(100),
            "ordered_on": date,
            "amount": n.normalise_decimal,
            "currency": _currency,
            "status": _choice(_order_status_words, NOT_A_CHOICE),
            "description": _text_of(300),
        }
    else:
        single = {
            "kind": _choice(
                _kind_words,
                _("“%(value)s” is not a kind of activity; use task, call, meeting, email or note."),
            ),
            "subject": _name_of(300),
            "body": _text_of(20000),
            "when": moment,
            "time": normalise_time,
            "ends_at": moment,
            "duration": normalise_duration,
            "done": _done,
            "priority": _choice(_priority_words, NOT_A_CHOICE),
            "direction": _choice(_direction_words, NOT_A_CHOICE),
            "outcome": _choice(_outcome_words, NOT_A_CHOICE),
            "location": _text_of(300),
            "time_zone": _text_of(64),
        }
    return single, RECORD_REFS
