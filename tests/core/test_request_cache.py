from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.core.services import api_token_create, custom_field_create
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _count(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def fields(admin):
    for key, sensitive in (("tier", False), ("pan", True)):
        custom_field_create(
            actor=admin,
            data={
                "object_type": "contact",
                "key": key,
                "label_en": key,
                "field_type": "text",
                "is_sensitive": sensitive,
            },
        )


def test_list_api_and_page_query_counts_do_not_grow_with_rows(client, owner, fields):
    _token, raw = api_token_create(actor=owner, name="t")
    auth = {"Authorization": f"Bearer {raw}"}
    for i in range(3):
        make_contact(owner, first_name=f"A{i}", custom={"tier": "gold"})
    client.force_login(owner)
    # Warm up: the first call records the token's last use (at most once a minute).
    _count(client, "/api/v1/contacts?limit=50", **auth)
    small_api = _count(client, "/api/v1/contacts?limit=50", **auth)
    small_page = _count(client, "/contacts/")
    for i in range(10):
        make_contact(owner, first_name=f"B{i}", custom={"tier": "silver"})
    assert _count(client, "/api/v1/contacts?limit=50", **auth) == small_api
    assert _count(client, "/contacts/") == small_page


def test_a_definition_created_in_a_request_is_seen_by_the_same_request(admin):
    from sambandh.core.context import request_cache_var
    from sambandh.core.custom_fields import definitions

    token = request_cache_var.set({})
    try:
        assert definitions("contact") == []
        custom_field_create(
            actor=admin,
            data={"object_type": "contact", "key": "late", "label_en": "L", "field_type": "text"},
        )
        assert [d.key for d in definitions("contact")] == ["late"]
    finally:
        request_cache_var.reset(token)
