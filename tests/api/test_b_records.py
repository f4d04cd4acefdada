"""Contacts, companies, notes, tags, search and history through /api/v1/."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.core.models import AuditEntry, CustomFieldDefinition, FieldGrant, Role, User
from sambandh.core.services import custom_field_create, custom_field_delete, custom_field_update
from tests.api.conftest import ApiClient, client_for
from tests.factories import make_account, make_contact, make_note

pytestmark = pytest.mark.django_db


def names(page: dict[str, Any]) -> list[str]:
    return [item["first_name"] for item in page["items"]]


def snapshot(contact: Contact) -> tuple[Any, ...]:
    contact.refresh_from_db()
    return (contact.first_name, contact.email, contact.version, contact.updated_at)


# ---------------------------------------------------------------- contacts: CRUD


def test_creating_a_contact_answers_201_with_the_whole_record(owner, north):
    response = client_for(owner).post(
        "/contacts",
        {
            "first_name": "Asha",
            "last_name": "Rao",
            "email": "Asha@Example.COM",
            "phone": "098765 43210",
            "city": "Pune",
            "country": "IN",
            "tags": ["vip", "Pune"],
            "lifecycle_stage": "lead",
        },
    )
    assert response.status_code == 201
    body = response.json()
    contact = Contact.objects.get()
    assert body["id"] == contact.pk
    assert body["version"] == 1
    assert body["owner_id"] == owner.pk
    assert body["team_id"] == north.pk
    assert body["email"] == "asha@example.com"
    assert body["phone"] == "+919876543210"
    assert body["full_name"] == "Asha Rao"
    assert body["tags"] == ["Pune", "vip"]
    assert body["custom"] == {}
    assert body["lifecycle_stage"] == "lead"
    assert body["do_not_contact"] is False
    assert body["birthday"] is None
    assert body["created_at"] == body["updated_at"]


def test_reading_a_contact_gives_what_creating_it_returned(owner):
    api = client_for(owner)
    created = api.post("/contacts", {"first_name": "Asha", "email": "asha@example.com"}).json()
    response = api.get(f"/contacts/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_a_patch_changes_only_the_given_fields_and_bumps_the_version(owner):
    contact = make_contact(owner, first_name="Asha", email="asha@example.com", city="Pune")
    response = client_for(owner).patch(f"/contacts/{contact.pk}", {"version": 1, "city": "Mumbai"})
    assert response.status_code == 200
    body = response.json()
    assert (body["city"], body["first_name"], body["email"], body["version"]) == (
        "Mumbai",
        "Asha",
        "asha@example.com",
        2,
    )
    contact.refresh_from_db()
    assert (contact.city, contact.version) == ("Mumbai", 2)


def test_a_patch_with_a_stale_version_is_a_409_and_changes_nothing(owner):
    contact = make_contact(owner, first_name="Asha")
    api = client_for(owner)
    assert api.patch(f"/contacts/{contact.pk}", {"version": 1, "city": "Pune"}).status_code == 200
    before = snapshot(contact)
    response = api.patch(f"/contacts/{contact.pk}", {"version": 1, "first_name": "Meera"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert snapshot(contact) == before


def test_a_patch_can_clear_a_field_with_null(owner):
    contact = make_contact(owner, first_name="Asha", city="Pune")
    response = client_for(owner).patch(f"/contacts/{contact.pk}", {"version": 1, "city": None})
    assert response.status_code == 200
    assert response.json()["city"] == ""


def test_a_patch_that_empties_the_name_and_email_is_a_400(owner):
    contact = make_contact(owner, first_name="Asha", last_name="")
    response = client_for(owner).patch(f"/contacts/{contact.pk}", {"version": 1, "first_name": ""})
    assert response.status_code == 400
    contact.refresh_from_db()
    assert (contact.first_name, contact.version) == ("Asha", 1)


def test_deleting_a_contact_answers_204_and_it_is_gone(owner):
    contact = make_contact(owner)
    api = client_for(owner)
    response = api.delete(f"/contacts/{contact.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert api.get(f"/contacts/{contact.pk}").status_code == 404


def test_html_in_a_text_field_comes_back_verbatim(owner):
    html = '<script>alert("x")</script> & <b>bold</b>'
    api = client_for(owner)
    created = api.post("/contacts", {"first_name": html}).json()
    assert created["first_name"] == html
    assert api.get(f"/contacts/{created['id']}").json()["first_name"] == html
    note = api.post(f"/contacts/{created['id']}/notes", {"body": html}).json()
    assert note["body"] == html


# ---------------------------------------------------------------- contacts: lists


def test_a_list_is_a_page_of_items_with_a_next_cursor(owner):
    make_contact(owner, first_name="Asha", last_name="Rao")
    body = client_for(owner).get("/contacts").json()
    assert sorted(body) == ["items", "next_cursor"]
    assert names(body) == ["Asha"]
    assert body["next_cursor"] is None


def test_cursor_paging_visits_every_contact_once(owner):
    for i in range(7):
        make_contact(owner, first_name=f"P{i}", last_name="Same")
    api = client_for(owner)
    seen: list[str] = []
    query = "limit=3"
    pages = 0
    while True:
        page = api.get(f"/contacts?{query}").json()
        pages += 1
        seen += names(page)
        if page["next_cursor"] is None:
            break
        query = urlencode({"limit": 3, "cursor": page["next_cursor"]})
    assert seen == [f"P{i}" for i in range(7)]
    assert pages == 3


def test_sorting_by_newest_first(owner):
    for name in ("A", "B", "C"):
        make_contact(owner, first_name=name)
    api = client_for(owner)
    assert names(api.get("/contacts?sort=-created_at").json()) == ["C", "B", "A"]
    assert names(api.get("/contacts?sort=first_name").json()) == ["A", "B", "C"]


def test_a_cursor_from_another_sort_is_a_400(owner):
    for name in ("A", "B", "C"):
        make_contact(owner, first_name=name)
    api = client_for(owner)
    cursor = api.get("/contacts?sort=-created_at&limit=1").json()["next_cursor"]
    response = api.get("/contacts?" + urlencode({"sort": "name", "cursor": cursor}))
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cursor"]


def test_filters_by_field_list_and_range(owner):
    make_contact(owner, first_name="A", city="Pune", country="IN", do_not_contact=True)
    make_contact(owner, first_name="B", city="Austin", country="US")
    make_contact(owner, first_name="C", city="Paris", country="FR")
    api = client_for(owner)
    assert names(api.get("/contacts?city=Pune").json()) == ["A"]
    assert names(api.get("/contacts?country__in=IN,US&sort=first_name").json()) == ["A", "B"]
    assert names(api.get("/contacts?do_not_contact=true").json()) == ["A"]
    first = Contact.objects.get(first_name="B")
    in_range = api.get("/contacts?" + urlencode({"id__gte": first.pk, "sort": "first_name"}))
    assert names(in_range.json()) == ["B", "C"]
    created = first.created_at.isoformat()
    since = api.get("/contacts?" + urlencode({"created_at__gte": created, "sort": "first_name"}))
    assert names(since.json()) == ["B", "C"]


def test_filters_by_owner_and_tag(owner, teammate):
    make_contact(owner, first_name="Mine", tags=["vip"])
    make_contact(teammate, first_name="Theirs")
    api = client_for(owner)
    assert names(api.get(f"/contacts?owner_id={owner.pk}").json()) == ["Mine"]
    assert names(api.get("/contacts?tag=VIP").json()) == ["Mine"]
    assert names(api.get("/contacts?tag=nothing").json()) == []


def test_filters_by_a_custom_field(admin, owner):
    custom_field_create(
        actor=admin,
        data={
            "object_type": "contact",
            "key": "tier",
            "label_en": "Tier",
            "field_type": "choice",
            "choices": ["gold", "silver"],
        },
    )
    make_contact(owner, first_name="Gold", custom={"tier": "gold"})
    make_contact(owner, first_name="Silver", custom={"tier": "silver"})
    make_contact(owner, first_name="None")
    body = client_for(owner).get("/contacts?cf.tier=gold").json()
    assert names(body) == ["Gold"]
    assert body["items"][0]["custom"] == {"tier": "gold"}


def test_full_text_search_in_a_list(owner):
    make_contact(owner, first_name="प्रिया", last_name="शर्मा", email="priya@example.com")
    make_contact(owner, first_name="Ravi", email="ravi@example.com")
    api = client_for(owner)
    assert names(api.get("/contacts?" + urlencode({"q": "शर्म"})).json()) == ["प्रिया"]
    assert names(api.get("/contacts?q=ravi%40exa").json()) == ["Ravi"]


def test_list_parameters_combine(owner):
    make_contact(owner, first_name="Asha", city="Pune", tags=["vip"])
    make_contact(owner, first_name="Asha2", city="Pune")
    make_contact(owner, first_name="Ravi", city="Pune", tags=["vip"])
    body = client_for(owner).get("/contacts?city=Pune&tag=vip&q=Asha").json()
    assert names(body) == ["Asha"]


# ---------------------------------------------------------------- who sees what


def test_an_outsider_cannot_read_change_or_delete_a_north_contact(owner, outsider):
    contact = make_contact(owner, first_name="Asha", email="asha@example.com")
    before = snapshot(contact)
    api = client_for(outsider)
    audit_before = AuditEntry.objects.count()
    for response in (
        api.get(f"/contacts/{contact.pk}"),
        api.patch(f"/contacts/{contact.pk}", {"version": 1, "first_name": "Hacked"}),
        api.delete(f"/contacts/{contact.pk}"),
        api.get(f"/contacts/{contact.pk}/history"),
        api.get(f"/contacts/{contact.pk}/notes"),
        api.post(f"/contacts/{contact.pk}/notes", {"body": "hi"}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert snapshot(contact) == before
    assert Note.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    assert names(api.get("/contacts").json()) == []


def test_a_teammate_may_read_but_not_change_a_contact_they_do_not_own(owner, teammate):
    contact = make_contact(owner, first_name="Asha")
    api = client_for(teammate)
    assert api.get(f"/contacts/{contact.pk}").status_code == 200
    before = snapshot(contact)
    response = api.patch(f"/contacts/{contact.pk}", {"version": 1, "first_name": "Meera"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert api.delete(f"/contacts/{contact.pk}").status_code == 403
    assert snapshot(contact) == before


def test_a_rep_may_not_give_a_contact_to_another_team(owner, south):
    response = client_for(owner).post("/contacts", {"first_name": "Asha", "team_id": south.pk})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["team_id"]
    assert Contact.objects.count() == 0


def test_a_contact_cannot_point_at_a_company_the_user_cannot_see(owner, outsider):
    hidden = make_account(outsider, name="South Co")
    response = client_for(owner).post("/contacts", {"first_name": "Asha", "account_id": hidden.pk})
    assert response.status_code == 400
    assert response.json()["fields"] == {"account_id": ["Choose an existing company."]}


# ---------------------------------------------------------------- sensitive custom fields


@pytest.fixture
def pan_contact(admin: User, owner: User) -> Contact:
    for key, sensitive in (("pan", True), ("tier", False)):
        custom_field_create(
            actor=admin,
            data={
                "object_type": "contact",
                "key": key,
                "label_en": key.upper(),
                "field_type": "text",
                "is_sensitive": sensitive,
            },
        )
    return make_contact(
        admin, first_name="Asha", owner_id=owner.pk, custom={"pan": "ABCDE1234F", "tier": "gold"}
    )


def test_a_sensitive_custom_field_is_hidden_without_a_field_grant(pan_contact, manager):
    api = client_for(manager)
    assert api.get(f"/contacts/{pan_contact.pk}").json()["custom"] == {"tier": "gold"}
    assert api.get("/contacts").json()["items"][0]["custom"] == {"tier": "gold"}


def test_a_sensitive_custom_field_cannot_be_probed_through_a_filter(pan_contact, manager):
    response = client_for(manager).get("/contacts?cf.pan=ABCDE1234F")
    assert response.status_code == 400
    assert response.json()["fields"] == {"cf.pan": ["Unknown filter."]}


def test_a_sensitive_custom_field_is_hidden_in_history_too(pan_contact, manager):
    history = client_for(manager).get(f"/contacts/{pan_contact.pk}/history").json()
    assert "ABCDE1234F" not in str(history)
    assert history["items"][0]["action"] == "create"


def test_a_role_with_a_field_grant_sees_the_sensitive_field(pan_contact, manager):
    FieldGrant.objects.create(
        role=Role.objects.get(name="Sales manager"), object_type="contact", field="cf.pan"
    )
    body = client_for(manager).get(f"/contacts/{pan_contact.pk}").json()
    assert body["custom"] == {"pan": "ABCDE1234F", "tier": "gold"}


def test_writing_a_sensitive_field_without_a_grant_is_403_and_changes_nothing(pan_contact, manager):
    response = client_for(manager).patch(
        f"/contacts/{pan_contact.pk}", {"version": 1, "custom": {"pan": "ZZZZZ9999Z"}}
    )
    assert response.status_code == 403
    pan_contact.refresh_from_db()
    assert pan_contact.custom == {"pan": "ABCDE1234F", "tier": "gold"}


def test_a_deactivated_sensitive_field_stays_hidden(pan_contact, manager, admin):
    definition = CustomFieldDefinition.objects.get(key="pan")
    custom_field_update(actor=admin, definition=definition, data={"is_active": False}, version=1)
    api = client_for(manager)
    assert api.get(f"/contacts/{pan_contact.pk}").json()["custom"] == {"tier": "gold"}
    assert "ABCDE1234F" not in api.get(f"/contacts/{pan_contact.pk}/history").content.decode()


def test_a_deleted_custom_fields_values_are_shown_to_nobody(pan_contact, admin):
    custom_field_delete(actor=admin, definition=CustomFieldDefinition.objects.get(key="pan"))
    api = client_for(admin)
    assert api.get(f"/contacts/{pan_contact.pk}").json()["custom"] == {"tier": "gold"}
    assert api.get("/contacts").json()["items"][0]["custom"] == {"tier": "gold"}
    pan_contact.refresh_from_db()
    assert pan_contact.custom == {"pan": "ABCDE1234F", "tier": "gold"}


# ---------------------------------------------------------------- companies


def test_creating_a_company_shows_money_as_a_decimal_string_with_a_currency(owner):
    response = client_for(owner).post(
        "/accounts", {"name": "Acme", "annual_revenue": "1250000.5", "domain": "WWW.Acme.com"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["annual_revenue"] == "1250000.50"
    assert body["annual_revenue_currency"] == "INR"
    assert body["domain"] == "acme.com"
    assert body["type"] == "prospect"
    assert body["parent_id"] is None


def test_a_company_crud_round_trip(owner):
    api = client_for(owner)
    created = api.post("/accounts", {"name": "Acme"}).json()
    assert api.get(f"/accounts/{created['id']}").json() == created
    patched = api.patch(f"/accounts/{created['id']}", {"version": 1, "industry": "Steel"})
    assert patched.status_code == 200
    assert (patched.json()["industry"], patched.json()["version"]) == ("Steel", 2)
    stale = api.patch(f"/accounts/{created['id']}", {"version": 1, "industry": "Tea"})
    assert stale.status_code == 409
    assert api.delete(f"/accounts/{created['id']}").status_code == 204
    assert not Account.objects.exists()


def test_company_lists_filter_sort_and_page(owner):
    make_account(owner, name="Beta", annual_revenue="500")
    make_account(owner, name="Alpha", annual_revenue="5000")
    make_account(owner, name="Gamma")
    api = client_for(owner)
    page = api.get("/accounts?limit=2").json()
    assert [a["name"] for a in page["items"]] == ["Alpha", "Beta"]
    rest = api.get("/accounts?" + urlencode({"limit": 2, "cursor": page["next_cursor"]})).json()
    assert ([a["name"] for a in rest["items"]], rest["next_cursor"]) == (["Gamma"], None)
    rich = api.get("/accounts?annual_revenue__gte=1000").json()
    assert [a["name"] for a in rich["items"]] == ["Alpha"]
    assert api.get("/accounts?email=x").status_code == 400


def test_a_company_cannot_be_its_own_parent(owner):
    account = make_account(owner, name="Acme")
    response = client_for(owner).patch(
        f"/accounts/{account.pk}", {"version": 1, "parent_id": account.pk}
    )
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.parent_id is None


def test_an_outsider_cannot_reach_a_north_company(owner, outsider):
    account = make_account(owner, name="Acme")
    api = client_for(outsider)
    assert api.get(f"/accounts/{account.pk}").status_code == 404
    assert api.patch(f"/accounts/{account.pk}", {"version": 1, "name": "X"}).status_code == 404
    assert api.delete(f"/accounts/{account.pk}").status_code == 404
    account.refresh_from_db()
    assert (account.name, account.version) == ("Acme", 1)


# ---------------------------------------------------------------- notes


def test_notes_on_a_contact_round_trip(owner):
    contact = make_contact(owner)
    api = client_for(owner)
    created = api.post(f"/contacts/{contact.pk}/notes", {"body": "Called, will buy"})
    assert created.status_code == 201
    note = created.json()
    assert (note["contact_id"], note["account_id"], note["created_by_id"], note["version"]) == (
        contact.pk,
        None,
        owner.pk,
        1,
    )
    listed = api.get(f"/contacts/{contact.pk}/notes").json()
    assert [n["body"] for n in listed["items"]] == ["Called, will buy"]
    assert api.get(f"/notes/{note['id']}").json() == note
    patched = api.patch(f"/notes/{note['id']}", {"version": 1, "body": "Bought"})
    assert (patched.status_code, patched.json()["body"], patched.json()["version"]) == (
        200,
        "Bought",
        2,
    )
    assert api.patch(f"/notes/{note['id']}", {"version": 1, "body": "Old"}).status_code == 409
    assert api.delete(f"/notes/{note['id']}").status_code == 204
    assert not Note.objects.exists()


def test_notes_on_a_company_are_listed_newest_first(owner):
    account = make_account(owner)
    make_note(owner, account=account, body="first")
    make_note(owner, account=account, body="second")
    listed = client_for(owner).get(f"/accounts/{account.pk}/notes").json()
    assert [n["body"] for n in listed["items"]] == ["second", "first"]


def test_an_empty_note_is_a_400(owner):
    contact = make_contact(owner)
    response = client_for(owner).post(f"/contacts/{contact.pk}/notes", {"body": "   "})
    assert response.status_code == 400
    assert response.json()["fields"] == {"body": ["This field is required."]}
    assert not Note.objects.exists()


def test_an_outsider_cannot_read_or_change_a_note_on_a_north_contact(owner, outsider):
    note = make_note(owner, contact=make_contact(owner), body="secret")
    api = client_for(outsider)
    assert api.get(f"/notes/{note.pk}").status_code == 404
    assert api.patch(f"/notes/{note.pk}", {"version": 1, "body": "x"}).status_code == 404
    assert api.delete(f"/notes/{note.pk}").status_code == 404
    note.refresh_from_db()
    assert note.body == "secret"


# ---------------------------------------------------------------- tags


def test_tags_round_trip(marketer):
    api = client_for(marketer)
    created = api.post("/tags", {"name": "VIP", "color": "#1D4ED8"})
    assert created.status_code == 201
    tag = created.json()
    assert (tag["name"], tag["color"]) == ("VIP", "#1d4ed8")
    assert [t["name"] for t in api.get("/tags").json()] == ["VIP"]
    assert api.get(f"/tags/{tag['id']}").json() == tag
    renamed = api.patch(f"/tags/{tag['id']}", {"name": "Gold"})
    assert renamed.json()["name"] == "Gold"
    assert api.delete(f"/tags/{tag['id']}").status_code == 204
    assert not Tag.objects.exists()


def test_a_duplicate_tag_name_is_a_400_regardless_of_case(marketer):
    api = client_for(marketer)
    api.post("/tags", {"name": "VIP"})
    response = api.post("/tags", {"name": "vip"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]
    assert Tag.objects.count() == 1


def test_a_reader_cannot_create_rename_or_delete_tags(reader, marketer):
    tag = client_for(marketer).post("/tags", {"name": "VIP"}).json()
    api = client_for(reader)
    assert api.post("/tags", {"name": "New"}).status_code == 403
    assert api.patch(f"/tags/{tag['id']}", {"name": "Renamed"}).status_code == 403
    assert api.delete(f"/tags/{tag['id']}").status_code == 403
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]


# ---------------------------------------------------------------- search and history


def test_global_search_finds_visible_contacts_and_companies_only(owner, outsider):
    make_contact(owner, first_name="Kavya", email="kavya@acme.in")
    make_account(owner, name="Kavya Traders")
    make_contact(outsider, first_name="Kavya", last_name="South")
    hits = client_for(owner).get("/search?q=kavya").json()
    assert sorted((h["object_type"], h["title"]) for h in hits) == [
        ("account", "Kavya Traders"),
        ("contact", "Kavya Test"),
    ]


def test_search_without_a_query_is_a_400(owner):
    response = client_for(owner).get("/search")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["q"]


def test_history_lists_changes_newest_first(owner):
    contact = make_contact(owner, first_name="Asha")
    api = client_for(owner)
    api.patch(f"/contacts/{contact.pk}", {"version": 1, "first_name": "Meera"})
    history = api.get(f"/contacts/{contact.pk}/history").json()
    assert [e["action"] for e in history["items"]] == ["update", "create"]
    assert history["items"][0]["changes"]["first_name"] == ["Asha", "Meera"]
    assert history["items"][0]["actor_id"] == owner.pk
    assert history["next_cursor"] is None


def test_history_pages_by_cursor(owner):
    contact = make_contact(owner, first_name="A0")
    api = client_for(owner)
    for version in range(1, 4):
        api.patch(f"/contacts/{contact.pk}", {"version": version, "first_name": f"A{version}"})
    first = api.get(f"/contacts/{contact.pk}/history?limit=3").json()
    assert len(first["items"]) == 3
    rest = api.get(
        f"/contacts/{contact.pk}/history?" + urlencode({"limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert [e["action"] for e in rest["items"]] == ["create"]


def test_company_history_is_there_too(owner):
    account = make_account(owner, name="Acme")
    history = client_for(owner).get(f"/accounts/{account.pk}/history").json()
    assert [e["action"] for e in history["items"]] == ["create"]


def test_an_anonymous_client_sees_no_records(owner):
    make_contact(owner)
    assert ApiClient(None).get("/contacts").status_code == 401
