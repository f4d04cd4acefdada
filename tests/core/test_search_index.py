"""The search tables' indexes: PostgreSQL gives the types other than contacts their own."""

from __future__ import annotations

import pytest
from django.db import connection

from sambandh.core.search import TYPE_CODES

pytestmark = pytest.mark.django_db


@pytest.mark.postgres_only
def test_types_other_than_contacts_have_their_own_trigram_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'core_search_document_trgm_minor'"
        )
        row = cursor.fetchone()
    assert row is not None
    assert "gin_trgm_ops" in row[0]
    assert f"object_type <> {TYPE_CODES['contact']}" in row[0]
