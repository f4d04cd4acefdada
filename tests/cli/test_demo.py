"""Demo data: deterministic, realistic (valid phones, Devanagari names), searchable, and the
bulk path writes exactly the contacts asked for with one audit entry."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest

from sambandh.cli.admins import ensure_admin
from sambandh.cli.demo import (
    SERVICE_CONTACTS,
    TIER_KEY,
    demo_companies,
    demo_contacts,
    load_demo,
)
from sambandh.contacts.models import Account, Contact
from sambandh.contacts.selectors import global_search
from sambandh.core.audit import audit_verify
from sambandh.core.models import AuditEntry, CustomFieldDefinition, User

pytestmark = pytest.mark.django_db

DEVANAGARI = range(0x0900, 0x0980)


def _is_devanagari(text: str) -> bool:
    return any(ord(ch) in DEVANAGARI for ch in text)


@pytest.fixture
def actor() -> User:
    created = ensure_admin()
    assert created is not None
    return created.user


def _bulk_loaded() -> list[int]:
    """Ids of the bulk-loaded contacts: the ones after the service path's (ids keep order;
    on PostgreSQL they do not restart at 1 for each test)."""
    return list(Contact.objects.order_by("id").values_list("id", flat=True)[SERVICE_CONTACTS:])


def _loaded(count: int, seed: int, actor: User) -> list[tuple[str, str, str]]:
    load_demo(actor=actor, contacts=count, seed=seed)
    return list(Contact.objects.order_by("id").values_list("first_name", "last_name", "email"))


def test_the_same_seed_generates_the_same_contacts_twice() -> None:
    companies = demo_companies(1)
    first = [
        (c.first_name, c.last_name, c.email, c.phone) for c in demo_contacts(1, 500, companies)
    ]
    again = [
        (c.first_name, c.last_name, c.email, c.phone) for c in demo_contacts(1, 500, companies)
    ]
    assert first == again
    other = [(c.first_name, c.last_name, c.email) for c in demo_contacts(2, 500, companies)]
    assert [row[:3] for row in first] != other


def test_loading_500_contacts_writes_exactly_the_seeds_names_and_emails(actor: User) -> None:
    expected = [
        (c.first_name, c.last_name, c.email) for c in demo_contacts(1, 500, demo_companies(1))
    ]
    assert _loaded(500, 1, actor) == expected
    assert len({email for _f, _l, email in expected}) == 500


def test_every_demo_phone_is_a_valid_e164_number(actor: User) -> None:
    load_demo(actor=actor, contacts=500, seed=1)
    phones = list(Contact.objects.values_list("phone", flat=True))
    assert len(phones) == 500
    for phone in phones:
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone
    countries = {phonenumbers.region_code_for_number(phonenumbers.parse(p)) for p in phones}
    assert {"IN", "US", "GB", "AE", "SG", "DE"} <= countries


def test_some_demo_contacts_are_written_fully_in_devanagari(actor: User) -> None:
    load_demo(actor=actor, contacts=500, seed=1)
    names = list(Contact.objects.values_list("first_name", "last_name", "preferred_language"))
    devanagari = [
        (first, last, lang)
        for first, last, lang in names
        if _is_devanagari(first) and _is_devanagari(last)
    ]
    latin = [(first, last) for first, last, _lang in names if not _is_devanagari(first + last)]
    assert len(devanagari) >= 50
    assert len(latin) >= 250
    assert {lang for _f, _l, lang in devanagari} == {"hi"}


def test_search_finds_a_bulk_loaded_devanagari_contact(actor: User) -> None:
    load_demo(actor=actor, contacts=500, seed=1)
    target = (
        Contact.objects.filter(id__in=_bulk_loaded(), first_name="प्रिया").order_by("id").first()
    )
    assert target is not None
    hits = global_search(actor=actor, q=f"{target.first_name} {target.email}")
    assert [(hit.object_type, hit.id) for hit in hits] == [("contact", target.pk)]
    by_name = global_search(actor=actor, q=f"{target.first_name} {target.last_name}", limit=500)
    assert target.pk in {hit.id for hit in by_name}
    assert all(target.first_name in hit.title for hit in by_name)


def test_search_finds_a_service_created_devanagari_contact(actor: User) -> None:
    load_demo(actor=actor, contacts=SERVICE_CONTACTS, seed=1)
    target = Contact.objects.filter(last_name="शर्मा").order_by("id").first()
    assert target is not None
    hits = global_search(actor=actor, q=f"शर्मा {target.email}")
    assert [hit.id for hit in hits] == [target.pk]


def test_the_bulk_path_writes_exactly_n_contacts_and_one_audit_entry(actor: User) -> None:
    before = AuditEntry.objects.count()
    result = load_demo(actor=actor, contacts=500, seed=1)
    assert Contact.objects.count() == 500
    assert (result.service_contacts, result.bulk_contacts) == (200, 300)
    bulk_entries = list(AuditEntry.objects.filter(action="demo.load"))
    assert len(bulk_entries) == 1
    assert bulk_entries[0].changes == {"contacts": 300}
    assert bulk_entries[0].actor_id == actor.pk
    # Service-path contacts each have their own "create" entry; bulk ones do not.
    contact_creates = AuditEntry.objects.filter(object_type="contact", action="create")
    assert contact_creates.count() == 200
    assert AuditEntry.objects.count() > before
    assert audit_verify().ok


def test_the_bulk_path_leaves_postgresql_statistics_of_what_it_loaded(
    actor: User, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SAMBANDH_ANALYZE_MIN_ROWS = 100
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "contacts_contact"')  # empty: its statistics count 0 rows
    with CaptureQueriesContext(connection) as queries:
        load_demo(actor=actor, contacts=500, seed=1)
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "sqlite":
        assert analyzed == []
        return
    assert 'ANALYZE "contacts_contact"' in analyzed
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'contacts_contact'")
        assert cursor.fetchone()[0] == Contact.objects.count() == 500


def test_bulk_loaded_contacts_carry_owner_team_stage_tags_and_tier(actor: User) -> None:
    load_demo(actor=actor, contacts=500, seed=1)
    bulk = Contact.objects.filter(id__in=_bulk_loaded())
    assert bulk.count() == 300
    assert not bulk.filter(owner__isnull=True).exists()
    assert not bulk.filter(lifecycle_stage__isnull=True).exists()
    assert bulk.filter(tags__isnull=False).exists()
    assert bulk.filter(**{f"custom__{TIER_KEY}": "gold"}).exists()
    owners = set(bulk.values_list("owner__username", flat=True))
    assert owners <= {"asha", "rahul", "meera", "arjun", "vikram"}
    north_rep = User.objects.get(username="asha")
    assert set(bulk.filter(owner=north_rep).values_list("team__name", flat=True)) == {"North"}


def test_demo_users_companies_and_custom_field_are_created_once(actor: User) -> None:
    first = load_demo(actor=actor, contacts=0, seed=1)
    assert sorted(first.users) == sorted(
        ["vikram", "asha", "rahul", "meera", "arjun", "sunita", "neha"]
    )
    roles = dict(User.objects.values_list("username", "role__name"))
    assert roles["vikram"] == "Sales manager"
    assert roles["meera"] == "Sales rep"
    assert roles["sunita"] == "Support agent"
    assert roles["neha"] == "Marketer"
    assert User.objects.get(username="meera").check_password(first.users["meera"])
    tier = CustomFieldDefinition.objects.get(key=TIER_KEY)
    assert (tier.label_en, tier.label_hi) == ("Customer tier", "ग्राहक श्रेणी")
    companies = Account.objects.count()
    assert companies == len(demo_companies(1))
    assert Account.objects.filter(name="गंगा एग्रो ट्रेडर्स").exists()
    again = load_demo(actor=actor, contacts=0, seed=1)
    # Existing users keep their password: none is generated or shown again.
    assert again.users == {}
    assert Account.objects.count() == companies
    assert User.objects.get(username="meera").check_password(first.users["meera"])


def test_growing_from_start_adds_the_next_contacts_of_the_stream(actor: User) -> None:
    load_demo(actor=actor, contacts=250, seed=1)
    load_demo(actor=actor, contacts=100, seed=1, start=250)
    expected = [c.email for c in demo_contacts(1, 350, demo_companies(1))]
    assert list(Contact.objects.order_by("id").values_list("email", flat=True)) == expected
    assert AuditEntry.objects.filter(action="demo.load").count() == 2


def test_the_sales_demo_makes_deals_in_every_stage_orders_for_won_ones_and_reasons_for_lost(
    actor: User,
) -> None:
    from sambandh.sales.models import Deal, Order, Product, Territory

    result = load_demo(actor=actor, contacts=SERVICE_CONTACTS, seed=1, with_sales=True)
    assert result.deals == Deal.objects.count() == 40
    won = Deal.objects.filter(stage__is_won=True)
    lost = Deal.objects.filter(stage__is_lost=True)
    assert won.exists() and lost.exists()
    assert Order.objects.filter(deal__in=won).count() == won.count() == Order.objects.count()
    assert not lost.filter(lost_reason="").exists()
    assert Product.objects.filter(name_hi__gt="").count() == 7
    assert set(Territory.objects.values_list("name", flat=True)) == {
        "India", "North India", "South India", "International",
    }  # fmt: skip
    assert Contact.objects.filter(territory__isnull=False).exists()
    # Loading the sales part again adds nothing.
    from sambandh.cli.demo_sales import load_sales_demo

    users = {u.username: u for u in User.objects.all()}
    assert load_sales_demo(actor=actor, users=users, seed=1) == 0
    assert Deal.objects.count() == 40 and Product.objects.count() == 7
    assert audit_verify().ok
