"""Per-request context that services read without threading it through every call."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("sambandh_request_id", default="")
# Values that stay the same for one request (custom-field definitions): read once, not per row.
# None outside a request, where nothing is cached.
request_cache_var: ContextVar[dict[str, Any] | None] = ContextVar(
    "sambandh_request_cache", default=None
)


def current_request_id() -> str:
    return request_id_var.get()


def request_cache() -> dict[str, Any] | None:
    return request_cache_var.get()
