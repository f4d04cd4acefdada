"""Reading export answers in tests: the body of a (streaming) response, its CSV rows, and how
many export audit entries exist."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from sambandh.core.models import AuditEntry, User


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def csv_rows(response: Any) -> list[dict[str, str]]:
    """The rows of a 200 CSV answer, which starts with a BOM (Excel reads Devanagari right
    only with it)."""
    assert response.status_code == 200, body(response)[:300]
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def export_count() -> int:
    return AuditEntry.objects.filter(action="export").count()


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
