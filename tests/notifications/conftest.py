"""Signed-in clients and a real SMTP server for the notifications tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from sambandh.core.models import User
from tests.smtp import Inbox, smtp

__all__ = ["Inbox", "smtp"]


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """``client_for(owner)``: a browser session signed in as that persona."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
