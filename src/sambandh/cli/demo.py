"""Demo data: Indian and international companies and people, deterministic for a seed.

Two paths write the data:

* The **service path** creates the demo users and teams, the "Customer tier" custom field, the
  tags, every company and the first ``SERVICE_CONTACTS`` contacts (with some notes) through the
  services, exactly as a user would: each write has its audit entry, domain event and search
  document.
* The **bulk path** writes every further contact in batches of ``BATCH_SIZE`` rows, one
  transaction per batch, with ``executemany`` (the statement ``bulk_create`` would build, minus
  its per-value ORM conversion, which halved the rate), indexes their search documents with
  ``search_index_bulk`` in the same transactions, and records ONE audit entry
  (``action="demo.load"``, ``changes={"contacts": <count>}``) for the whole bulk part instead of
  one per contact, so that a million contacts load in minutes. No domain events are emitted for
  bulk-loaded contacts: nothing downstream needs to react to demo data.

Emails use the reserved ``.example`` top-level domain (RFC 2606), so no demo address can reach
a real mailbox. Phones are real-looking E.164 numbers that ``phonenumbers`` accepts as valid.
"""

from __future__ import annotations

import functools
import multiprocessing
import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import phonenumbers
from django.db import connection, transaction
from django.utils import timezone

from sambandh.contacts import services as contact_services
from sambandh.contacts.models import Account, Contact, LifecycleStage, Tag
from sambandh.contacts.services import contact_document
from sambandh.core import services as core_services
from sambandh.core.audit import audit_record
from sambandh.core.bulk import PlannerStatistics
from sambandh.core.models import CustomFieldDefinition, ObjectType, Role, Team, User
from sambandh.core.search import search_index_bulk

SERVICE_CONTACTS = 200
BATCH_SIZE = 5000
TIER_KEY = "customer_tier"
BULK_CACHE_KIB = 512 * 1024

# ----------------------------------------------------------------- places


@dataclass(frozen=True)
class City:
    name: str
    state: str
    country: str
    time_zone: str
    # For the US the area codes of the city, so the phone matches the place.
    area_codes: tuple[str, ...] = ()


INDIAN_CITIES = (
    City("Mumbai", "Maharashtra", "IN", "Asia/Kolkata"),
    City("Delhi", "Delhi", "IN", "Asia/Kolkata"),
    City("Bengaluru", "Karnataka", "IN", "Asia/Kolkata"),
    City("Chennai", "Tamil Nadu", "IN", "Asia/Kolkata"),
    City("Hyderabad", "Telangana", "IN", "Asia/Kolkata"),
    City("Pune", "Maharashtra", "IN", "Asia/Kolkata"),
    City("Kolkata", "West Bengal", "IN", "Asia/Kolkata"),
    City("Jaipur", "Rajasthan", "IN", "Asia/Kolkata"),
    City("Lucknow", "Uttar Pradesh", "IN", "Asia/Kolkata"),
    City("Ahmedabad", "Gujarat", "IN", "Asia/Kolkata"),
    City("Indore", "Madhya Pradesh", "IN", "Asia/Kolkata"),
    City("Kochi", "Kerala", "IN", "Asia/Kolkata"),
)
FOREIGN_CITIES = (
    City("New York", "NY", "US", "America/New_York", ("212", "646", "917")),
    City("San Francisco", "CA", "US", "America/Los_Angeles", ("415", "628")),
    City("Chicago", "IL", "US", "America/Chicago", ("312", "773")),
    City("Seattle", "WA", "US", "America/Los_Angeles", ("206",)),
    City("London", "England", "GB", "Europe/London"),
    City("Manchester", "England", "GB", "Europe/London"),
    City("Dubai", "Dubai", "AE", "Asia/Dubai"),
    City("Abu Dhabi", "Abu Dhabi", "AE", "Asia/Dubai"),
    City("Singapore", "", "SG", "Asia/Singapore"),
    City("Berlin", "Berlin", "DE", "Europe/Berlin"),
    City("Munich", "Bavaria", "DE", "Europe/Berlin"),
)

# National-number prefixes per country whose every completion to ``length`` digits is valid;
# checked once (``_valid_prefixes``) so the bulk path need not validate a million numbers.
PHONE_PLANS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    # country: (calling code, national length, candidate prefixes)
    "IN": (
        "91",
        10,
        ("98", "99", "97", "96", "94", "93", "90", "88", "87", "81", "80", "79", "70", "63", "62"),
    ),
    "GB": ("44", 10, ("771", "772", "773", "774", "775", "776", "778", "779", "780", "784")),
    "AE": ("971", 9, ("50", "52", "55", "56")),
    "SG": ("65", 8, ("81", "82", "83", "84", "85", "86", "87", "88", "91", "92", "93", "94")),
    "DE": ("49", 11, ("151", "152", "160", "170", "171", "172", "175", "176", "177", "178")),
}


@functools.cache
def _valid_prefixes(country: str) -> tuple[str, ...]:
    code, length, candidates = PHONE_PLANS[country]
    probe = random.Random(country)  # fixed: the same prefixes on every run
    kept = []
    for prefix in candidates:
        samples = (
            prefix + "".join(probe.choice("0123456789") for _ in range(length - len(prefix)))
            for _ in range(60)
        )
        if all(_is_valid(f"+{code}{number}") for number in samples):
            kept.append(prefix)
    return tuple(kept)


@functools.cache
def _valid_us_area_codes(codes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code for code in codes if _is_valid(f"+1{code}2345678"))


def _is_valid(e164: str) -> bool:
    return bool(phonenumbers.is_valid_number(phonenumbers.parse(e164)))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10**n)).zfill(n)


def demo_phone(rng: random.Random, city: City) -> str:
    """A valid E.164 mobile number in the city's country."""
    if city.country == "US":
        # NXX exchange: first digit 2-9; 555 is avoided (reserved for fiction, often invalid).
        area = rng.choice(_valid_us_area_codes(city.area_codes))
        exchange = str(rng.randrange(2, 10)) + _digits(rng, 2)
        if exchange == "555":
            exchange = "556"
        return f"+1{area}{exchange}{_digits(rng, 4)}"
    code, length, _candidates = PHONE_PLANS[city.country]
    prefix = rng.choice(_valid_prefixes(city.country))
    return f"+{code}{prefix}{_digits(rng, length - len(prefix))}"


# ----------------------------------------------------------------- people


# (Latin first, Devanagari first, gender) and (Latin last, Devanagari last).
INDIAN_FIRST = (
    ("Priya", "प्रिया", "f"),
    ("Ananya", "अनन्या", "f"),
    ("Kavita", "कविता", "f"),
    ("Sunita", "सुनीता", "f"),
    ("Pooja", "पूजा", "f"),
    ("Neha", "नेहा", "f"),
    ("Deepa", "दीपा", "f"),
    ("Lakshmi", "लक्ष्मी", "f"),
    ("Aditi", "अदिति", "f"),
    ("Meera", "मीरा", "f"),
    ("Rahul", "राहुल", "m"),
    ("Amit", "अमित", "m"),
    ("Vikram", "विक्रम", "m"),
    ("Arjun", "अर्जुन", "m"),
    ("Rohan", "रोहन", "m"),
    ("Suresh", "सुरेश", "m"),
    ("Rajesh", "राजेश", "m"),
    ("Anil", "अनिल", "m"),
    ("Karthik", "कार्तिक", "m"),
    ("Imran", "इमरान", "m"),
    ("Harpreet", "हरप्रीत", "f"),
    ("Siddharth", "सिद्धार्थ", "m"),
)
INDIAN_LAST = (
    ("Sharma", "शर्मा"),
    ("Verma", "वर्मा"),
    ("Gupta", "गुप्ता"),
    ("Singh", "सिंह"),
    ("Patel", "पटेल"),
    ("Iyer", "अय्यर"),
    ("Reddy", "रेड्डी"),
    ("Nair", "नायर"),
    ("Mehta", "मेहता"),
    ("Joshi", "जोशी"),
    ("Chatterjee", "चटर्जी"),
    ("Agarwal", "अग्रवाल"),
    ("Khan", "ख़ान"),
    ("Kulkarni", "कुलकर्णी"),
    ("Yadav", "यादव"),
    ("Bose", "बोस"),
    ("Pillai", "पिल्लई"),
    ("Saxena", "सक्सेना"),
)
FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "US": (
        ("James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Maria"),
        ("Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Lopez"),
    ),
    "GB": (
        ("Oliver", "Amelia", "Harry", "Olivia", "George", "Isla", "Jack", "Sophie", "Aisha"),
        ("Taylor", "Evans", "Wilson", "Thomas", "Roberts", "Walker", "Wright", "Hughes"),
    ),
    "AE": (
        ("Mohammed", "Fatima", "Ahmed", "Mariam", "Omar", "Aisha", "Khalid", "Noura"),
        ("Al Mansoori", "Al Hashimi", "Al Nuaimi", "Haddad", "Khoury", "Al Suwaidi"),
    ),
    "SG": (
        ("Wei Ling", "Jun Jie", "Hui Min", "Kai", "Siti", "Ravi", "Mei", "Darren"),
        ("Tan", "Lim", "Lee", "Ng", "Wong", "Goh", "Chua", "Rahman"),
    ),
    "DE": (
        ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Hannah", "Maximilian", "Sophie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann"),
    ),
}
JOB_TITLES = (
    "Managing Director",
    "Chief Financial Officer",
    "Head of Procurement",
    "Purchase Manager",
    "Operations Manager",
    "IT Manager",
    "Marketing Manager",
    "Sales Executive",
    "Founder",
    "Accountant",
    "Plant Head",
    "HR Business Partner",
)
HINDI_JOB_TITLES = ("प्रबंध निदेशक", "क्रय प्रबंधक", "संस्थापक", "लेखाकार", "बिक्री अधिकारी")
SOURCES = ("website", "referral", "trade fair", "cold call", "import", "partner", "whatsapp")
STAGE_WEIGHTS = (
    ("subscriber", 10),
    ("lead", 30),
    ("marketing_qualified", 10),
    ("sales_qualified", 10),
    ("opportunity", 10),
    ("customer", 20),
    ("evangelist", 2),
    ("dormant", 4),
    ("churned", 3),
    ("reactivated", 1),
)
TAGS = ("VIP", "Newsletter", "Trade fair 2025", "दिवाली ऑफ़र", "Partner", "Decision maker")
TIERS = (
    {"value": "gold", "label_en": "Gold", "label_hi": "स्वर्ण"},
    {"value": "silver", "label_en": "Silver", "label_hi": "रजत"},
    {"value": "bronze", "label_en": "Bronze", "label_hi": "कांस्य"},
)
NOTES = (
    "Met at the trade fair; wants a quote before Diwali.",
    "Prefers calls after 4 pm IST.",
    "अगले हफ़्ते डेमो का समय तय करना है।",
    "Asked for GST invoice details and payment terms (30 days).",
    "भुगतान की शर्तों पर दोबारा बात करनी है।",
    "Renewal due next quarter; budget approved.",
)


# ----------------------------------------------------------------- companies


@dataclass(frozen=True)
class DemoCompany:
    name: str
    domain: str
    industry: str
    city: City
    size_band: str
    type: str


_COMPANIES = (
    ("Ganga Agro Industries Pvt Ltd", "gangaagro", "Agriculture", "Lucknow"),
    ("गंगा एग्रो ट्रेडर्स", "gangatraders", "Agriculture", "Jaipur"),
    ("Sahyadri Textiles Ltd", "sahyadritex", "Textiles", "Pune"),
    ("Navrang Software Solutions", "navrangsoft", "Software", "Bengaluru"),
    ("Deccan Logistics Pvt Ltd", "deccanlogistics", "Logistics", "Hyderabad"),
    ("Kaveri Pharma Ltd", "kaveripharma", "Pharmaceuticals", "Chennai"),
    ("Himalaya Tea Traders", "himalayatea", "Food and beverages", "Kolkata"),
    ("श्री बालाजी स्टील्स", "balajisteels", "Steel", "Ahmedabad"),
    ("Malabar Spices Export Co", "malabarspices", "Exports", "Kochi"),
    ("Indus Fintech Pvt Ltd", "indusfintech", "Financial services", "Mumbai"),
    ("Rajputana Handicrafts", "rajputanacrafts", "Retail", "Jaipur"),
    ("Narmada Cement Works", "narmadacement", "Construction", "Indore"),
    ("Yamuna Healthcare", "yamunahealth", "Healthcare", "Delhi"),
    ("Northwind Analytics Inc.", "northwind-analytics", "Software", "Seattle"),
    ("Hudson Bay Capital LLC", "hudsonbaycap", "Financial services", "New York"),
    ("Golden Gate Robotics", "ggrobotics", "Manufacturing", "San Francisco"),
    ("Lakeshore Foods Inc.", "lakeshorefoods", "Food and beverages", "Chicago"),
    ("Thames Valley Consulting Ltd", "thamesvalley", "Consulting", "London"),
    ("Pennine Engineering Ltd", "pennine-eng", "Manufacturing", "Manchester"),
    ("Al Noor Trading LLC", "alnoortrading", "Trading", "Dubai"),
    ("Falcon Gulf Logistics", "falcongulf", "Logistics", "Abu Dhabi"),
    ("Lion City Payments Pte Ltd", "lioncitypay", "Financial services", "Singapore"),
    ("Merlion Marine Pte Ltd", "merlionmarine", "Shipping", "Singapore"),
    ("Rheinwerk Maschinenbau GmbH", "rheinwerk", "Manufacturing", "Munich"),
    ("Spree Digital GmbH", "spreedigital", "Software", "Berlin"),
)
_SIZE_BANDS = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+")
_ACCOUNT_TYPES = ("prospect", "customer", "customer", "partner", "reseller", "vendor")


def _city(name: str) -> City:
    return next(c for c in (*INDIAN_CITIES, *FOREIGN_CITIES) if c.name == name)


def demo_companies(seed: int) -> list[DemoCompany]:
    """Every demo company, the same for the same seed."""
    rng = random.Random(f"companies:{seed}")
    return [
        DemoCompany(
            name=name,
            domain=f"{slug}.example",
            industry=industry,
            city=_city(city),
            size_band=rng.choice(_SIZE_BANDS),
            type=rng.choice(_ACCOUNT_TYPES),
        )
        for name, slug, industry, city in _COMPANIES
    ]


# ----------------------------------------------------------------- users


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    teams: tuple[str, ...]
    language: str = "en"


DEMO_USERS = (
    DemoUser("vikram", "Vikram", "Malhotra", "Sales manager", ("North", "South")),
    DemoUser("asha", "Asha", "Rao", "Sales rep", ("North",), "hi"),
    DemoUser("rahul", "Rahul", "Verma", "Sales rep", ("North",)),
    DemoUser("meera", "Meera", "Iyer", "Sales rep", ("South",)),
    DemoUser("arjun", "Arjun", "Reddy", "Sales rep", ("South",)),
    DemoUser("sunita", "Sunita", "Das", "Support agent", (), "hi"),
    DemoUser("neha", "Neha", "Kapoor", "Marketer", ()),
)
# Contacts go to the sales reps (and a few to the manager).
_OWNER_USERNAMES = ("asha", "rahul", "meera", "arjun", "asha", "rahul", "meera", "arjun", "vikram")


# ----------------------------------------------------------------- contacts


@dataclass
class DemoContact:
    """One generated contact; references to companies and owners are by position."""

    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    city: City
    preferred_language: str
    lifecycle_stage: str
    source: str
    company: int | None
    owner: str
    tags: list[str] = field(default_factory=list)
    tier: str | None = None
    do_not_contact: bool = False


def _ascii(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "contact"


_GERMAN_ASCII = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"})


def demo_contacts(seed: int, count: int, companies: list[DemoCompany]) -> Iterator[DemoContact]:
    """``count`` contacts, generated in order from one random stream: the same seed gives the
    same contacts, and the first k contacts do not depend on ``count``."""
    rng = random.Random(seed)
    stages = [key for key, _w in STAGE_WEIGHTS]
    weights = [w for _k, w in STAGE_WEIGHTS]
    by_country: dict[str, list[int]] = {}
    for index, company in enumerate(companies):
        by_country.setdefault(company.city.country, []).append(index)
    for i in range(count):
        indian = rng.random() < 0.7
        if indian:
            first, first_hi, _gender = rng.choice(INDIAN_FIRST)
            last, last_hi = rng.choice(INDIAN_LAST)
            city = rng.choice(INDIAN_CITIES)
            devanagari = rng.random() < 0.3
            ascii_first, ascii_last = _ascii(first), _ascii(last)
            if devanagari:
                first, last = first_hi, last_hi
            language = "hi" if devanagari or rng.random() < 0.25 else "en"
            job = rng.choice(HINDI_JOB_TITLES) if devanagari else rng.choice(JOB_TITLES)
        else:
            city = rng.choice(FOREIGN_CITIES)
            firsts, lasts = FOREIGN_NAMES[city.country]
            first, last = rng.choice(firsts), rng.choice(lasts)
            ascii_first = _ascii(first.lower().translate(_GERMAN_ASCII))
            ascii_last = _ascii(last.lower().translate(_GERMAN_ASCII))
            language = "en"
            job = rng.choice(JOB_TITLES)
        candidates = by_country.get(city.country, [])
        at = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
        domain = companies[at].domain if at is not None else "mail.example"
        tags = sorted({rng.choice(TAGS) for _ in range(rng.choice((0, 0, 1, 1, 2)))})
        yield DemoContact(
            first_name=first,
            last_name=last,
            # The position keeps every address unique, even at a million contacts.
            email=f"{ascii_first}.{ascii_last}.{i + 1}@{domain}",
            phone=demo_phone(rng, city),
            job_title=job,
            city=city,
            preferred_language=language,
            lifecycle_stage=rng.choices(stages, weights)[0],
            source=rng.choice(SOURCES),
            company=at,
            owner=_OWNER_USERNAMES[rng.randrange(len(_OWNER_USERNAMES))],
            tags=tags,
            tier=rng.choice((None, None, "gold", "silver", "bronze")),
            do_not_contact=rng.random() < 0.03,
        )


# ----------------------------------------------------------------- loading


@dataclass
class DemoResult:
    users: dict[str, str] = field(default_factory=dict)  # username -> new password
    companies: int = 0
    service_contacts: int = 0
    bulk_contacts: int = 0
    deals: int = 0
    bulk_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def contacts(self) -> int:
        return self.service_contacts + self.bulk_contacts

    @property
    def bulk_rows_per_second(self) -> float:
        return self.bulk_contacts / self.bulk_seconds if self.bulk_seconds else 0.0


def _ensure_team(actor: User, name: str) -> Team:
    team = Team.objects.filter(name__iexact=name).first()
    return team or core_services.team_create(actor=actor, name=name)


def _ensure_users(actor: User, result: DemoResult) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        existing = User.objects.filter(username__iexact=spec.username).first()
        if existing is not None:
            users[spec.username] = existing
            continue
        password = secrets.token_urlsafe(12)
        users[spec.username] = core_services.user_create(
            actor=actor,
            data={
                "username": spec.username,
                "email": f"{spec.username}@sambandh.example",
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "language": spec.language,
                "time_zone": "Asia/Kolkata",
                "role_id": Role.objects.get(name=spec.role).pk,
                "team_ids": [_ensure_team(actor, name).pk for name in spec.teams],
                "password": password,
            },
        )
        result.users[spec.username] = password
    return users


def _ensure_tier_field(actor: User) -> None:
    if CustomFieldDefinition.objects.filter(object_type=ObjectType.CONTACT, key=TIER_KEY).exists():
        return
    core_services.custom_field_create(
        actor=actor,
        data={
            "object_type": ObjectType.CONTACT,
            "key": TIER_KEY,
            "field_type": "choice",
            "label_en": "Customer tier",
            "label_hi": "ग्राहक श्रेणी",
            "choices": list(TIERS),
        },
    )


def _ensure_tags(actor: User) -> None:
    for name in TAGS:
        if not Tag.objects.filter(name__iexact=name).exists():
            contact_services.tag_create(actor=actor, name=name)


def _create_companies(
    actor: User, companies: list[DemoCompany], users: dict[str, User], rng: random.Random
) -> list[Account]:
    accounts: list[Account] = []
    for company in companies:
        owner = users[rng.choice(_OWNER_USERNAMES)]
        existing = Account.objects.filter(domain=company.domain).first()
        if existing is not None:
            accounts.append(existing)
            continue
        accounts.append(
            contact_services.account_create(
                actor=actor,
                data={
                    "name": company.name,
                    "domain": company.domain,
                    "website": f"https://www.{company.domain}",
                    "industry": company.industry,
                    "size_band": company.size_band,
                    "type": company.type,
                    "city": company.city.name,
                    "state": company.city.state,
                    "country": company.city.country,
                    "owner_id": owner.pk,
                    "team_id": _owner_team(owner),
                },
            )
        )
    return accounts


def _owner_team(owner: User) -> int | None:
    return owner.teams.order_by("id").values_list("id", flat=True).first()


def _service_data(
    row: DemoContact, accounts: list[Account], owner: User, team_id: int | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "phone": row.phone,
        "job_title": row.job_title,
        "city": row.city.name,
        "state": row.city.state,
        "country": row.city.country,
        "time_zone": row.city.time_zone,
        "preferred_language": row.preferred_language,
        "lifecycle_stage": row.lifecycle_stage,
        "source": row.source,
        "do_not_contact": row.do_not_contact,
        "owner_id": owner.pk,
        "team_id": team_id,
        "tags": row.tags,
    }
    if row.company is not None:
        data["account_id"] = accounts[row.company].pk
    if row.tier:
        data["custom"] = {TIER_KEY: row.tier}
    return data


def load_demo(
    *,
    actor: User,
    contacts: int = SERVICE_CONTACTS,
    seed: int = 1,
    start: int = 0,
    out: Callable[[str], None] | None = None,
    with_sales: bool = False,
) -> DemoResult:
    """Load demo users, companies and contacts ``start`` .. ``start + contacts - 1`` of the
    seed's stream, acting as the administrator ``actor``. Users, teams, tags, the custom field
    and companies are created only when missing, so a database can be grown in steps.

    Contacts numbered below ``SERVICE_CONTACTS`` go through the services; the rest through the
    bulk path described in this module's docstring (one ``demo.load`` audit entry for them all).
    ``with_sales`` adds deals, products, orders and the rest of ``demo_sales`` on a first load.
    """
    say = out or (lambda _text: None)
    started = time.perf_counter()
    result = DemoResult()
    companies = demo_companies(seed)
    with transaction.atomic():
        users = _ensure_users(actor, result)
        _ensure_tier_field(actor)
        _ensure_tags(actor)
        accounts = _create_companies(actor, companies, users, random.Random(f"owners:{seed}"))
    result.companies = len(accounts)
    team_of = {username: _owner_team(user) for username, user in users.items()}
    end = start + contacts
    service_end = max(start, min(end, SERVICE_CONTACTS))
    # Only the service part of the stream; empty when ``start`` is past it.
    rows = demo_contacts(seed, service_end if service_end > start else 0, companies)
    note_rng = random.Random(f"notes:{seed}")
    with transaction.atomic():
        for number, row in enumerate(rows):
            note = note_rng.random() < 0.3
            if number < start:
                continue
            owner = users[row.owner]
            contact = contact_services.contact_create(
                actor=actor, data=_service_data(row, accounts, owner, team_of[row.owner])
            )
            if note:
                contact_services.note_create(
                    actor=owner, body=NOTES[number % len(NOTES)], contact=contact
                )
    result.service_contacts = service_end - start
    if result.service_contacts:
        say(f"{result.service_contacts} contacts created through the services")
    if with_sales and start == 0 and result.service_contacts:
        from sambandh.cli.demo_sales import load_sales_demo

        result.deals = load_sales_demo(actor=actor, users=users, seed=seed)
        say(f"{result.deals} deals with products, orders and activities")

    bulk_start = max(start, SERVICE_CONTACTS)
    if end > bulk_start:
        bulk_started = time.perf_counter()
        plan = _BulkPlan(
            seed=seed,
            skip=bulk_start,
            count=end - bulk_start,
            companies=companies,
            stage_ids=dict(LifecycleStage.objects.values_list("key", "id")),
            account_ids=[a.pk for a in accounts],
            owner_ids={username: user.pk for username, user in users.items()},
            team_of=team_of,
            tag_ids={t.name: t.pk for t in Tag.objects.filter(name__in=TAGS)},
        )
        _bulk_load(actor, plan, say)
        result.bulk_contacts = plan.count
        result.bulk_seconds = time.perf_counter() - bulk_started
    result.total_seconds = time.perf_counter() - started
    return result


# Columns the bulk path fills per row, in insert order (after ``id``, before ``custom``).
_VARYING = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "city",
    "state",
    "country",
    "time_zone",
    "preferred_language",
    "lifecycle_stage_id",
    "source",
    "do_not_contact",
    "account_id",
    "owner_id",
    "team_id",
)

# One generated row: the varying values, the tier, the tag ids and the search document.
_BulkRow = tuple[tuple[Any, ...], str | None, tuple[int, ...], str]


@dataclass(frozen=True)
class _BulkPlan:
    """What the row generator needs: plain values only, so it can run in another process."""

    seed: int
    skip: int
    count: int
    companies: list[DemoCompany]
    stage_ids: dict[str, int]
    account_ids: list[int]
    owner_ids: dict[str, int]
    team_of: dict[str, int | None]
    tag_ids: dict[str, int]


class _DocumentSource:
    """The attributes ``contact_document`` reads, without building a model instance."""

    __slots__ = ("city", "email", "first_name", "job_title", "last_name", "phone")
    salutation = ""
    other_emails: tuple[str, ...] = ()
    other_phones: tuple[str, ...] = ()

    def __init__(self, row: DemoContact) -> None:
        self.first_name = row.first_name
        self.last_name = row.last_name
        self.email = row.email
        self.phone = row.phone
        self.job_title = row.job_title
        self.city = row.city.name


def _bulk_rows(plan: _BulkPlan) -> Iterator[list[_BulkRow]]:
    """Batches of ``BATCH_SIZE`` generated rows, after the first ``skip`` rows of the stream."""
    rows = demo_contacts(plan.seed, plan.skip + plan.count, plan.companies)
    for _i in range(plan.skip):
        next(rows)
    batch: list[_BulkRow] = []
    for row in rows:
        varying = (
            row.first_name,
            row.last_name,
            row.email,
            row.phone,
            row.job_title,
            row.city.name,
            row.city.state,
            row.city.country,
            row.city.time_zone,
            row.preferred_language,
            plan.stage_ids.get(row.lifecycle_stage),
            row.source,
            row.do_not_contact,
            plan.account_ids[row.company] if row.company is not None else None,
            plan.owner_ids[row.owner],
            plan.team_of[row.owner],
        )
        tags = tuple(plan.tag_ids[name] for name in row.tags)
        # The very document the services write, from the same fields.
        document_text = contact_document(cast(Contact, _DocumentSource(row)))
        batch.append((varying, row.tier, tags, document_text))
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _produce(plan: _BulkPlan, queue: Any) -> None:
    try:
        for batch in _bulk_rows(plan):
            queue.put(batch)
        queue.put(None)
    except BaseException as exc:  # reported to the parent, which raises it
        queue.put(repr(exc))


def _bulk_batches(plan: _BulkPlan) -> Iterator[list[_BulkRow]]:
    """The batches, generated in a forked process where possible.

    Generating rows costs about as much CPU as the database's inserts; a second process lets
    the two overlap on a two-core machine. The child never touches a database connection.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from _bulk_rows(plan)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    producer = context.Process(target=_produce, args=(plan, queue), daemon=True)
    producer.start()
    try:
        while True:
            item = queue.get()
            if item is None:
                break
            if isinstance(item, str):
                raise RuntimeError(f"demo row generator failed: {item}")
            yield item
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join(timeout=10)


def _allocate_contact_ids(count: int) -> list[int]:
    """Ids for ``count`` new contacts, taken the way the database would hand them out."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('contacts_contact', 'id')) "
                "FROM generate_series(1, %s)",
                [count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        # SQLite AUTOINCREMENT: above every id ever used. The caller's transaction holds the
        # write lock (IMMEDIATE), so nobody can take these ids meanwhile.
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence"
            " WHERE name = 'contacts_contact'), 0),"
            " COALESCE((SELECT MAX(id) FROM contacts_contact), 0))"
        )
        start = int(cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


def _insert_sql(actor: User) -> tuple[str, tuple[Any, ...], dict[str | None, Any]]:
    """The INSERT (id, varying columns, constant columns, custom), the constant columns'
    database values, and the ``custom`` value per tier: each converted by its field once.

    Converting every value of every row through the ORM (what ``bulk_create`` does) costs
    more than generating and inserting the row, so the bulk path sends plain tuples.
    """
    now = timezone.now()
    template = Contact(created_by_id=actor.pk, created_at=now, updated_at=now)
    fields = {f.attname: f for f in Contact._meta.local_concrete_fields}
    constant_names = [n for n in fields if n not in (*_VARYING, "id", "custom")]
    order = ["id", *_VARYING, *constant_names, "custom"]
    constants = tuple(
        fields[n].get_db_prep_save(getattr(template, n), connection) for n in constant_names
    )
    custom = fields["custom"]
    custom_values: dict[str | None, Any] = {
        tier: custom.get_db_prep_save({TIER_KEY: tier} if tier else {}, connection)
        for tier in (None, *(t["value"] for t in TIERS))
    }
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(fields[n].column)) for n in order)
    placeholders = ", ".join(["%s"] * len(order))
    table = quote(Contact._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    return sql, constants, custom_values


def _insert_rows(insert_sql: str, rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` on SQLite; COPY on PostgreSQL, where one INSERT per row is a round trip."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(insert_sql, rows)
            return
        head = insert_sql.split(" VALUES ", 1)[0].removeprefix("INSERT INTO ")
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {head} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _bulk_load(actor: User, plan: _BulkPlan, say: Callable[[str], None]) -> None:
    insert_sql, constants, custom_values = _insert_sql(actor)
    through = Contact.tags.through._meta
    tag_sql = (
        f"INSERT INTO {connection.ops.quote_name(through.db_table)} "  # noqa: S608
        "(contact_id, tag_id) VALUES (%s, %s)"
    )
    if connection.vendor == "sqlite":
        # Fourteen indexes on contacts: keep their pages in memory while a million rows land.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    done = 0
    started = time.perf_counter()
    statistics = PlannerStatistics()
    for batch in _bulk_batches(plan):
        with transaction.atomic():
            ids = _allocate_contact_ids(len(batch))
            pairs = list(zip(ids, batch, strict=True))
            contact_rows = [
                (pk, *varying, *constants, custom_values[tier])
                for pk, (varying, tier, _tags, _doc) in pairs
            ]
            tag_rows = [(pk, tag_id) for pk, (_v, _t, tags, _doc) in pairs for tag_id in tags]
            documents = [(pk, doc) for pk, (_v, _t, _tags, doc) in pairs]
            _insert_rows(insert_sql, contact_rows)
            if tag_rows:
                _insert_rows(tag_sql, tag_rows)
            search_index_bulk(ObjectType.CONTACT, documents)
            statistics.grew(Contact, len(contact_rows))
            statistics.grew(Contact.tags.through, len(tag_rows))
            statistics.refresh()  # PostgreSQL: the first queries after a load plan well
        done += len(batch)
        if done % (BATCH_SIZE * 20) == 0 or done == plan.count:
            rate = done / (time.perf_counter() - started)
            say(f"{done:,} contacts bulk-loaded ({rate:,.0f} rows/s)")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="demo.load",
            object_type=ObjectType.CONTACT,
            object_repr="demo data (bulk)",
            changes={"contacts": plan.count},
        )
