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


def test_reindexing_in_any_order_keeps_each_record_with_its_own_document() -> None:
    """Documents are written in key order (FTS5 flushes on a falling id); each record must
    still get its own body, and an old body must no longer match."""
    from sambandh.core.search import matching_ids, search_index_bulk, search_index_new

    search_index_new("contact", [(pk, f"oldname{pk}") for pk in (3, 7, 11, 12)])
    search_index_bulk("contact", [(pk, f"वर्मा newname{pk}") for pk in (12, 3, 11, 7)])
    for pk in (3, 7, 11, 12):
        assert matching_ids("contact", f"newname{pk}", limit=5) == [pk]
        assert matching_ids("contact", f"oldname{pk}", limit=5) == []
    assert sorted(matching_ids("contact", "वर्मा", limit=10) or []) == [3, 7, 11, 12]
    # A record not indexed before gets its document too.
    search_index_bulk("contact", [(20, "firsttime"), (5, "newname5b")])
    assert matching_ids("contact", "firsttime", limit=5) == [20]
    assert matching_ids("contact", "newname5b", limit=5) == [5]
