"""Helpers for API tests: a token per persona and a JSON client that sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sambandh.core.models import User
from sambandh.core.services import api_token_create

BASE = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(BASE + path, **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.call("get", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("post", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("patch", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.call("delete", path, **headers)


def client_for(user: User) -> ApiClient:
    _token, raw = api_token_create(actor=user, name=f"{user.username} test token")
    return ApiClient(raw)


@pytest.fixture
def as_admin(admin: User) -> ApiClient:
    return client_for(admin)


@pytest.fixture
def as_owner(owner: User) -> ApiClient:
    return client_for(owner)


@pytest.fixture
def as_outsider(outsider: User) -> ApiClient:
    return client_for(outsider)
