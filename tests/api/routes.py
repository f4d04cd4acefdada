"""Every (method, path) of the JSON API, read from the router's own OpenAPI schema."""

from __future__ import annotations

from sambandh.api import api

METHODS = ("get", "post", "put", "patch", "delete")


def api_operations() -> list[tuple[str, str]]:
    """``[("GET", "/api/v1/contacts"), ("PATCH", "/api/v1/contacts/{id}"), ...]`` in schema order."""
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    ]
