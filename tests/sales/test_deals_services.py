"""Deal services: create, update, move, delete, contacts with roles, line items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from sambandh.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, OutboxEvent
from sambandh.sales.models import Deal, DealContact, DealLineItem, DealStageChange, Pipeline, Stage
from sambandh.sales.services.deals import (
    deal_create,
    deal_delete,
    deal_line_items_set,
    deal_move_stage,
    deal_set_contacts,
    deal_update,
)
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def stage(label: str, pipeline: Pipeline | None = None) -> Stage:
    pipeline = pipeline or Pipeline.objects.get(is_default=True)
    return Stage.objects.get(pipeline=pipeline, label_en=label)


def other_pipeline() -> Pipeline:
    p = Pipeline.objects.create(label_en="Renewals", position=1)
    Stage.objects.create(pipeline=p, label_en="Open", position=0, probability=40)
    Stage.objects.create(pipeline=p, label_en="Renewed", position=1, probability=100, is_won=True)
    return p


def events(deal: Deal) -> list[str]:
    return list(
        OutboxEvent.objects.filter(object_type="deal", object_id=str(deal.pk))
        .order_by("id")
        .values_list("name", flat=True)
    )


def test_create_uses_the_default_pipeline_first_stage_and_base_currency(owner):
    deal = deal_create(actor=owner, data={"name": "Tally licences", "amount": "125000"})
    deal.refresh_from_db()
    assert deal.pipeline.is_default
    assert deal.stage.label_en == "Qualification"
    assert deal.probability == 10
    assert deal.is_probability_manual is False
    assert deal.currency == "INR"
    assert deal.amount == Decimal("125000.00")
    assert deal.owner_id == owner.pk
    assert deal.team_id == owner.teams.get().pk
    assert deal.closed_on is None
    change = DealStageChange.objects.get(deal=deal)
    assert (change.from_stage_id, change.to_stage_id) == (None, deal.stage_id)
    assert change.seconds_in_from_stage is None
    entry = AuditEntry.objects.get(object_type="deal", object_id=str(deal.pk))
    assert entry.action == "create"
    assert entry.changes["name"] == [None, "Tally licences"]
    assert events(deal) == ["deal.created"]


def test_create_with_contacts_roles_and_line_items(owner):
    account = make_account(owner)
    buyer = make_contact(owner, account_id=account.pk)
    deal = deal_create(
        actor=owner,
        data={
            "name": "Laptops",
            "account_id": account.pk,
            "contacts": [{"contact_id": buyer.pk, "role": "economic_buyer"}],
            "line_items": [
                {"description": "Laptop", "quantity": "3", "unit_price": "55000", "tax_rate": "18"}
            ],
        },
    )
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", "role")) == [
        (buyer.pk, "economic_buyer")
    ]
    line = DealLineItem.objects.get(deal=deal)
    assert (line.quantity, line.unit_price, line.tax_rate) == (
        Decimal("3.00"),
        Decimal("55000.00"),
        Decimal("18.00"),
    )


def test_manual_probability_is_kept_across_moves_until_reset(owner):
    deal = deal_create(actor=owner, data={"name": "D", "probability": 33})
    assert (deal.probability, deal.is_probability_manual) == (33, True)
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Proposal"), version=1)
    assert deal.probability == 33
    deal = deal_update(
        actor=owner, deal=deal, data={"is_probability_manual": False}, version=deal.version
    )
    assert (deal.probability, deal.is_probability_manual) == (50, False)
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Negotiation"), version=deal.version)
    assert deal.probability == 75


def test_bad_input_reports_every_field_and_writes_nothing(owner):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        deal_create(
            actor=owner,
            data={
                "name": "",
                "amount": "-5",
                "currency": "XYZ",
                "probability": 101,
                "expected_close_on": "31/12/2026",
            },
        )
    assert set(info.value.fields) == {
        "name",
        "amount",
        "currency",
        "probability",
        "expected_close_on",
    }
    assert info.value.fields["currency"] == ["Enter a valid ISO 4217 currency code such as INR."]
    assert Deal.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_unknown_field_is_rejected(owner):
    with pytest.raises(ValidationError) as info:
        deal_create(actor=owner, data={"name": "D", "is_won": True})
    assert info.value.fields == {"is_won": ["Unknown field."]}


def test_stage_of_another_pipeline_is_refused(owner):
    renewals = other_pipeline()
    with pytest.raises(ValidationError) as info:
        deal_create(actor=owner, data={"name": "D", "stage_id": stage("Open", renewals).pk})
    assert info.value.fields == {"stage_id": ["Choose a stage of this pipeline."]}
    deal = deal_create(actor=owner, data={"name": "D"})
    with pytest.raises(ValidationError):
        deal_move_stage(actor=owner, deal=deal, stage=stage("Open", renewals), version=1)
    deal.refresh_from_db()
    assert (deal.stage.label_en, deal.version) == ("Qualification", 1)


def test_changing_pipeline_needs_a_stage_of_it(owner):
    renewals = other_pipeline()
    deal = deal_create(actor=owner, data={"name": "D"})
    with pytest.raises(ValidationError) as info:
        deal_update(actor=owner, deal=deal, data={"pipeline_id": renewals.pk}, version=1)
    assert info.value.fields == {"stage_id": ["Choose a stage of this pipeline."]}
    deal = deal_update(
        actor=owner,
        deal=deal,
        data={"pipeline_id": renewals.pk, "stage_id": stage("Open", renewals).pk},
        version=1,
    )
    assert (deal.pipeline_id, deal.probability) == (renewals.pk, 40)


def test_move_records_history_with_seconds_and_emits_stage_changed(owner):
    deal = deal_create(actor=owner, data={"name": "D"})
    entered = timezone.now() - dt.timedelta(hours=3)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=entered)
    DealStageChange.objects.filter(deal=deal).update(changed_at=entered)
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Proposal"), version=1)
    assert deal.version == 2
    assert deal.stage.label_en == "Proposal"
    assert deal.probability == 50
    assert deal.stage_entered_at > entered
    last = DealStageChange.objects.filter(deal=deal).order_by("-id").first()
    assert last is not None
    assert last.from_stage_id == stage("Qualification").pk
    assert last.to_stage_id == stage("Proposal").pk
    assert 3 * 3600 <= (last.seconds_in_from_stage or 0) < 3 * 3600 + 60
    assert events(deal) == ["deal.created", "deal.updated", "deal.stage_changed"]
    payload = OutboxEvent.objects.get(name="deal.stage_changed").payload
    assert payload["from_stage_id"] == stage("Qualification").pk
    assert payload["to_stage_id"] == stage("Proposal").pk
    entry = AuditEntry.objects.filter(object_type="deal").order_by("-seq").first()
    assert entry is not None
    assert entry.changes["stage_id"] == [stage("Qualification").pk, stage("Proposal").pk]


def test_lost_needs_a_reason_and_nothing_changes_without_one(owner):
    deal = deal_create(actor=owner, data={"name": "D"})
    with pytest.raises(ValidationError) as info:
        deal_move_stage(actor=owner, deal=deal, stage=stage("Lost"), version=1)
    assert info.value.fields == {"lost_reason": ["Say why the deal was lost."]}
    with pytest.raises(ValidationError):
        deal_move_stage(actor=owner, deal=deal, stage=stage("Lost"), version=1, lost_reason="  ")
    deal.refresh_from_db()
    assert (deal.stage.label_en, deal.version, deal.closed_on) == ("Qualification", 1, None)
    assert DealStageChange.objects.filter(deal=deal).count() == 1
    deal = deal_move_stage(
        actor=owner, deal=deal, stage=stage("Lost"), version=1, lost_reason="Budget cut"
    )
    assert deal.lost_reason == "Budget cut"
    assert deal.closed_on == timezone.localdate()
    assert deal.probability == 0
    assert deal.forecast_category == "closed"
    assert events(deal)[-2:] == ["deal.stage_changed", "deal.lost"]


def test_reopening_clears_closed_on_and_lost_reason(owner):
    deal = deal_create(actor=owner, data={"name": "D"})
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Lost"), version=1, lost_reason="No")
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Proposal"), version=deal.version)
    assert (deal.closed_on, deal.lost_reason, deal.forecast_category) == (None, "", "pipeline")
    assert deal.probability == 50


def test_win_sets_closed_on_and_emits_won(owner):
    deal = deal_create(actor=owner, data={"name": "D", "amount": "1000"})
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Won"), version=1)
    assert deal.closed_on == timezone.localdate()
    assert deal.probability == 100
    assert events(deal)[-2:] == ["deal.stage_changed", "deal.won"]


def test_stale_version_is_a_conflict_and_changes_nothing(owner):
    deal = deal_create(actor=owner, data={"name": "D"})
    deal_update(actor=owner, deal=deal, data={"name": "D2"}, version=1)
    with pytest.raises(Conflict):
        deal_move_stage(actor=owner, deal=deal, stage=stage("Proposal"), version=1)
    with pytest.raises(Conflict):
        deal_update(actor=owner, deal=deal, data={"name": "D3"}, version=1)
    deal.refresh_from_db()
    assert (deal.name, deal.version, deal.stage.label_en) == ("D2", 2, "Qualification")
    assert DealStageChange.objects.filter(deal=deal).count() == 1


def test_outsider_gets_not_found_and_nothing_changes(owner, outsider):
    deal = deal_create(actor=owner, data={"name": "D"})
    with pytest.raises(NotFound):
        deal_move_stage(actor=outsider, deal=deal, stage=stage("Proposal"), version=1)
    with pytest.raises(NotFound):
        deal_update(actor=outsider, deal=deal, data={"name": "X"}, version=1)
    with pytest.raises(NotFound):
        deal_delete(actor=outsider, deal=deal)
    deal.refresh_from_db()
    assert (deal.name, deal.version) == ("D", 1)


def test_reader_and_teammate_are_refused_and_nothing_changes(owner, teammate, reader):
    deal = deal_create(actor=owner, data={"name": "D"})
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        deal_create(actor=reader, data={"name": "R"})
    with pytest.raises(PermissionDenied):
        deal_move_stage(actor=reader, deal=deal, stage=stage("Proposal"), version=1)
    # A teammate sees the team's deals but changes only their own.
    with pytest.raises(PermissionDenied):
        deal_move_stage(actor=teammate, deal=deal, stage=stage("Proposal"), version=1)
    with pytest.raises(PermissionDenied):
        deal_delete(actor=teammate, deal=deal)
    deal.refresh_from_db()
    assert (deal.stage.label_en, deal.version) == ("Qualification", 1)
    assert Deal.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_invisible_account_or_contact_is_not_found(owner, outsider):
    theirs = make_account(outsider)
    their_contact = make_contact(outsider)
    with pytest.raises(NotFound):
        deal_create(actor=owner, data={"name": "D", "account_id": theirs.pk})
    with pytest.raises(NotFound):
        deal_create(actor=owner, data={"name": "D", "contacts": [{"contact_id": their_contact.pk}]})
    assert Deal.objects.count() == 0
    deal = deal_create(actor=owner, data={"name": "D"})
    with pytest.raises(NotFound):
        deal_set_contacts(
            actor=owner, deal=deal, contacts=[{"contact_id": their_contact.pk}], version=1
        )
    assert DealContact.objects.count() == 0


def test_rep_may_not_give_a_deal_to_someone_else(owner, outsider):
    with pytest.raises(ValidationError) as info:
        deal_create(actor=owner, data={"name": "D", "owner_id": outsider.pk})
    assert "owner_id" in info.value.fields


def test_set_contacts_replaces_roles_bumps_version_and_audits(owner):
    a = make_contact(owner)
    b = make_contact(owner)
    deal = deal_create(actor=owner, data={"name": "D"})
    deal = deal_set_contacts(
        actor=owner,
        deal=deal,
        contacts=[{"contact_id": a.pk, "role": "champion"}, {"contact_id": b.pk, "role": "user"}],
        version=1,
    )
    assert deal.version == 2
    deal = deal_set_contacts(
        actor=owner, deal=deal, contacts=[{"contact_id": b.pk, "role": "decision_maker"}], version=2
    )
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", "role")) == [
        (b.pk, "decision_maker")
    ]
    entry = AuditEntry.objects.filter(object_type="deal").order_by("-seq").first()
    assert entry is not None
    assert entry.changes["contacts"] == [
        sorted([[a.pk, "champion"], [b.pk, "user"]]),
        [[b.pk, "decision_maker"]],
    ]
    with pytest.raises(ValidationError) as info:
        deal_set_contacts(
            actor=owner, deal=deal, contacts=[{"contact_id": a.pk, "role": "boss"}], version=3
        )
    assert info.value.fields == {"contacts": ["Choose one of the offered roles."]}


def test_line_items_are_validated_and_replaced(owner):
    deal = deal_create(actor=owner, data={"name": "D"})
    with pytest.raises(ValidationError) as info:
        deal_line_items_set(
            actor=owner,
            deal=deal,
            items=[
                {"description": "A", "quantity": "0", "unit_price": "10"},
                {"unit_price": "-1", "discount_percent": "150"},
                {"description": "C", "unit_price": "1", "product_id": 999999},
            ],
            version=1,
        )
    assert set(info.value.fields) == {
        "line_items.0.quantity",
        "line_items.1.unit_price",
        "line_items.1.discount_percent",
        "line_items.1.description",
        "line_items.2.product_id",
    }
    assert DealLineItem.objects.count() == 0
    deal = deal_line_items_set(
        actor=owner,
        deal=deal,
        items=[{"description": "Support", "quantity": "2", "unit_price": "500"}],
        version=1,
    )
    assert deal.version == 2
    assert [(li.description, li.quantity) for li in DealLineItem.objects.filter(deal=deal)] == [
        ("Support", Decimal("2.00"))
    ]


def test_delete_removes_the_deal_and_audits(owner):
    deal = deal_create(actor=owner, data={"name": "D"})
    pk = deal.pk
    deal_delete(actor=owner, deal=deal)
    assert not Deal.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(
        object_type="deal", object_id=str(pk), action="delete"
    ).exists()
    assert OutboxEvent.objects.filter(name="deal.deleted", object_id=str(pk)).exists()


def test_winning_creates_the_order_in_the_same_transaction_once(owner):
    from sambandh.sales.models import Order

    deal = deal_create(
        actor=owner,
        data={
            "name": "Order me",
            "amount": "1000",
            "line_items": [{"description": "Box", "quantity": "2", "unit_price": "500"}],
        },
    )
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Won"), version=1)
    order = Order.objects.get(deal=deal)
    assert order.currency == "INR"
    assert list(order.lines.values_list("description", flat=True)) == ["Box"]
    # Reopened and won again: still the one order.
    deal = deal_move_stage(actor=owner, deal=deal, stage=stage("Proposal"), version=deal.version)
    deal_move_stage(actor=owner, deal=deal, stage=stage("Won"), version=deal.version)
    assert Order.objects.filter(deal=deal).count() == 1


def test_a_deal_created_won_gets_its_order_and_won_event(owner):
    from sambandh.sales.models import Order

    deal = deal_create(actor=owner, data={"name": "Won already", "stage_id": stage("Won").pk})
    assert Order.objects.filter(deal=deal).count() == 1
    assert events(deal) == ["deal.created", "deal.won"]
