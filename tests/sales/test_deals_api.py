"""Deals and pipelines over the API: CRUD, move, history, contacts, line items, filters, errors."""

from __future__ import annotations

from typing import Any

import pytest

from sambandh.core.models import User
from sambandh.sales.models import Deal, Pipeline, Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage
from tests.api.conftest import ApiClient, client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def stage(label: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, label_en=label)


@pytest.fixture
def api(owner: User) -> ApiClient:
    return client_for(owner)


def test_pipelines_list_their_stages_in_order(api: ApiClient) -> None:
    response = api.get("/pipelines")
    assert response.status_code == 200
    [sales] = response.json()
    assert sales["label"] == "Sales"
    assert [s["label_en"] for s in sales["stages"]] == [
        "Qualification", "Needs analysis", "Proposal", "Negotiation", "Won", "Lost",
    ]  # fmt: skip
    assert sales["stages"][4]["is_won"] is True
    one = api.get(f"/pipelines/{sales['id']}")
    assert one.status_code == 200
    assert one.json()["stages"][0]["probability"] == 10
    assert api.get("/pipelines/999999").status_code == 404


def test_create_read_patch_delete(api: ApiClient, owner: User) -> None:
    account = make_account(owner)
    contact = make_contact(owner)
    response = api.post(
        "/deals",
        {
            "name": "ERP roll-out",
            "amount": "250000.50",
            "account_id": account.pk,
            "expected_close_on": "2026-12-31",
            "contacts": [{"contact_id": contact.pk, "role": "champion"}],
            "line_items": [{"description": "Licences", "quantity": "5", "unit_price": "50000.10"}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["amount"], body["currency"], body["stage"]) == (
        "ERP roll-out", "250000.50", "INR", "Qualification",
    )  # fmt: skip
    assert body["is_open"] is True
    assert body["contacts"] == [
        {"contact_id": contact.pk, "name": str(contact), "role": "champion"}
    ]
    assert body["line_items"][0]["unit_price"] == "50000.10"
    pk = body["id"]
    patched = api.patch(f"/deals/{pk}", {"next_step": "Demo", "version": 1})
    assert patched.status_code == 200
    assert (patched.json()["next_step"], patched.json()["version"]) == ("Demo", 2)
    stale = api.patch(f"/deals/{pk}", {"next_step": "Call", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert api.get(f"/deals/{pk}").json()["next_step"] == "Demo"
    assert api.delete(f"/deals/{pk}").status_code == 204
    assert api.get(f"/deals/{pk}").status_code == 404


def test_bad_input_is_a_400_with_fields(api: ApiClient) -> None:
    response = api.post("/deals", {"name": "X", "amount": "-1", "currency": "RUPEES"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"amount", "currency"}
    assert Deal.objects.count() == 0


def test_move_and_stage_history(api: ApiClient, owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    lost = api.post(f"/deals/{deal.pk}/move", {"stage_id": stage("Lost").pk, "version": 1})
    assert lost.status_code == 400
    assert lost.json()["fields"] == {"lost_reason": ["Say why the deal was lost."]}
    moved = api.post(f"/deals/{deal.pk}/move", {"stage_id": stage("Proposal").pk, "version": 1})
    assert moved.status_code == 200
    assert (moved.json()["stage"], moved.json()["probability"]) == ("Proposal", 50)
    history = api.get(f"/deals/{deal.pk}/stage-history")
    assert history.status_code == 200
    spans = history.json()
    assert [(s["stage"], s["is_current"]) for s in spans] == [
        ("Qualification", False),
        ("Proposal", True),
    ]
    assert spans[0]["left_at"] is not None
    assert spans[0]["seconds"] >= 0


def test_contacts_and_line_items_endpoints(api: ApiClient, owner: User) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    contact = make_contact(owner)
    response = api.post(
        f"/deals/{deal.pk}/contacts",
        {"contacts": [{"contact_id": contact.pk, "role": "decision_maker"}], "version": 1},
    )
    assert response.status_code == 200
    assert api.get(f"/deals/{deal.pk}/contacts").json() == [
        {"contact_id": contact.pk, "name": str(contact), "role": "decision_maker"}
    ]
    response = api.post(
        f"/deals/{deal.pk}/line-items",
        {"items": [{"description": "Setup", "unit_price": "999"}], "version": 2},
    )
    assert response.status_code == 200
    items = api.get(f"/deals/{deal.pk}/line-items").json()
    assert [(i["description"], i["quantity"], i["unit_price"]) for i in items] == [
        ("Setup", "1.00", "999.00")
    ]
    bad = api.post(f"/deals/{deal.pk}/line-items", {"items": [{"unit_price": "-3"}], "version": 3})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"line_items.0.unit_price", "line_items.0.description"}


def test_list_filters_and_keyset_pages(api: ApiClient, owner: User) -> None:
    account = make_account(owner)
    contact = make_contact(owner)
    made: list[Deal] = []
    for n in range(5):
        made.append(
            deal_create(
                actor=owner,
                data={
                    "name": f"Deal {n}",
                    "expected_close_on": f"2026-0{n + 1}-15",
                    "account_id": account.pk if n % 2 else None,
                },
            )
        )
    deal_move_stage(actor=owner, deal=made[0], stage=stage("Won"), version=1)
    api.post(
        f"/deals/{made[3].pk}/contacts",
        {"contacts": [{"contact_id": contact.pk}], "version": 1},
    )

    def names(query: str) -> list[str]:
        response = api.get(f"/deals?{query}")
        assert response.status_code == 200, response.json()
        return [d["name"] for d in response.json()["items"]]

    assert names("sort=name&status=won") == ["Deal 0"]
    assert names("sort=name&status=open") == ["Deal 1", "Deal 2", "Deal 3", "Deal 4"]
    assert names(f"sort=name&account_id={account.pk}") == ["Deal 1", "Deal 3"]
    assert names(f"sort=name&contact_id={contact.pk}") == ["Deal 3"]
    assert names("sort=name&close_month=2026-03") == ["Deal 2"]
    assert names("sort=name&expected_close_on__gte=2026-04-01") == ["Deal 3", "Deal 4"]
    assert names("sort=name&q=deal 4") == ["Deal 4"]
    assert names(f"sort=name&stage_id={stage('Won').pk}") == ["Deal 0"]
    first = api.get("/deals?sort=name&limit=2").json()
    assert [d["name"] for d in first["items"]] == ["Deal 0", "Deal 1"]
    second = api.get(f"/deals?sort=name&limit=2&cursor={first['next_cursor']}").json()
    assert [d["name"] for d in second["items"]] == ["Deal 2", "Deal 3"]
    for query in ("nope=1", "status=maybe", "close_month=2026-13", "sort=amount", "limit=x"):
        response = api.get(f"/deals?{query}")
        assert response.status_code == 400, query


def test_outsider_sees_nothing_and_reader_cannot_write(
    owner: User, outsider: User, reader: User
) -> None:
    deal = deal_create(actor=owner, data={"name": "D"})
    outside = client_for(outsider)
    assert outside.get(f"/deals/{deal.pk}").status_code == 404
    assert outside.get("/deals").json()["items"] == []
    assert (
        outside.post(
            f"/deals/{deal.pk}/move", {"stage_id": stage("Won").pk, "version": 1}
        ).status_code
        == 404
    )
    read = client_for(reader)
    assert read.get(f"/deals/{deal.pk}").status_code == 200
    response = read.patch(f"/deals/{deal.pk}", {"name": "Hacked", "version": 1})
    assert response.status_code == 403
    assert read.post("/deals", {"name": "New"}).status_code == 403
    deal.refresh_from_db()
    assert (deal.name, deal.version) == ("D", 1)


def test_list_query_count_does_not_grow(
    api: ApiClient, owner: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        deal_create(actor=owner, data={"name": f"D{n}"})
    with django_assert_max_num_queries(12) as small:
        api.get("/deals")
    for n in range(20):
        deal_create(actor=owner, data={"name": f"E{n}"})
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get("/deals").json()["items"]) == 23


def test_other_pipeline_stage_via_api_is_400(api: ApiClient, owner: User) -> None:
    other = Pipeline.objects.create(label_en="Other")
    foreign = Stage.objects.create(pipeline=other, label_en="X")
    deal = deal_create(actor=owner, data={"name": "D"})
    response = api.post(f"/deals/{deal.pk}/move", {"stage_id": foreign.pk, "version": 1})
    assert response.status_code == 400
    assert response.json()["fields"] == {"stage_id": ["Choose a stage of this pipeline."]}
