"""Exports of the contacts and companies lists: formats, scope, audit, bad input."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client, override_settings
from openpyxl import load_workbook

from sambandh.core.exporting import neutralise
from sambandh.core.models import AuditEntry, User
from sambandh.core.services import custom_field_create
from tests.api.conftest import client_for
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _csv(response: Any) -> list[dict[str, str]]:
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads Devanagari right only with the BOM
    return list(csv.DictReader(io.StringIO(text[1:])))


def _exports() -> int:
    return AuditEntry.objects.filter(action="export").count()


@pytest.fixture
def people(admin: User, owner: User, outsider: User) -> dict[str, Any]:
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
    account = make_account(owner, name="Mehta Steel", domain="mehta.in")
    mine = make_contact(
        owner,
        first_name="अनीता",
        last_name="मेहता",
        email="Anita@Mehta.in",
        phone="+91 98200 12345",
        city="Pune",
        account_id=account.pk,
        job_title='=HYPERLINK("http://evil.example","click")',
        custom={"tier": "gold"},
    )
    admin_only = make_contact(admin, first_name="Ravi", last_name="Kumar", city="Delhi")
    theirs = make_contact(outsider, first_name="Sara", last_name="Khan", city="Pune")
    return {"account": account, "mine": mine, "admin_only": admin_only, "theirs": theirs}


def test_csv_export_has_every_visible_record_with_neutralised_formulas(
    admin: User, people: dict[str, Any]
) -> None:
    before = _exports()
    response = client_for(admin).get("/contacts/export?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="contacts-' in response["Content-Disposition"]
    rows = _csv(response)
    assert sorted(r["last_name"] for r in rows) == ["Khan", "Kumar", "मेहता"]
    anita = next(r for r in rows if r["email"] == "anita@mehta.in")
    assert anita["first_name"] == "अनीता"
    assert anita["account_name"] == "Mehta Steel"
    # A formula never reaches a spreadsheet as one; the phone's "+" is neutralised too.
    assert anita["job_title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert anita["phone"] == "'+919820012345"
    assert anita["custom.tier"] == "gold"
    assert "custom.pan" in rows[0]  # the admin may read the sensitive field
    assert _exports() == before + 1
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert entry.actor == admin
    assert entry.object_type == "contact"
    assert entry.changes["selection"]["format"] == "csv"


def test_an_export_reads_only_the_export_scope_and_readable_fields(
    owner: User, people: dict[str, Any]
) -> None:
    # A Sales rep exports their own contacts only (export scope "own"), without the
    # sensitive custom field they may not read.
    rows = _csv(client_for(owner).get("/contacts/export"))
    assert [r["id"] for r in rows] == [str(people["mine"].pk)]
    assert "custom.tier" in rows[0]
    assert "custom.pan" not in rows[0]


def test_filters_search_and_sort_of_the_list_hold(admin: User, people: dict[str, Any]) -> None:
    rows = _csv(client_for(admin).get("/contacts/export?city=Pune&sort=-name"))
    assert [r["last_name"] for r in rows] == ["मेहता", "Khan"]
    rows = _csv(client_for(admin).get("/contacts/export?q=Ravi"))
    assert [r["first_name"] for r in rows] == ["Ravi"]


def test_a_role_without_the_export_grant_is_refused_and_nothing_is_audited(
    reader: User, agent: User, people: dict[str, Any]
) -> None:
    before = _exports()
    for user in (reader, agent):
        response = client_for(user).get("/contacts/export")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert _exports() == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/contacts/export?format=pdf", "format"),
        ("/accounts/export?format=vcf", "format"),
        ("/contacts/export?no_such_field=1", "no_such_field"),
        ("/contacts/export?sort=shoe_size", "sort"),
        ("/contacts/export?created_at__gte=yesterday", "created_at__gte"),
    ],
)
def test_bad_input_is_a_400_and_no_export_happens(
    admin: User, people: dict[str, Any], path: str, field: str
) -> None:
    before = _exports()
    response = client_for(admin).get(path)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert _exports() == before


def test_xlsx_keeps_formulas_as_text(admin: User, people: dict[str, Any]) -> None:
    response = client_for(admin).get("/contacts/export?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(_body(response)))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    anita = next(r for r in rows[1:] if r[header.index("email")] == "anita@mehta.in")
    assert anita[header.index("first_name")] == "अनीता"
    title = sheet.cell(
        row=1 + [r[header.index("email")] for r in rows].index("anita@mehta.in"),
        column=header.index("job_title") + 1,
    )
    assert title.data_type == "s"  # text, never a formula
    assert str(title.value).startswith("=HYPERLINK")


def test_json_export_is_the_api_shape(admin: User, people: dict[str, Any]) -> None:
    api = client_for(admin)
    exported = json.loads(_body(api.get("/contacts/export?format=json")))
    listed = api.get("/contacts?limit=200").json()["items"]
    by_id = {r["id"]: r for r in exported}
    for item in listed:
        record = dict(by_id[item["id"]])
        record.pop("account_name")
        assert record == item


def test_vcard_export_folds_and_escapes(admin: User, people: dict[str, Any]) -> None:
    text = _body(client_for(admin).get("/contacts/export?format=vcf")).decode()
    cards = text.split("BEGIN:VCARD\r\n")[1:]
    assert len(cards) == 3
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "FN:अनीता मेहता" in unfolded
    assert "N:मेहता;अनीता;;;" in unfolded
    assert "EMAIL;TYPE=work;PREF=1:anita@mehta.in" in unfolded
    assert "TEL;VALUE=uri;PREF=1:tel:+919820012345" in unfolded
    assert "ORG:Mehta Steel" in unfolded
    # A comma in a text value is escaped (RFC 6350 3.4).
    assert 'TITLE:=HYPERLINK("http://evil.example"\\,"click")' in unfolded


@override_settings(SAMBANDH_API_PAGE_MAX=2)
def test_an_export_walks_every_page(admin: User, people: dict[str, Any]) -> None:
    for i in range(5):
        make_contact(admin, first_name=f"Extra{i}", last_name="Zed")
    rows = _csv(client_for(admin).get("/contacts/export"))
    assert len(rows) == 8
    assert len({r["id"] for r in rows}) == 8


def test_an_empty_selection_still_has_its_header(admin: User, people: dict[str, Any]) -> None:
    response = client_for(admin).get("/accounts/export?city=Nowhere")
    text = _body(response).decode("utf-8")
    lines = text[1:].splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("street,city,state")


def test_company_export(admin: User, people: dict[str, Any]) -> None:
    rows = _csv(client_for(admin).get("/accounts/export"))
    assert [(r["name"], r["domain"]) for r in rows] == [("Mehta Steel", "mehta.in")]


@pytest.mark.parametrize(
    ("text", "shown"),
    [("=1+1", "'=1+1"), ("+91", "'+91"), ("-5", "'-5"), ("@cmd", "'@cmd"), ("Pune", "Pune")],
)
def test_neutralise(text: str, shown: str) -> None:
    assert neutralise(text) == shown


# ---------------------------------------------------------------- the list page


def _page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_page_offers_export_only_with_the_grant(
    admin: User, reader: User, people: dict[str, Any]
) -> None:
    page = _page_client(admin).get("/contacts/?city=Pune").content.decode()
    assert 'data-testid="export-menu"' in page
    assert 'action="/contacts/export/?city=Pune"' in page
    assert 'data-testid="export-vcf"' in page
    accounts = _page_client(admin).get("/accounts/").content.decode()
    assert 'data-testid="export-xlsx"' in accounts
    assert 'data-testid="export-vcf"' not in accounts
    assert (
        'data-testid="export-menu"' not in _page_client(reader).get("/contacts/").content.decode()
    )


def test_the_page_export_posts_the_lists_selection(admin: User, people: dict[str, Any]) -> None:
    client = _page_client(admin)
    assert client.get("/contacts/export/").status_code == 405  # a GET never writes
    response = client.post("/contacts/export/?city=Pune&sort=name", {"format": "csv"})
    assert response.status_code == 200
    assert [r["last_name"] for r in _csv(response)] == ["Khan", "मेहता"]


def test_the_page_export_refuses_without_the_grant(reader: User, people: dict[str, Any]) -> None:
    before = _exports()
    response = _page_client(reader).post("/contacts/export/", {"format": "csv"})
    assert response.status_code == 403
    assert _exports() == before


def test_the_page_export_shows_a_bad_format_as_an_error(
    admin: User, people: dict[str, Any]
) -> None:
    client = _page_client(admin)
    client.post("/language/", {"language": "hi"})
    before = _exports()
    response = client.post("/accounts/export/", {"format": "vcf"})
    assert response.status_code == 400
    assert "vCard केवल संपर्कों के लिए है।" in response.content.decode()
    assert _exports() == before
