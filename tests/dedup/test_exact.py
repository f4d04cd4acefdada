"""Exact duplicate groups: the same email (any case), phone (E.164) or domain."""

from __future__ import annotations

from typing import Any

import pytest

from sambandh.contacts.models import Contact
from sambandh.core.errors import ValidationError
from sambandh.core.models import User
from sambandh.dedup.exact import exact_groups, iter_exact_groups
from sambandh.dedup.types import DuplicateGroup
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def _all(actor: User, object_type: str, rule: str) -> list[DuplicateGroup]:
    return list(iter_exact_groups(actor=actor, object_type=object_type, rule=rule))


def test_contacts_with_the_same_email_in_any_case_form_one_group(admin: User) -> None:
    first = make_contact(admin, email="asha@example.com")
    second = make_contact(admin, email="other@example.com")
    make_contact(admin, email="single@example.com")
    make_contact(admin)  # no email: never grouped
    make_contact(admin)
    # Older data written before emails were lower-cased.
    Contact.objects.filter(pk=second.pk).update(email="Asha@EXAMPLE.com")
    assert _all(admin, "contact", "email") == [
        DuplicateGroup("email", "asha@example.com", (first.pk, second.pk))
    ]


def test_phones_written_differently_are_one_e164_number(admin: User) -> None:
    first = make_contact(admin, phone="+91 98765 43210")
    second = make_contact(admin, phone="098765-43210", country="IN")
    make_contact(admin, phone="+91 98765 43211")
    assert _all(admin, "contact", "phone") == [
        DuplicateGroup("phone", "+919876543210", (first.pk, second.pk))
    ]


def test_companies_with_the_same_domain_form_one_group(admin: User) -> None:
    first = make_account(admin, domain="https://www.Example.com/about")
    second = make_account(admin, domain="example.com")
    make_account(admin, domain="example.org")
    make_account(admin)
    assert _all(admin, "account", "domain") == [
        DuplicateGroup("domain", "example.com", (first.pk, second.pk))
    ]


def test_groups_come_in_pages_by_key(admin: User, django_assert_max_num_queries: Any) -> None:
    ids: dict[str, list[int]] = {}
    for name in ("c", "a", "b"):
        for _i in range(2):
            ids.setdefault(name, []).append(make_contact(admin, email=f"{name}@x.example").pk)
    with django_assert_max_num_queries(4):
        first = exact_groups(actor=admin, object_type="contact", rule="email", limit=2)
    assert [(g.key, g.ids) for g in first.items] == [
        ("a@x.example", tuple(ids["a"])),
        ("b@x.example", tuple(ids["b"])),
    ]
    assert first.next_cursor is not None
    second = exact_groups(
        actor=admin, object_type="contact", rule="email", cursor=first.next_cursor, limit=2
    )
    assert [(g.key, g.ids) for g in second.items] == [("c@x.example", tuple(ids["c"]))]
    assert second.next_cursor is None


def test_an_unknown_rule_is_a_validation_error(admin: User) -> None:
    with pytest.raises(ValidationError) as raised:
        exact_groups(actor=admin, object_type="contact", rule="domain")
    assert raised.value.fields == {"rule": ["Choose one of: email, phone."]}


def test_a_cursor_of_another_list_is_refused(admin: User) -> None:
    make_contact(admin, email="a@x.example")
    make_contact(admin, email="a@x.example")
    make_contact(admin, phone="+919876543210")
    make_contact(admin, phone="+919876543210")
    page = exact_groups(actor=admin, object_type="contact", rule="email", limit=1)
    assert page.next_cursor is None
    other = exact_groups(actor=admin, object_type="contact", rule="phone", limit=1)
    bogus = other.next_cursor or "eyJzIjoiZGVkdXA6Y29udGFjdDpwaG9uZSIsInYiOlsiYSJdfQ"
    with pytest.raises(ValidationError):
        exact_groups(actor=admin, object_type="contact", rule="email", cursor=bogus)
    with pytest.raises(ValidationError):
        exact_groups(actor=admin, object_type="contact", rule="email", cursor="not-a-cursor")


def test_a_page_size_over_the_limit_is_refused(admin: User) -> None:
    with pytest.raises(ValidationError):
        exact_groups(actor=admin, object_type="contact", rule="email", limit=501)


def test_a_team_scoped_rep_sees_only_groups_of_records_in_scope(
    owner: User, teammate: User, outsider: User
) -> None:
    mine = make_contact(owner, email="shared@x.example")
    teams = make_contact(teammate, email="shared@x.example")
    make_contact(outsider, email="shared@x.example")  # South: outside the owner's scope
    make_contact(owner, email="half@x.example")
    make_contact(outsider, email="half@x.example")  # would make a group, but is not visible
    make_contact(outsider, email="theirs@x.example")
    make_contact(outsider, email="theirs@x.example")

    groups = _all(owner, "contact", "email")
    page = exact_groups(actor=owner, object_type="contact", rule="email")

    expected = [DuplicateGroup("email", "shared@x.example", (mine.pk, teams.pk))]
    assert groups == expected
    assert page.items == expected
    # The outsider sees their own groups and none of the North records.
    theirs = _all(outsider, "contact", "email")
    assert [g.key for g in theirs] == ["theirs@x.example"]


def test_a_user_without_a_read_grant_sees_no_groups(admin: User) -> None:
    make_account(admin, domain="example.com")
    make_account(admin, domain="example.com")
    nobody = User.objects.create_user(username="nobody", password="a-long-test-password")
    assert len(_all(admin, "account", "domain")) == 1
    assert _all(nobody, "account", "domain") == []
    assert exact_groups(actor=nobody, object_type="account", rule="domain").items == []
