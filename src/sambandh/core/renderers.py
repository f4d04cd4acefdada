"""The API's JSON renderer: orjson.

Rendering a page of 50 contacts with the standard library's encoder costs more than reading it
from SQLite; orjson writes it in a fraction of that. Times are RFC 3339 in UTC with their
microseconds (``2026-11-24T07:09:29.123456Z``; a time in another zone keeps its offset): what
is stored, to the microsecond, so a client can use ``updated_at`` as an exact watermark. Dates
are ``YYYY-MM-DD``. Anything orjson cannot write (a lone surrogate, an integer beyond 64 bits)
falls back to ninja's renderer.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

# Decimal, UUID, lazy translations, pydantic models...: as ninja's encoder writes them.
_DEFAULT = NinjaJSONEncoder().default
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(data: Any) -> bytes:
    """``data`` as JSON bytes, as the API writes it."""
    try:
        return orjson.dumps(data, default=_DEFAULT, option=_OPTIONS)
    except orjson.JSONEncodeError:
        text: str = JSONRenderer().render(None, data, response_status=200)  # type: ignore[arg-type]
        return text.encode()


class FastJSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return dumps(data)
