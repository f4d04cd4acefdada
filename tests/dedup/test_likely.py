"""The likely-duplicate check for one incoming record: indexed, bounded, scoped."""

from __future__ import annotations

from typing import Any

import pytest

from sambandh.core.errors import ValidationError
from sambandh.core.models import User
from sambandh.dedup.likely import likely_duplicates
from sambandh.dedup.types import Match
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db


def test_the_same_email_in_another_case_is_a_likely_duplicate(admin: User) -> None:
    asha = make_contact(admin, first_name="Asha", last_name="Rao", email="asha@example.com")
    make_contact(admin, first_name="Vikram", email="vikram@example.com")
    found = likely_duplicates(admin, "contact", {"email": "  Asha@Example.COM "})
    assert found == [Match(asha.pk, 100.0, ("email",))]


def test_a_phone_in_national_format_matches_its_e164_form(admin: User) -> None:
    asha = make_contact(admin, first_name="Asha", phone="+919876543210")
    found = likely_duplicates(admin, "contact", {"phone": "098765 43210", "country": "IN"})
    assert found == [Match(asha.pk, 100.0, ("phone",))]


def test_an_alike_name_in_the_same_city_is_a_likely_duplicate(admin: User) -> None:
    asha = make_contact(admin, first_name="Asha", last_name="Kumaravel", city="Lucknow")
    make_contact(admin, first_name="Asha", last_name="Kumaravel", city="Pune")
    make_contact(admin, first_name="Amit", last_name="Kumaravel", city="Lucknow")
    found = likely_duplicates(
        admin, "contact", {"first_name": "asha", "last_name": "KUMARAVLE", "city": "lucknow"}
    )
    assert [(m.id, m.reasons) for m in found] == [(asha.pk, ("name", "city"))]
    assert 86 <= found[0].score < 100


def test_swapped_devanagari_names_at_the_same_company_match(admin: User) -> None:
    company = make_account(admin, name="शर्मा ट्रेडर्स")
    priya = make_contact(admin, first_name="प्रिया", last_name="शर्मा", account_id=company.pk)
    found = likely_duplicates(
        admin, "contact", {"first_name": "शर्मा", "last_name": "प्रिया", "account_id": company.pk}
    )
    assert found == [Match(priya.pk, 100.0, ("name", "company"))]


def test_reasons_add_up_and_the_best_match_comes_first(admin: User) -> None:
    weaker = make_contact(admin, first_name="Asha", last_name="Kumaravle", city="Lucknow")
    stronger = make_contact(
        admin, first_name="Asha", last_name="Kumaravel", city="Lucknow", email="a@x.example"
    )
    found = likely_duplicates(
        admin,
        "contact",
        {"first_name": "Asha", "last_name": "Kumaravel", "city": "Lucknow", "email": "a@x.example"},
    )
    assert [m.id for m in found] == [stronger.pk, weaker.pk]
    assert found[0] == Match(stronger.pk, 100.0, ("email", "name", "city"))


def test_records_outside_the_scope_are_never_suggested(owner: User, outsider: User) -> None:
    make_contact(outsider, first_name="Asha", last_name="Rao", email="asha@x.example")
    assert likely_duplicates(owner, "contact", {"email": "asha@x.example"}) == []
    assert likely_duplicates(outsider, "contact", {"email": "asha@x.example"}) != []


def test_the_record_being_edited_is_left_out(admin: User) -> None:
    asha = make_contact(admin, first_name="Asha", email="asha@x.example")
    found = likely_duplicates(admin, "contact", {"email": "asha@x.example"}, exclude_id=asha.pk)
    assert found == []


def test_raw_input_that_does_not_parse_is_ignored(admin: User) -> None:
    make_contact(admin, first_name="Asha", phone="+919876543210")
    data: dict[str, Any] = {"phone": "call me", "email": 42, "first_name": None, "account_id": "x"}
    assert likely_duplicates(admin, "contact", data) == []
    assert likely_duplicates(admin, "contact", {}) == []


def test_the_check_runs_a_bounded_number_of_queries(
    admin: User, django_assert_max_num_queries: Any
) -> None:
    company = make_account(admin, name="Kumaravel Traders")
    for n in range(30):
        make_contact(
            admin,
            first_name="Asha",
            last_name=f"Kumaravel{n}",
            city="Lucknow",
            email=f"a{n}@x.example",
            phone=f"+9198765432{n:02d}",
            account_id=company.pk,
        )
    data = {
        "first_name": "Asha",
        "last_name": "Kumaravel1",
        "city": "Lucknow",
        "account_id": company.pk,
        "email": "a1@x.example",
        "phone": "+919876543201",
        "country": "IN",
    }
    likely_duplicates(admin, "contact", data)  # grants loaded once per actor
    with django_assert_max_num_queries(3):
        found = likely_duplicates(admin, "contact", data)
    assert found[0].reasons == ("email", "phone", "name", "company", "city")
    assert len(found) == 10  # the default limit


def test_a_company_with_the_same_domain_or_an_alike_name(admin: User) -> None:
    tata = make_account(admin, name="Tata Motors Ltd", domain="tatamotors.example", city="Pune")
    make_account(admin, name="Tata Steel", city="Pune")
    by_site = likely_duplicates(admin, "account", {"website": "https://www.TataMotors.example/x"})
    assert by_site == [Match(tata.pk, 100.0, ("domain",))]
    by_name = likely_duplicates(admin, "account", {"name": "TATA MOTORS LIMITED", "city": "pune"})
    assert by_name == [Match(tata.pk, 100.0, ("name", "city"))]
    other_domain = likely_duplicates(
        admin, "account", {"name": "Tata Motors", "domain": "elsewhere.example"}
    )
    assert other_domain == []


def test_a_bad_threshold_or_type_is_a_validation_error(admin: User) -> None:
    with pytest.raises(ValidationError):
        likely_duplicates(admin, "contact", {}, threshold=-1)
    with pytest.raises(ValidationError):
        likely_duplicates(admin, "ticket", {})
