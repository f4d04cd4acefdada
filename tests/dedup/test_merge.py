"""Merging duplicate contacts and companies: related records move, losers go, old ids resolve."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sambandh.activities.models import Activity
from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.core.errors import NotFound, PermissionDenied, ValidationError
from sambandh.core.models import AuditEntry, OutboxEvent, User
from sambandh.dedup.merge import merge_records, resolve_merged
from sambandh.dedup.models import MergedRecord
from sambandh.sales.models import DealContact
from tests.activities.helpers import make_deal, make_order, make_task
from tests.factories import make_account, make_contact, make_note

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(admin: User) -> tuple[Contact, Contact]:
    keep = make_contact(
        admin, first_name="Anita", last_name="Sharma", email="anita@example.com", tags=["vip"]
    )
    lose = make_contact(
        admin,
        first_name="Anita",
        last_name="S",
        phone="+919812345678",
        city="Pune",
        tags=["vip", "pune"],
    )
    return keep, lose


def _merge(actor: User, keep: Any, *losers: Any, values: dict[str, Any] | None = None) -> Any:
    return merge_records(
        actor=actor,
        object_type="contact" if isinstance(keep, Contact) else "account",
        survivor_id=keep.pk,
        loser_ids=[loser.pk for loser in losers],
        values=values or {},
    )


def _state() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (Contact, Account, Note, Activity, DealContact, AuditEntry, OutboxEvent)
    ) + (MergedRecord.objects.count(),)


# ---------------------------------------------------------------- the service


def test_related_records_of_the_loser_move_to_the_survivor(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    note = make_note(admin, contact=lose, body="Met at the fair")
    task = make_task(admin, contact_id=lose.pk)
    deal = make_deal(admin, contacts=[lose])
    order = make_order(admin, contact=lose)

    _merge(admin, keep, lose)

    note.refresh_from_db()
    task.refresh_from_db()
    order.refresh_from_db()
    assert note.contact_id == keep.pk
    assert task.contact_id == keep.pk
    assert order.contact_id == keep.pk
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)) == [
        keep.pk
    ]
    assert sorted(t.name for t in keep.tags.all()) == ["pune", "vip"]


def test_a_deal_both_records_were_on_keeps_only_the_survivors_row(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    deal = make_deal(admin, contacts=[keep, lose])

    _merge(admin, keep, lose)

    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)) == [
        keep.pk
    ]


def test_a_tag_on_both_records_is_not_doubled(admin: User, pair: tuple[Contact, Contact]) -> None:
    keep, lose = pair
    _merge(admin, keep, lose)
    through = Contact.tags.through
    assert through.objects.filter(contact_id=keep.pk, tag__name="vip").count() == 1
    assert Tag.objects.filter(name="vip").count() == 1


def test_losers_are_deleted_and_their_ids_resolve_to_the_survivor(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    third = make_contact(admin, first_name="Anita", email="a.sharma@example.com")

    _merge(admin, keep, lose, third)

    assert not Contact.objects.filter(pk__in=[lose.pk, third.pk]).exists()
    rows = MergedRecord.objects.order_by("old_id")
    assert [(r.object_type, r.old_id, r.survivor_id, r.merged_by_id) for r in rows] == [
        ("contact", lose.pk, keep.pk, admin.pk),
        ("contact", third.pk, keep.pk, admin.pk),
    ]
    assert resolve_merged("contact", lose.pk) == keep.pk
    assert resolve_merged("contact", keep.pk) is None
    assert resolve_merged("account", lose.pk) is None


def test_the_chosen_values_are_written_as_an_update(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    version = keep.version

    survivor = _merge(admin, keep, lose, values={"last_name": "S", "city": "Pune"})

    keep.refresh_from_db()
    assert (keep.first_name, keep.last_name, keep.city, keep.email) == (
        "Anita",
        "S",
        "Pune",
        "anita@example.com",
    )
    assert keep.version == version + 1
    assert survivor.pk == keep.pk
    update = AuditEntry.objects.get(action="update", object_type="contact", object_id=str(keep.pk))
    assert update.changes["last_name"] == ["Sharma", "S"]


def test_one_merge_audit_entry_and_one_event_name_the_losers_and_values(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    make_note(admin, contact=lose)

    _merge(admin, keep, lose, values={"city": "Pune"})

    entry = AuditEntry.objects.get(action="merge")
    assert (entry.object_type, entry.object_id) == ("contact", str(keep.pk))
    assert entry.changes["loser_ids"] == [lose.pk]
    assert entry.changes["values"] == {"city": "Pune"}
    assert entry.changes["moved"]["contacts.note.contact"] == 1
    event = OutboxEvent.objects.get(name="contact.merged")
    assert event.payload == {"id": keep.pk, "loser_ids": [lose.pk]}
    assert OutboxEvent.objects.filter(name="contact.deleted", object_id=str(lose.pk)).count() == 1


def test_merging_companies_moves_contacts_children_deals_and_drops_a_self_parent(
    admin: User,
) -> None:
    keep = make_account(admin, name="Tata Steel")
    lose = make_account(admin, name="Tata Steel Ltd")
    keep_child = make_account(admin, name="Tata Steel Pune")
    keep.parent = lose
    keep.save(update_fields=["parent"])
    child = make_account(admin, name="Tata Steel Mumbai", parent_id=lose.pk)
    person = make_contact(admin, account_id=lose.pk)
    deal = make_deal(admin, account=lose)
    order = make_order(admin, account=lose)
    note = make_note(admin, account=lose)

    _merge(admin, keep, lose)

    for obj in (keep, child, person, deal, order, note, keep_child):
        obj.refresh_from_db()
    assert keep.parent_id is None
    assert child.parent_id == keep.pk
    assert person.account_id == keep.pk
    assert deal.account_id == keep.pk
    assert order.account_id == keep.pk
    assert note.account_id == keep.pk
    assert not Account.objects.filter(pk=lose.pk).exists()
    assert resolve_merged("account", lose.pk) == keep.pk


def test_an_earlier_merge_into_a_loser_now_resolves_to_the_new_survivor(admin: User) -> None:
    first, second, third = (make_contact(admin, first_name="Ravi") for _ in range(3))
    _merge(admin, second, first)
    _merge(admin, third, second)
    assert resolve_merged("contact", first.pk) == third.pk
    assert resolve_merged("contact", second.pk) == third.pk


def test_a_role_that_may_not_delete_is_refused_and_nothing_changes(
    agent: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    before = _state()
    with pytest.raises(PermissionDenied):
        _merge(agent, keep, lose, values={"city": "Pune"})
    assert _state() == before


def test_records_out_of_scope_do_not_exist_for_the_actor(
    admin: User, outsider: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    mine = make_contact(outsider, first_name="Anita")
    before = _state()
    with pytest.raises(NotFound):
        _merge(outsider, mine, lose)
    assert _state() == before


def test_a_sales_rep_may_merge_their_own_records_but_not_a_teammates(
    owner: User, teammate: User
) -> None:
    mine = make_contact(owner, first_name="Asha")
    also_mine = make_contact(owner, first_name="Asha")
    theirs = make_contact(teammate, first_name="Asha")
    before = _state()
    with pytest.raises(PermissionDenied):
        _merge(owner, mine, theirs)
    assert _state() == before
    _merge(owner, mine, also_mine)
    assert not Contact.objects.filter(pk=also_mine.pk).exists()


@pytest.mark.parametrize(
    ("losers", "values", "field"),
    [
        ("self", {}, "loser_ids"),
        ("twice", {}, "loser_ids"),
        ("none", {}, "loser_ids"),
        ("ten", {}, "loser_ids"),
        ("one", {"shoe_size": "9"}, "shoe_size"),
        ("one", {"email": "not an email"}, "email"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    admin: User, pair: tuple[Contact, Contact], losers: str, values: dict[str, Any], field: str
) -> None:
    keep, lose = pair
    ids = {
        "self": [keep.pk],
        "twice": [lose.pk, lose.pk],
        "none": [],
        "ten": [lose.pk + 1000 + i for i in range(10)],
        "one": [lose.pk],
    }[losers]
    make_note(admin, contact=lose)
    before = _state()
    with pytest.raises(ValidationError) as caught:
        merge_records(
            actor=admin, object_type="contact", survivor_id=keep.pk, loser_ids=ids, values=values
        )
    assert field in caught.value.fields
    assert _state() == before


# ---------------------------------------------------------------- the API


def _api(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_api_merges_and_answers_the_survivor(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(admin)
    response = _api(
        client,
        "/api/v1/contacts/merge",
        {"survivor_id": keep.pk, "loser_ids": [lose.pk], "values": {"phone": "+919812345678"}},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["phone"], sorted(body["tags"])) == (
        keep.pk,
        "+919812345678",
        ["pune", "vip"],
    )


def test_the_api_sends_an_old_id_to_the_survivor_with_308(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    _merge(admin, keep, lose)
    client = Client()
    client.force_login(admin)
    response = client.get(f"/api/v1/contacts/{lose.pk}")
    assert response.status_code == 308
    assert response["Location"] == f"/api/v1/contacts/{keep.pk}"
    assert client.get(response["Location"]).json()["id"] == keep.pk


def test_an_old_id_is_a_plain_404_for_someone_who_cannot_see_the_survivor(
    admin: User, outsider: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    _merge(admin, keep, lose)
    client = Client()
    client.force_login(outsider)
    response = client.get(f"/api/v1/contacts/{lose.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"/contacts/{lose.pk}/").status_code == 404


def test_the_api_refuses_more_than_nine_losers(admin: User, pair: tuple[Contact, Contact]) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(admin)
    before = _state()
    response = _api(
        client,
        "/api/v1/accounts/merge",
        {"survivor_id": keep.pk, "loser_ids": list(range(1, 11))},
    )
    assert response.status_code == 400
    assert "loser_ids" in response.json()["fields"]
    assert _state() == before


def test_the_api_names_an_unknown_field(admin: User, pair: tuple[Contact, Contact]) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(admin)
    before = _state()
    response = _api(
        client,
        "/api/v1/contacts/merge",
        {"survivor_id": keep.pk, "loser_ids": [lose.pk], "values": {"shoe_size": 9}},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"shoe_size": ["Unknown field."]}
    assert _state() == before


# ---------------------------------------------------------------- the page


def test_the_preview_shows_the_records_side_by_side_with_default_choices(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(admin)
    response = client.get(f"/contacts/merge/?ids={keep.pk},{lose.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    # Last names differ: the survivor's is chosen. Phone is empty on the survivor: the other's.
    assert f'name="field-last_name" value="{keep.pk}" checked' in html
    assert f'name="field-phone" value="{lose.pk}" checked' in html
    assert f'name="survivor" value="{keep.pk}" checked' in html
    # Same first name: shown, nothing to choose.
    assert 'name="field-first_name"' not in html


def test_posting_the_preview_merges_and_opens_the_survivor(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/contacts/merge/",
        {
            "ids": f"{keep.pk},{lose.pk}",
            "survivor": str(lose.pk),
            "field-email": str(keep.pk),
            "field-last_name": str(keep.pk),
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/contacts/{lose.pk}/", 302)]
    assert "Merged 2 records into this one." in response.content.decode()
    lose.refresh_from_db()
    assert (lose.email, lose.last_name, lose.phone) == (
        "anita@example.com",
        "Sharma",
        "+919812345678",
    )
    assert not Contact.objects.filter(pk=keep.pk).exists()


def test_an_old_detail_page_redirects_to_the_survivor(
    admin: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    _merge(admin, keep, lose)
    client = Client()
    client.force_login(admin)
    response = client.get(f"/contacts/{lose.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{keep.pk}/"


@pytest.mark.parametrize("ids", ["", "5", "a,b", "1,1", ",".join(str(i) for i in range(1, 12))])
def test_the_page_refuses_bad_ids(admin: User, ids: str) -> None:
    client = Client()
    client.force_login(admin)
    response = client.get(f"/accounts/merge/?ids={ids}")
    assert response.status_code == 400
    assert "Choose between 2 and 10 records to merge." in response.content.decode()


def test_a_role_that_may_not_delete_gets_403_and_nothing_changes(
    agent: User, pair: tuple[Contact, Contact]
) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(agent)
    before = _state()
    response = client.post(
        "/contacts/merge/", {"ids": f"{keep.pk},{lose.pk}", "survivor": str(keep.pk)}
    )
    assert response.status_code == 403
    assert _state() == before


def test_the_page_in_hindi(admin: User, pair: tuple[Contact, Contact]) -> None:
    keep, lose = pair
    client = Client()
    client.force_login(admin)
    client.post("/language/", {"language": "hi"})
    response = client.get(f"/contacts/merge/?ids={keep.pk},{lose.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "संपर्कों का विलय करें" in html
    assert "Merge contacts" not in html
    bad = client.get("/contacts/merge/?ids=1")
    assert "विलय के लिए 2 से 10 रिकॉर्ड चुनें।" in bad.content.decode()


def test_the_survivor_scores_the_losers_behaviour(
    admin: User, marketer: User, pair: tuple[Contact, Contact]
) -> None:
    from sambandh.sales.services.scoring import lead_score_record, scoring_rule_create

    scoring_rule_create(
        actor=marketer,
        data={"name": "Form", "kind": "behaviour", "event": "form_submitted", "points": 15},
    )
    keep, lose = pair
    lead_score_record(contact=lose, event="form_submitted")
    assert Contact.objects.get(pk=keep.pk).lead_score == 0
    survivor = _merge(admin, keep, lose)
    assert survivor.lead_score == 15
    assert Contact.objects.get(pk=keep.pk).lead_score == 15
