"""Contacts over the API: CRUD, filters, sorting, paging, search, locking, scoping."""

from __future__ import annotations

import pytest

from sambandh.contacts.models import Contact
from sambandh.core.models import AuditEntry, User
from sambandh.core.services import custom_field_create
from tests.api.conftest import ApiClient
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def test_creating_a_contact_returns_201_with_the_record(as_owner: ApiClient, owner: User) -> None:
    response = as_owner.post(
        "/contacts",
        {
            "first_name": "Asha",
            "last_name": "Rao",
            "email": "Asha@Example.com",
            "phone": "98765 43210",
            "tags": ["vip"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    contact = Contact.objects.get(pk=body["id"])
    assert body["first_name"] == "Asha"
    assert body["full_name"] == "Asha Rao"
    assert body["email"] == "asha@example.com"
    assert body["phone"] == "+919876543210"
    assert body["tags"] == ["vip"]
    assert body["version"] == 1
    assert body["owner_id"] == owner.pk
    assert body["team_id"] == owner.teams.get().pk
    assert body["custom"] == {}
    assert contact.email == "asha@example.com"


def test_reading_a_contact_returns_its_fields(as_owner: ApiClient, owner: User) -> None:
    contact = make_contact(owner, first_name="Ravi", last_name="Kumar", city="Pune")
    response = as_owner.get(f"/contacts/{contact.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["first_name"], body["last_name"], body["city"]) == (
        contact.pk,
        "Ravi",
        "Kumar",
        "Pune",
    )


def test_patch_changes_only_the_given_fields_and_bumps_the_version(
    as_owner: ApiClient, owner: User
) -> None:
    contact = make_contact(owner, first_name="Ravi", last_name="Kumar", city="Pune")
    response = as_owner.patch(f"/contacts/{contact.pk}", {"city": "Nagpur", "version": 1})
    assert response.status_code == 200
    assert response.json()["city"] == "Nagpur"
    assert response.json()["version"] == 2
    contact.refresh_from_db()
    assert (contact.city, contact.first_name, contact.version) == ("Nagpur", "Ravi", 2)


def test_patch_with_a_stale_version_is_a_409_and_changes_nothing(
    as_owner: ApiClient, owner: User
) -> None:
    contact = make_contact(owner, city="Pune")
    as_owner.patch(f"/contacts/{contact.pk}", {"city": "Nagpur", "version": 1})
    response = as_owner.patch(f"/contacts/{contact.pk}", {"city": "Delhi", "version": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    contact.refresh_from_db()
    assert (contact.city, contact.version) == ("Nagpur", 2)


def test_patch_without_a_version_is_a_400(as_owner: ApiClient, owner: User) -> None:
    contact = make_contact(owner, city="Pune")
    response = as_owner.patch(f"/contacts/{contact.pk}", {"city": "Delhi"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"version": ["This field is required."]}
    contact.refresh_from_db()
    assert contact.city == "Pune"


def test_deleting_a_contact_returns_204(as_owner: ApiClient, owner: User) -> None:
    contact = make_contact(owner)
    response = as_owner.delete(f"/contacts/{contact.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_invalid_email_is_a_400_with_a_field_message(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts", {"first_name": "A", "email": "not-an-email"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "Please correct the errors below.",
        "fields": {"email": ["Enter a valid email address."]},
    }
    assert Contact.objects.count() == 0


def test_unknown_body_field_is_a_400_and_creates_nothing(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts", {"first_name": "A", "is_admin": True})
    assert response.status_code == 400
    assert response.json()["fields"] == {"is_admin": ["Unknown field."]}
    assert Contact.objects.count() == 0


def test_html_in_a_text_field_comes_back_verbatim(as_owner: ApiClient) -> None:
    payload = '<script>alert("x")</script> & <b>bold</b>'
    response = as_owner.post("/contacts", {"first_name": payload})
    assert response.status_code == 201
    assert response.json()["first_name"] == payload
    assert as_owner.get(f"/contacts/{response.json()['id']}").json()["first_name"] == payload


def test_list_filters_by_field_and_by_in(as_owner: ApiClient, owner: User) -> None:
    pune = make_contact(owner, first_name="A", city="Pune")
    delhi = make_contact(owner, first_name="B", city="Delhi")
    make_contact(owner, first_name="C", city="Goa")
    assert [c["id"] for c in as_owner.get("/contacts?city=Pune").json()["items"]] == [pune.pk]
    ids = [c["id"] for c in as_owner.get("/contacts?city__in=Pune,Delhi&sort=id").json()["items"]]
    assert ids == [pune.pk, delhi.pk]


def test_list_filters_by_a_range(as_owner: ApiClient, owner: User) -> None:
    first = make_contact(owner)
    second = make_contact(owner)
    response = as_owner.get(f"/contacts?id__gte={second.pk}")
    assert [c["id"] for c in response.json()["items"]] == [second.pk]
    response = as_owner.get(f"/contacts?id__lte={first.pk}")
    assert [c["id"] for c in response.json()["items"]] == [first.pk]


def test_list_filters_by_a_custom_field(as_owner: ApiClient, owner: User, admin: User) -> None:
    custom_field_create(
        actor=admin,
        data={"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    )
    gold = make_contact(owner, custom={"tier": "gold"})
    make_contact(owner, custom={"tier": "silver"})
    response = as_owner.get("/contacts?cf.tier=gold")
    assert response.status_code == 200
    assert [(c["id"], c["custom"]) for c in response.json()["items"]] == [
        (gold.pk, {"tier": "gold"})
    ]


def test_list_filters_by_tag(as_owner: ApiClient, owner: User) -> None:
    vip = make_contact(owner, tags=["VIP"])
    make_contact(owner)
    assert [c["id"] for c in as_owner.get("/contacts?tag=vip").json()["items"]] == [vip.pk]


def test_unknown_filter_is_a_400(as_owner: ApiClient) -> None:
    response = as_owner.get("/contacts?favourite_colour=blue")
    assert response.status_code == 400
    assert response.json()["fields"] == {"favourite_colour": ["Unknown filter."]}


def test_bad_limit_is_a_400(as_owner: ApiClient) -> None:
    assert as_owner.get("/contacts?limit=abc").json()["fields"] == {
        "limit": ["Enter a whole number."]
    }
    assert as_owner.get("/contacts?limit=0").status_code == 400


def test_list_sorts_by_name_and_descending_by_creation(as_owner: ApiClient, owner: User) -> None:
    b = make_contact(owner, first_name="Bina", last_name="Shah")
    a = make_contact(owner, first_name="Amit", last_name="Das")
    c = make_contact(owner, first_name="Chitra", last_name="Iyer")
    by_name = [x["id"] for x in as_owner.get("/contacts?sort=name").json()["items"]]
    assert by_name == [a.pk, c.pk, b.pk]
    newest = [x["id"] for x in as_owner.get("/contacts?sort=-created_at").json()["items"]]
    assert newest == [c.pk, a.pk, b.pk]


def test_unknown_sort_is_a_400(as_owner: ApiClient) -> None:
    response = as_owner.get("/contacts?sort=password")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["sort"]


def test_cursor_paging_walks_every_contact_once(as_owner: ApiClient, owner: User) -> None:
    made = [make_contact(owner).pk for _ in range(5)]
    seen: list[int] = []
    url = "/contacts?sort=id&limit=2"
    pages = 0
    while True:
        body = as_owner.get(url).json()
        pages += 1
        seen += [c["id"] for c in body["items"]]
        if body["next_cursor"] is None:
            break
        url = f"/contacts?sort=id&limit=2&cursor={body['next_cursor']}"
    assert seen == made
    assert pages == 3


def test_a_forged_cursor_is_a_400(as_owner: ApiClient) -> None:
    response = as_owner.get("/contacts?cursor=garbage")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cursor"]


def test_full_text_search_in_the_list(as_owner: ApiClient, owner: User) -> None:
    asha = make_contact(owner, first_name="Asha", last_name="Verma")
    make_contact(owner, first_name="Ravi", last_name="Kumar")
    assert [c["id"] for c in as_owner.get("/contacts?q=verma").json()["items"]] == [asha.pk]


def test_global_search_finds_contacts_and_companies(as_owner: ApiClient, owner: User) -> None:
    account = make_account(owner, name="Mehta Textiles")
    contact = make_contact(owner, first_name="Neha", last_name="Mehta")
    hits = as_owner.get("/search?q=mehta").json()
    assert sorted((h["object_type"], h["id"]) for h in hits) == [
        ("account", account.pk),
        ("contact", contact.pk),
    ]


def test_outsider_cannot_read_update_or_delete_another_teams_contact(
    as_outsider: ApiClient, owner: User
) -> None:
    contact = make_contact(owner, city="Pune")
    assert as_outsider.get(f"/contacts/{contact.pk}").status_code == 404
    patched = as_outsider.patch(f"/contacts/{contact.pk}", {"city": "Goa", "version": 1})
    assert patched.status_code == 404
    assert patched.json()["code"] == "not_found"
    assert as_outsider.delete(f"/contacts/{contact.pk}").status_code == 404
    assert as_outsider.get(f"/contacts/{contact.pk}/history").status_code == 404
    assert as_outsider.get(f"/contacts/{contact.pk}/notes").status_code == 404
    assert as_outsider.post(f"/contacts/{contact.pk}/notes", {"body": "x"}).status_code == 404
    assert as_outsider.get("/contacts").json()["items"] == []
    contact.refresh_from_db()
    assert (contact.city, contact.version) == ("Pune", 1)


def test_teammate_may_read_but_not_change_a_colleagues_contact(teammate: User, owner: User) -> None:
    from tests.api.conftest import client_for

    contact = make_contact(owner, city="Pune")
    client = client_for(teammate)
    assert client.get(f"/contacts/{contact.pk}").status_code == 200
    response = client.patch(f"/contacts/{contact.pk}", {"city": "Goa", "version": 1})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    contact.refresh_from_db()
    assert contact.city == "Pune"


def test_sensitive_custom_field_is_hidden_without_a_field_grant(
    as_owner: ApiClient, as_admin: ApiClient, owner: User, admin: User
) -> None:
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "pan",
            "label_en": "PAN",
            "field_type": "text",
            "is_sensitive": True,
        },
    )
    custom_field_create(
        actor=admin,
        data={"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    )
    contact = make_contact(owner, custom={"tier": "gold"})
    as_admin.patch(f"/contacts/{contact.pk}", {"custom": {"pan": "ABCDE1234F"}, "version": 1})
    assert as_owner.get(f"/contacts/{contact.pk}").json()["custom"] == {"tier": "gold"}
    assert as_admin.get(f"/contacts/{contact.pk}").json()["custom"] == {
        "tier": "gold",
        "pan": "ABCDE1234F",
    }
    history = as_owner.get(f"/contacts/{contact.pk}/history").json()["items"]
    assert all("cf.pan" not in entry["changes"] for entry in history)
    assert as_owner.get("/contacts?cf.pan=ABCDE1234F").status_code == 400


def test_history_lists_changes_newest_first(as_owner: ApiClient, owner: User) -> None:
    contact = make_contact(owner, city="Pune")
    as_owner.patch(f"/contacts/{contact.pk}", {"city": "Goa", "version": 1})
    items = as_owner.get(f"/contacts/{contact.pk}/history").json()["items"]
    assert [e["action"] for e in items] == ["update", "create"]
    assert items[0]["changes"] == {"city": ["Pune", "Goa"]}
    assert items[0]["actor_id"] == owner.pk
    assert AuditEntry.objects.filter(object_type="contact", object_id=str(contact.pk)).count() == 2
