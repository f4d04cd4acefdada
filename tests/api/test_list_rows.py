"""The list API reads plain rows and renders them without ninja's validation: it must show
exactly what the validated detail endpoint shows, for every persona, in a fixed number of
queries; global search walks the index in batches and must find what a full scan finds."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.contacts import selectors, services
from sambandh.contacts.models import LifecycleStage
from sambandh.contacts.schemas import AccountOut, AccountPageOut, ContactOut, ContactPageOut
from sambandh.core.models import User
from sambandh.core.services import custom_field_create
from tests.api.conftest import ApiClient, client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(admin: User) -> None:
    for key, sensitive in (("tier", False), ("pan", True)):
        for object_type in ("contact", "account"):
            custom_field_create(
                actor=admin,
                data={
                    "object_type": object_type,
                    "key": key,
                    "label_en": key,
                    "field_type": "text",
                    "is_sensitive": sensitive,
                },
            )


@pytest.fixture
def records(admin: User, owner: User, fields: None) -> None:
    account = make_account(
        owner,
        name="Mehta Steel",
        domain="mehta.in",
        annual_revenue="1250000.5",
        annual_revenue_currency="INR",
        tags=["steel", "key"],
        custom={"tier": "gold"},
    )
    make_account(owner, name="Bare Co")
    stage = LifecycleStage.objects.order_by("position", "id").first()
    make_contact(
        owner,
        salutation="Ms",
        first_name="Asha",
        last_name="Rao",
        email="asha@example.com",
        other_emails=["a.rao@example.org"],
        phone="98765 43210",
        account_id=account.pk,
        birthday="1990-04-01",
        lifecycle_stage=stage.key if stage else None,
        tags=["vip", "alpha"],
        custom={"tier": "gold"},
    )
    make_contact(owner, first_name="", last_name="Solo")
    make_contact(admin, first_name="Kept", last_name="Apart", custom={"tier": "silver"})
    # A sensitive value, written by someone who may.
    for contact in selectors.contact_list(actor=admin).items:
        services.contact_update(
            actor=admin, contact=contact, data={"custom": {"pan": "ABCDE1234F"}}, version=None
        )


def _details(api: ApiClient, kind: str, ids: list[int]) -> list[dict[str, Any]]:
    bodies = []
    for pk in ids:
        response = api.get(f"/{kind}/{pk}")
        assert response.status_code == 200
        bodies.append(response.json())
    return bodies


@pytest.mark.parametrize("persona", ["admin", "owner", "outsider"])
def test_contact_list_items_are_the_detail_records(
    records: None, persona: str, request: pytest.FixtureRequest
) -> None:
    api = client_for(request.getfixturevalue(persona))
    response = api.get("/contacts?limit=200")
    assert response.status_code == 200
    body = response.json()
    ContactPageOut.model_validate(body)
    ids = [item["id"] for item in body["items"]]
    assert body["items"] == _details(api, "contacts", ids)
    # The same bytes as the schema would render: keys in the schema's order.
    assert all(list(item) == list(ContactOut.model_fields) for item in body["items"])


@pytest.mark.parametrize("persona", ["admin", "owner"])
def test_account_list_items_are_the_detail_records(
    records: None, persona: str, request: pytest.FixtureRequest
) -> None:
    api = client_for(request.getfixturevalue(persona))
    body = api.get("/accounts?limit=200").json()
    AccountPageOut.model_validate(body)
    ids = [item["id"] for item in body["items"]]
    assert ids
    assert body["items"] == _details(api, "accounts", ids)
    assert all(list(item) == list(AccountOut.model_fields) for item in body["items"])


def test_the_list_shows_sensitive_values_only_with_a_grant(
    records: None, admin: User, owner: User
) -> None:
    owner_items = client_for(owner).get("/contacts?limit=200").json()["items"]
    admin_items = client_for(admin).get("/contacts?limit=200").json()["items"]
    assert [i["custom"] for i in owner_items if i["last_name"] == "Rao"] == [{"tier": "gold"}]
    assert [i["custom"] for i in admin_items if i["last_name"] == "Rao"] == [
        {"tier": "gold", "pan": "ABCDE1234F"}
    ]


def test_the_list_shows_tags_sorted_and_the_stage_key(records: None, owner: User) -> None:
    items = client_for(owner).get("/contacts?limit=200").json()["items"]
    rao = next(i for i in items if i["last_name"] == "Rao")
    stage = LifecycleStage.objects.order_by("position", "id").first()
    assert rao["tags"] == ["alpha", "vip"]
    assert rao["lifecycle_stage"] == (stage.key if stage else None)
    assert rao["full_name"] == "Asha Rao"
    solo = next(i for i in items if i["last_name"] == "Solo")
    assert (solo["tags"], solo["full_name"]) == ([], "Solo")


def test_the_list_api_costs_three_queries(records: None, admin: User) -> None:
    api = client_for(admin)
    api.get("/contacts?limit=50")  # records the token's last use (once a minute)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/contacts?limit=50")
    assert response.status_code == 200
    # The token with its user and role, the custom-field definitions, the page with its tags.
    assert len(queries) == 3


def test_paging_the_rows_walks_every_contact_once(admin: User, owner: User) -> None:
    for i in range(7):
        make_contact(owner, first_name=f"P{i}", last_name="Same")
    api = client_for(admin)
    seen: list[int] = []
    cursor = ""
    while True:
        body = api.get(f"/contacts?limit=3&sort=-name{'&cursor=' + cursor if cursor else ''}")
        page = body.json()
        seen += [i["id"] for i in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == 7
    assert len(set(seen)) == 7


# ---------------------------------------------------------------- global search in batches


def test_search_finds_the_first_visible_matches_behind_many_hidden_ones(
    owner: User, outsider: User
) -> None:
    hidden = [make_contact(outsider, first_name="Kavya", last_name=f"Iyer{i}") for i in range(9)]
    mine = [make_contact(owner, first_name="Kavya", last_name=f"Rao{i}") for i in range(3)]
    hits = selectors.global_search(actor=owner, q="kavya", limit=2)
    assert [h.id for h in hits] == [mine[0].pk, mine[1].pk]
    hits = selectors.global_search(actor=owner, q="kavya", limit=20)
    assert [h.id for h in hits] == [c.pk for c in mine]
    assert hidden  # the outsider's contacts exist, and are not found


def test_search_past_the_batch_limit_joins_the_whole_match_set(
    owner: User, outsider: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "SEARCH_BATCH_MAX", 4)
    for i in range(12):
        make_contact(outsider, first_name="Kavya", last_name=f"Iyer{i}")
    mine = make_contact(owner, first_name="Kavya", last_name="Rao")
    assert [h.id for h in selectors.global_search(actor=owner, q="kavya", limit=1)] == [mine.pk]


def test_search_fills_up_with_companies_after_contacts(owner: User) -> None:
    contact = make_contact(owner, first_name="Tata", last_name="Sons")
    first = make_account(owner, name="Tata Motors")
    second = make_account(owner, name="Tata Steel")
    hits = selectors.global_search(actor=owner, q="tata", limit=2)
    assert [(h.object_type, h.id) for h in hits] == [("contact", contact.pk), ("account", first.pk)]
    hits = selectors.global_search(actor=owner, q="tata", limit=5)
    assert [(h.object_type, h.id) for h in hits] == [
        ("contact", contact.pk),
        ("account", first.pk),
        ("account", second.pk),
    ]


def test_search_with_every_word_and_short_words(owner: User) -> None:
    match = make_contact(owner, first_name="Priya", last_name="Verma", city="Lucknow")
    make_contact(owner, first_name="Priya", last_name="Sharma", city="Pune")
    assert [h.id for h in selectors.global_search(actor=owner, q="priya verma")] == [match.pk]
    assert [h.id for h in selectors.global_search(actor=owner, q="priya lu")] == [match.pk]
