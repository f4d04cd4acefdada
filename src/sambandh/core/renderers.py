"""The API's JSON renderer: orjson, with the JSON that ninja's own renderer would write.

Rendering a page of 50 contacts with the standard library's encoder costs more than reading it
from SQLite; orjson writes it in a fraction of that. Datetimes and dates go to ``_default`` so
they keep the format of Django's encoder (milliseconds, ``Z`` for UTC); anything orjson cannot
write (a lone surrogate, an integer beyond 64 bits) falls back to ninja's renderer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

_ENCODER = NinjaJSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    # As DjangoJSONEncoder.default, with the two types of every record first.
    if value.__class__ is dt.datetime:
        text = value.isoformat()
        if value.microsecond:
            text = text[:23] + text[26:]
        if text.endswith("+00:00"):
            text = text[:-6] + "Z"
        return text
    if value.__class__ is dt.date:
        return value.isoformat()
    return _ENCODER.default(value)


def dumps(data: Any) -> bytes:
    """``data`` as JSON bytes, as the API writes it."""
    try:
        return orjson.dumps(data, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        text: str = JSONRenderer().render(None, data, response_status=200)  # type: ignore[arg-type]
        return text.encode()


class FastJSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return dumps(data)
