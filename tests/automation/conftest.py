from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sambandh.automation.models import WebhookEndpoint
from sambandh.automation.services import endpoint_create
from sambandh.core.models import User
from tests.automation.receiver import Receiver, running_receiver
from tests.smtp import Inbox, smtp

__all__ = ["Inbox", "smtp"]


@pytest.fixture(autouse=True)
def _delivery_settings(settings: Any) -> None:
    # One sender thread: the test's own connection sees its own uncommitted rows.
    settings.SAMBANDH_WEBHOOK_SENDERS = 1
    settings.SAMBANDH_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.SAMBANDH_WEBHOOK_READ_TIMEOUT = 2.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


@pytest.fixture
def endpoint(admin: User, receiver: Receiver) -> WebhookEndpoint:
    return endpoint_create(
        actor=admin, data={"url": receiver.url, "event_types": ["contact.*", "deal.won"]}
    )
