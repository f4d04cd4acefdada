"""Rate limits on the API: a fixed window per token (or per signed-in user) in the cache.

The limit is ``SAMBANDH_API_RATE_LIMIT`` (``"600/minute"``; the period is second, minute,
hour or day, optionally with a count: ``"100/10s"``), or a token's own ``rate_limit``.
``"0"`` or ``"off"`` turns it off. Each window is one cache key, created by ``cache.add``
and counted by ``cache.incr``, both atomic in the local-memory cache and in Redis: requests
at once never both take the last slot. The local-memory cache (no ``REDIS_URL``) counts per
process; with Redis every web worker shares one count.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sambandh.core.errors import SambandhError

DEFAULT = "600/minute"
KEY_PREFIX = "sambandh:ratelimit"
_STATE_ATTR = "_sambandh_rate_limit"
_OFF = {"", "0", "off", "none"}
_RATE_RE = re.compile(
    r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hr|hour|d|day)s?\s*$", re.IGNORECASE
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# The limiter's clock (seconds since the epoch; windows must line up across processes, so
# wall-clock time). Tests replace it to move to the next window without sleeping.
clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


@dataclass(frozen=True)
class RateState:
    """One request's count in its window."""

    limit: int
    remaining: int
    reset: int  # whole seconds until the window ends
    allowed: bool


class RateLimited(SambandhError):
    status = 429
    code = "rate_limited"

    def __init__(self, state: RateState) -> None:
        self.state = state
        super().__init__()

    def default_message(self) -> str:
        seconds = self.state.reset
        return ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}


def parse_rate(text: str) -> Rate | None:
    """``"600/minute"`` as a Rate; None for no limit. Raises ValueError on anything else."""
    if text.strip().lower() in _OFF:
        return None
    match = _RATE_RE.match(text)
    if match is None:
        raise ValueError(text)
    count, multiple, unit = match.groups()
    limit = int(count)
    if limit == 0:
        return None
    period = (int(multiple) if multiple else 1) * _SECONDS[unit[0].lower()]
    if period == 0:
        raise ValueError(text)
    return Rate(limit=limit, period=period)


def validate_rate(text: str) -> None:
    """A model-field validator: a rate ``parse_rate`` reads, or empty."""
    try:
        parse_rate(text)
    except ValueError as exc:
        raise DjangoValidationError(
            _("Enter a rate like 600/minute (second, minute, hour or day).")
        ) from exc


def configured_rate(override: str = "") -> Rate | None:
    """The rate for a token with ``override`` (its own ``rate_limit``), else the setting
    ``SAMBANDH_API_RATE_LIMIT``, else that environment variable, else ``DEFAULT``."""
    text = (
        override.strip()
        or getattr(settings, "SAMBANDH_API_RATE_LIMIT", None)
        or os.environ.get("SAMBANDH_API_RATE_LIMIT")
        or DEFAULT
    )
    return parse_rate(str(text))


def hit(identity: str, rate: Rate) -> RateState:
    """Count one request of ``identity`` in the current window of ``rate``."""
    now = clock()
    window = int(now // rate.period)
    key = f"{KEY_PREFIX}:{identity}:{rate.period}:{window}"
    # One second past the window's end: a clock slightly behind another process's still finds it.
    timeout = rate.period + 1
    if cache.add(key, 1, timeout=timeout):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            # The key expired between add and incr: this request opens the window again.
            count = 1 if cache.add(key, 1, timeout=timeout) else cache.incr(key)
    reset = max(1, math.ceil((window + 1) * rate.period - now))
    return RateState(
        limit=rate.limit,
        remaining=max(0, rate.limit - count),
        reset=reset,
        allowed=count <= rate.limit,
    )


def enforce(request: HttpRequest, identity: str, override: str = "") -> None:
    """Count this request against ``identity``'s limit; raise RateLimited past it. The state
    stays on the request for ``add_headers``."""
    rate = configured_rate(override)
    if rate is None:
        return
    state = hit(identity, rate)
    setattr(request, _STATE_ATTR, state)
    if not state.allowed:
        raise RateLimited(state)


def add_headers(request: HttpRequest, response: HttpResponseBase) -> None:
    """``RateLimit-Limit``/``-Remaining``/``-Reset`` on a rate-limited request's answer, and
    ``Retry-After`` on a 429."""
    state: RateState | None = getattr(request, _STATE_ATTR, None)
    if state is None:
        return
    response["RateLimit-Limit"] = str(state.limit)
    response["RateLimit-Remaining"] = str(state.remaining)
    response["RateLimit-Reset"] = str(state.reset)
    if not state.allowed:
        response["Retry-After"] = str(state.reset)
