"""Quotes over the API: from a deal, edited, sent, revised, and downloaded as a PDF."""

from __future__ import annotations

import pytest

from sambandh.core.models import User
from sambandh.sales.models import Quote
from tests.api.conftest import client_for
from tests.sales.catalog_setup import make_deal

pytestmark = pytest.mark.django_db


def test_a_quote_goes_from_deal_to_pdf(owner: User) -> None:
    deal = make_deal(
        owner, line_items=[{"description": "Licences", "quantity": "4", "unit_price": "250"}]
    )
    api = client_for(owner)
    created = api.post(f"/deals/{deal.pk}/quotes", {"discount_percent": "10"})
    assert created.status_code == 201, created.content
    quote = created.json()
    assert (quote["subtotal"], quote["discount_total"], quote["total"]) == (
        "1000.00",
        "100.00",
        "900.00",
    )
    lines = api.post(
        f"/quotes/{quote['id']}/lines",
        {
            "lines": [
                {"description": "Licences", "quantity": "5", "unit_price": "250", "tax_rate": "18"}
            ],
            "version": quote["version"],
        },
    )
    assert lines.status_code == 200
    assert lines.json()["total"] == "1327.50"  # 1250 - 125 + 18% of 1125 (202.50)
    sent = api.post(f"/quotes/{quote['id']}/send", {"version": lines.json()["version"]})
    assert sent.json()["status"] == "sent"
    revised = api.post(f"/quotes/{quote['id']}/revise", {})
    assert revised.status_code == 201
    assert (revised.json()["number"], revised.json()["revision"]) == (quote["number"], 2)
    assert [q["revision"] for q in api.get(f"/deals/{deal.pk}/quotes").json()] == [2, 1]
    pdf = api.get(f"/quotes/{quote['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="{quote["number"]}-r1.pdf"' in pdf["Content-Disposition"]


def test_illegal_transition_is_400_and_stale_version_409(owner: User) -> None:
    deal = make_deal(owner, amount="100")
    api = client_for(owner)
    quote = api.post(f"/deals/{deal.pk}/quotes", {}).json()
    accept = api.post(f"/quotes/{quote['id']}/accept", {})
    assert accept.status_code == 400
    assert accept.json()["code"] == "illegal_transition"
    api.patch(f"/quotes/{quote['id']}", {"terms": "Net 30", "version": quote["version"]})
    stale = api.patch(f"/quotes/{quote['id']}", {"terms": "Net 60", "version": quote["version"]})
    assert stale.status_code == 409
    assert Quote.objects.get().terms == "Net 30"


def test_outsider_gets_404_and_reader_403(owner: User, outsider: User, reader: User) -> None:
    deal = make_deal(owner, amount="100")
    quote = client_for(owner).post(f"/deals/{deal.pk}/quotes", {}).json()
    assert client_for(outsider).get(f"/quotes/{quote['id']}").status_code == 404
    assert client_for(outsider).get(f"/quotes/{quote['id']}/pdf").status_code == 404
    assert client_for(outsider).post(f"/deals/{deal.pk}/quotes", {}).status_code == 404
    assert client_for(reader).post(f"/quotes/{quote['id']}/send", {}).status_code == 403
    assert client_for(reader).get(f"/quotes/{quote['id']}/pdf").status_code == 200
    assert Quote.objects.get().status == "draft"
