"""The duplicate review queue page: exact groups, a page at a time, within the actor's scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.contacts.models import Contact
from sambandh.dedup import views_quality
from tests.factories import make_account, make_contact
from tests.web import conftest as web_fixtures

pytestmark = pytest.mark.django_db
client_for = web_fixtures.client_for  # the signed-in client fixture of the web tests

URL = "/duplicates/"


def _pair(actor, email: str, **data) -> list[Contact]:
    return [make_contact(actor, email=email, **data) for _i in range(2)]


def test_the_queue_lists_each_group_with_its_records_and_a_merge_link(admin, client_for) -> None:
    first = make_contact(
        admin, first_name="Asha", last_name="Rao", email="asha@example.com", city="Pune"
    )
    second = make_contact(admin, first_name="A.", last_name="Rao", email="other@example.com")
    Contact.objects.filter(pk=second.pk).update(email="ASHA@example.com")
    make_contact(admin, email="single@example.com")
    admin.first_name, admin.last_name = "Meera", "Iyer"
    admin.save()
    page = client_for(admin).get(URL).content.decode()
    assert page.count('data-testid="duplicate-group"') == 1
    assert page.count('data-testid="duplicate-record"') == 2
    assert f'<a href="/contacts/{first.pk}/">Asha Rao</a>' in page
    assert f'<a href="/contacts/{second.pk}/">A. Rao</a>' in page
    assert "<td>Pune</td>" in page
    assert "<td>Meera Iyer</td>" in page
    assert f'href="/contacts/merge/?ids={first.pk},{second.pk}"' in page
    assert "single@example.com" not in page
    assert 'data-testid="duplicates-more"' not in page


def test_companies_by_domain_link_to_the_company_merge(admin, client_for) -> None:
    first = make_account(admin, name="Acme", domain="acme.example")
    second = make_account(admin, name="Acme India", domain="www.acme.example")
    page = client_for(admin).get(URL + "?object=account").content.decode()
    assert "<h2>acme.example</h2>" in page
    assert f'<a href="/accounts/{first.pk}/">Acme</a>' in page
    assert f'href="/accounts/merge/?ids={first.pk},{second.pk}"' in page
    assert 'aria-current="page" class="button primary">Companies by domain</a>' in page


def test_contacts_by_phone(admin, client_for) -> None:
    first = make_contact(admin, phone="+91 98765 43210")
    second = make_contact(admin, phone="098765-43210", country="IN")
    page = client_for(admin).get(URL + "?object=contact&rule=phone").content.decode()
    assert "<h2>+919876543210</h2>" in page
    assert f'href="/contacts/merge/?ids={first.pk},{second.pk}"' in page


def test_more_pages_follow_the_cursor_without_counting(admin, client_for, monkeypatch) -> None:
    monkeypatch.setattr(views_quality, "QUEUE_PAGE", 2)
    for name in ("c", "a", "b"):
        _pair(admin, f"{name}@x.example")
    client = client_for(admin)
    first = client.get(URL).content.decode()
    assert first.count('data-testid="duplicate-group"') == 2
    assert 'data-key="a@x.example"' in first
    assert 'data-key="b@x.example"' in first
    start = first.index('href="', first.index('<p class="load-more">')) + len('href="')
    more = first[start : first.index('"', start)].replace("&amp;", "&")
    assert more.startswith("/duplicates/?object=contact&rule=email&cursor=")
    second = client.get(more).content.decode()
    assert second.count('data-testid="duplicate-group"') == 1
    assert 'data-key="c@x.example"' in second
    assert 'data-testid="duplicates-more"' not in second


def test_a_team_scoped_rep_sees_only_groups_of_records_in_their_scope(
    owner, teammate, outsider, manager, client_for
) -> None:
    mine = [
        make_contact(owner, email="north@example.com"),
        make_contact(teammate, email="north@example.com"),
    ]
    make_contact(owner, email="split@example.com")
    make_contact(outsider, email="split@example.com")
    _pair(outsider, "south@example.com")
    page = client_for(owner).get(URL).content.decode()
    assert page.count('data-testid="duplicate-group"') == 1
    assert f'href="/contacts/merge/?ids={mine[0].pk},{mine[1].pk}"' in page
    assert "split@example.com" not in page
    assert "south@example.com" not in page
    everything = client_for(manager).get(URL).content.decode()
    assert everything.count('data-testid="duplicate-group"') == 3


def test_no_duplicates_says_so(reader, client_for) -> None:
    page = client_for(reader).get(URL).content.decode()
    assert 'data-testid="duplicates-empty"' in page
    assert "No duplicates found." in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?object=deal", "Choose contacts or companies."),
        ("?object=contact&rule=domain", "Choose one of: email, phone."),
        ("?object=account&rule=email", "Choose one of: domain, phone."),
        ("?cursor=xyz", "This cursor is not valid for this list."),
    ],
)
def test_a_bad_choice_is_a_clear_error(query, message, admin, client_for) -> None:
    response = client_for(admin).get(URL + query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_queue_does_not_accept_posts(admin, client_for) -> None:
    assert client_for(admin).post(URL).status_code == 405


def test_the_page_costs_the_same_for_many_groups(owner, teammate, client_for) -> None:
    for n in range(10):
        _pair(owner, f"p{n}@example.com", city="Pune")
    make_contact(teammate, email="p0@example.com")
    client = client_for(owner)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="duplicate-group"') == 10
    # session, user, grants, teams, groups, their ids, the records with owners, nav badges
    # (reminders, notifications)
    assert len(queries) <= 11, [q["sql"] for q in queries]


def test_the_queue_in_hindi(admin, client_for) -> None:
    _pair(admin, "hi@example.com")
    admin.language = "hi"
    admin.save(update_fields=["language"])
    page = client_for(admin).get(URL).content.decode()
    assert "डुप्लिकेट" in page
    assert "तुलना करें और विलय करें" in page
    assert "Compare and merge" not in page
