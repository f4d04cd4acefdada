"""Signed-in test clients for the HTML pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from sambandh.core.models import User


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """``client_for(owner)``: a browser session signed in as that persona."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


HTMX = {"HTTP_HX_REQUEST": "true"}
