"""Demo sales data: exchange rates, products and prices, territories, lead scoring, a lead
form, deals across the default pipeline (some won, which makes orders, some lost), and the
sales team's activities. Everything goes through the services, as a user would, so the demo
also exercises validation, permissions, audit and events. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import ExchangeRate, OrganisationSettings, Team, User
from sambandh.sales.models import Deal, LeadForm, PriceBook, Product, ScoringRule, Stage, Territory

# currency -> INR per unit, roughly, a year ago; it drifts a little every month.
RATES = {"USD": Decimal("83.10"), "EUR": Decimal("89.60"), "AED": Decimal("22.63")}
PRODUCTS = (
    # sku, English, Hindi, GST %, INR price, USD price
    ("SB-CRM-STD", "CRM licence, Standard (per user, yearly)", "सीआरएम लाइसेंस, स्टैंडर्ड (प्रति उपयोगकर्ता, वार्षिक)", "18", "12000", "150"),
    ("SB-CRM-PRO", "CRM licence, Professional (per user, yearly)", "सीआरएम लाइसेंस, प्रोफ़ेशनल (प्रति उपयोगकर्ता, वार्षिक)", "18", "24000", "300"),
    ("SB-ONBOARD", "Onboarding and data migration", "ऑनबोर्डिंग और डेटा स्थानांतरण", "18", "75000", "950"),
    ("SB-TRAIN-D", "Training day (on site)", "प्रशिक्षण दिवस (कार्यस्थल पर)", "18", "40000", "500"),
    ("SB-SUPPORT", "Priority support (yearly)", "प्राथमिकता सहायता (वार्षिक)", "18", "60000", "750"),
    ("SB-WA-PACK", "WhatsApp message pack (10,000)", "व्हाट्सऐप संदेश पैक (10,000)", "18", "9000", "110"),
    ("SB-BOOK-HI", "Printed user guide in Hindi", "हिन्दी में मुद्रित उपयोगकर्ता पुस्तिका", "5", "450", "6"),
)  # fmt: skip
DEAL_NAMES = (
    "CRM roll-out", "Annual renewal", "Sales team expansion", "Support upgrade",
    "WhatsApp campaigns", "Onboarding project", "Branch offices", "Pilot for the export unit",
)  # fmt: skip
LOST_REASONS = (
    "Chose a competitor on price.",
    "Budget moved to next year.",
    "No decision maker reachable.",
)
# Share of deals per stage position of the default pipeline (open stages, won, lost).
STAGE_WEIGHTS = (18, 14, 14, 10, 14, 8)


def _rates(actor: User, rng: random.Random, today: dt.date) -> None:
    from sambandh.core.rates import exchange_rate_set

    base = OrganisationSettings.get().base_currency
    for currency, start in RATES.items():
        if currency == base or ExchangeRate.objects.filter(currency=currency).exists():
            continue
        rate = start
        for months_back in range(12, -1, -1):
            on = (today.replace(day=1) - dt.timedelta(days=months_back * 30)).replace(day=1)
            rate = (rate * Decimal(str(1 + rng.uniform(-0.012, 0.015)))).quantize(Decimal("0.0001"))
            exchange_rate_set(actor=actor, currency=currency, rate_on=on.isoformat(), rate=rate)


def _products(actor: User) -> list[Product]:
    from sambandh.sales.services.catalog import price_book_entry_set, product_create

    book = PriceBook.objects.filter(is_default=True).first() or PriceBook.objects.first()
    products = []
    for sku, name_en, name_hi, tax, inr, usd in PRODUCTS:
        existing = Product.objects.filter(sku=sku).first()
        if existing is not None:
            products.append(existing)
            continue
        product = product_create(
            actor=actor,
            data={"sku": sku, "name_en": name_en, "name_hi": name_hi, "tax_rate": tax},
        )
        products.append(product)
        if book is not None:
            for currency, price in (("INR", inr), ("USD", usd)):
                price_book_entry_set(
                    actor=actor,
                    price_book=book,
                    data={"product_id": product.pk, "currency": currency, "unit_price": price},
                )
    return products


def _territories(actor: User, users: dict[str, User]) -> None:
    from sambandh.sales.services.territories import territory_create

    if Territory.objects.exists():
        return
    north = Team.objects.filter(name__iexact="North").first()
    south = Team.objects.filter(name__iexact="South").first()
    india = territory_create(actor=actor, data={"name": "India", "countries": ["IN"]})
    territory_create(
        actor=actor,
        data={
            "name": "North India",
            "parent_id": india.pk,
            "countries": ["IN"],
            "states": ["Delhi", "Uttar Pradesh", "Punjab", "Haryana", "Rajasthan"],
            "team_id": north.pk if north else None,
            "default_owner_id": users["rahul"].pk,
        },
    )
    territory_create(
        actor=actor,
        data={
            "name": "South India",
            "parent_id": india.pk,
            "countries": ["IN"],
            "states": ["Karnataka", "Tamil Nadu", "Kerala", "Telangana", "Andhra Pradesh"],
            "team_id": south.pk if south else None,
            "default_owner_id": users["meera"].pk,
        },
    )
    territory_create(
        actor=actor,
        data={
            "name": "International",
            "countries": ["US", "GB", "DE", "AE", "SG"],
            "default_owner_id": users["vikram"].pk,
        },
    )


def _lead_setup(actor: User) -> None:
    from sambandh.sales.services.leads import lead_form_create
    from sambandh.sales.services.scoring import scoring_rule_create

    if not ScoringRule.objects.exists():
        for data in (
            {"name": "Senior title", "kind": "attribute", "field": "job_title",
             "operator": "contains", "value": "Director", "points": 10},
            {"name": "Based in India", "kind": "attribute", "field": "country",
             "operator": "equals", "value": "IN", "points": 5},
            {"name": "Mid-size company or larger", "kind": "attribute",
             "field": "account.size_band", "operator": "gte", "value": "201-1000", "points": 15},
            {"name": "Filled in a web form", "kind": "behaviour", "event": "form_submitted",
             "points": 20, "decay_days": 30},
            {"name": "Met us", "kind": "behaviour", "event": "meeting_held", "points": 25,
             "decay_days": 60},
        ):  # fmt: skip
            scoring_rule_create(actor=actor, data=data)
    if not LeadForm.objects.exists():
        lead_form_create(
            actor=actor,
            data={
                "name": "Website enquiry",
                "slug": "website",
                "source": "website",
                "fields": ["email", "first_name", "last_name", "phone", "job_title"],
                "thank_you_en": "Thank you! We will call you within one working day.",
                "thank_you_hi": "धन्यवाद! हम एक कार्यदिवस में आपको फ़ोन करेंगे।",
            },
        )


def _deals(
    actor: User, users: dict[str, User], products: list[Product], rng: random.Random, count: int
) -> int:
    from sambandh.sales.services.deals import deal_create, deal_move_stage

    if Deal.objects.exists():
        return 0
    stages = list(Stage.objects.filter(pipeline__is_default=True).order_by("position"))
    accounts = list(Account.objects.order_by("id")[:60])
    if not stages or not accounts:
        return 0
    today = timezone.localdate()
    made = 0
    for number in range(count):
        account = accounts[number % len(accounts)]
        contact = Contact.objects.filter(account=account).order_by("id").first()
        owner = (
            User.objects.filter(pk=account.owner_id).first() if account.owner_id else None
        ) or users["asha"]
        currency = "INR" if account.country in ("IN", "") else rng.choice(("USD", "EUR", "AED"))
        lines = []
        for product in rng.sample(products, rng.randint(1, 3)):
            price = product.prices.filter(currency="USD" if currency != "INR" else "INR").first()
            if price is None:
                continue
            lines.append(
                {
                    "product_id": product.pk,
                    "quantity": str(rng.choice((1, 2, 5, 10, 25))),
                    "unit_price": str(price.unit_price),
                    "tax_rate": str(product.tax_rate),
                    "discount_percent": str(rng.choice((0, 0, 5, 10))),
                }
            )
        if currency not in ("INR", "USD"):
            lines = []  # priced in USD and INR only; other currencies carry an amount
        data: dict[str, Any] = {
            "name": f"{account.name}: {DEAL_NAMES[number % len(DEAL_NAMES)]}",
            "account_id": account.pk,
            "owner_id": owner.pk,
            "currency": currency,
            "amount": str(rng.randrange(50_000, 4_000_000, 5_000))
            if currency == "INR"
            else str(rng.randrange(2_000, 60_000, 500)),
            "expected_close_on": (today + dt.timedelta(days=rng.randint(-45, 180))).isoformat(),
            "source": rng.choice(("website", "referral", "trade fair", "partner")),
            "next_step": rng.choice(("Send the proposal", "Demo for the team", "Call the CFO")),
            "next_step_on": (today + dt.timedelta(days=rng.randint(-3, 14))).isoformat(),
            "forecast_category": rng.choice(("pipeline", "pipeline", "best_case", "commit")),
        }
        if contact is not None:
            data["contacts"] = [{"contact_id": contact.pk, "role": "decision_maker"}]
        if lines:
            data["line_items"] = lines
        deal = deal_create(actor=actor, data=data)
        target = rng.choices(range(len(stages)), weights=STAGE_WEIGHTS[: len(stages)])[0]
        for stage in stages[1 : target + 1]:
            reason = rng.choice(LOST_REASONS) if stage.is_lost else None
            if stage.is_lost and not stages[target].is_lost:
                continue
            if stage.is_won and stages[target].is_lost:
                continue
            deal = deal_move_stage(
                actor=actor, deal=deal, stage=stage, version=deal.version, lost_reason=reason
            )
        made += 1
    return made


def load_sales_demo(*, actor: User, users: dict[str, User], seed: int, deals: int = 40) -> int:
    """Sales data on top of the demo companies and contacts; returns the deals created."""
    rng = random.Random(f"sales:{seed}")  # noqa: S311 (demo data, not secrets)
    with transaction.atomic():
        _rates(actor, rng, timezone.localdate())
        products = _products(actor)
        _territories(actor, users)
        _lead_setup(actor)
        made = _deals(actor, users, products, rng, deals)
    return made
