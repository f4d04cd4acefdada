"""A hand-computed forecast data set, made through the services (rates, deals, territories).

Base currency INR. USD rates: 80.00 from 2025-01-01, 82.00 from 2025-02-15 (mid-month),
84.00 from 2025-04-01. No EUR rate at all. Stage probabilities: Qualification 10, Needs
analysis 25, Proposal 50, Negotiation 75.

Open deals (weighted = amount x probability x rate at expected_close_on):
  owner    North West  1000.00 USD  Qualification 10%  2025-02-10 pipeline   -> 1000*.10*80 =   8000.00
  owner    North West  1000.00 USD  Proposal 50%       2025-02-20 best_case  -> 1000*.50*82 =  41000.00
  teammate North East  200000 INR   Negotiation 75%    2025-01-31 commit     -> 150000.00
  outsider South East  2500.10 USD  Needs analysis 25% 2025-03-05 pipeline   -> 625.025*82 =  51252.05
  outsider South  -    50000 INR    manual 33%         2025-03-31 commit     ->  16500.00
  owner    North West  700 EUR      Qualification 10%  2025-01-15 pipeline   -> no rate (missing)
Left out: a lost deal, an open deal in April, an "omitted" one, a deal won in December 2024.
Won deals (full amount at the rate of closed_on):
  owner    North West  3000 USD  closed 2025-02-14  -> 3000*80 = 240000.00
  outsider South East  100000 INR closed 2025-03-01 -> 100000.00
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sambandh.core.models import User
from sambandh.core.rates import exchange_rate_set
from sambandh.sales.models import Deal, Pipeline, Stage, Territory
from sambandh.sales.services.deals import deal_create, deal_move_stage


def stage(label: str) -> Stage:
    return Stage.objects.get(pipeline=Pipeline.objects.get(is_default=True), label_en=label)


def territory(admin: User, name: str) -> Territory:
    from sambandh.sales.services.territories import territory_create

    return territory_create(actor=admin, data={"name": name})


def usd_rates(admin: User) -> None:
    for on, rate in (("2025-01-01", "80"), ("2025-02-15", "82"), ("2025-04-01", "84")):
        exchange_rate_set(actor=admin, currency="USD", rate_on=on, rate=rate)


def make_deal(admin: User, owner: User, *, stage_label: str, **data: Any) -> Deal:
    """An open deal owned by ``owner`` in the owner's first team (unless given)."""
    team = owner.teams.order_by("id").first()
    data.setdefault("team_id", team.pk if team else None)
    data.setdefault("name", f"{owner.username} {stage_label} {data.get('amount')}")
    return deal_create(
        actor=admin, data={"owner_id": owner.pk, "stage_id": stage(stage_label).pk, **data}
    )


def win(admin: User, deal: Deal, closed_on: str) -> Deal:
    """Win through the service, then date the win: the service dates a win today, and history
    needs earlier dates (there is no way to win a deal in the past through the product)."""
    deal = deal_move_stage(actor=admin, deal=deal, stage=stage("Won"), version=deal.version)
    Deal.objects.filter(pk=deal.pk).update(closed_on=dt.date.fromisoformat(closed_on))
    deal.refresh_from_db()
    return deal


def lose(admin: User, deal: Deal) -> Deal:
    return deal_move_stage(
        actor=admin, deal=deal, stage=stage("Lost"), version=deal.version, lost_reason="Price"
    )


def build(admin: User, owner: User, teammate: User, outsider: User) -> dict[str, Any]:
    usd_rates(admin)
    west, east = territory(admin, "West"), territory(admin, "East")
    d = make_deal
    d(admin, owner, stage_label="Qualification", amount="1000", currency="USD",
      expected_close_on="2025-02-10", territory_id=west.pk)  # fmt: skip
    d(admin, owner, stage_label="Proposal", amount="1000", currency="USD",
      expected_close_on="2025-02-20", forecast_category="best_case", territory_id=west.pk)  # fmt: skip
    d(admin, teammate, stage_label="Negotiation", amount="200000", currency="INR",
      expected_close_on="2025-01-31", forecast_category="commit", territory_id=east.pk)  # fmt: skip
    d(admin, outsider, stage_label="Needs analysis", amount="2500.10", currency="USD",
      expected_close_on="2025-03-05", territory_id=east.pk)  # fmt: skip
    d(admin, outsider, stage_label="Qualification", amount="50000", currency="INR",
      probability=33, expected_close_on="2025-03-31", forecast_category="commit")  # fmt: skip
    d(admin, owner, stage_label="Qualification", amount="700", currency="EUR",
      expected_close_on="2025-01-15", territory_id=west.pk)  # fmt: skip
    # Left out of every number below.
    lost = d(admin, owner, stage_label="Proposal", amount="9999", currency="INR",
             expected_close_on="2025-02-01")  # fmt: skip
    lose(admin, lost)
    d(admin, owner, stage_label="Proposal", amount="5555", currency="INR",
      expected_close_on="2025-04-10")  # fmt: skip
    d(admin, teammate, stage_label="Proposal", amount="4444", currency="INR",
      expected_close_on="2025-01-20", forecast_category="omitted")  # fmt: skip
    early = d(admin, owner, stage_label="Negotiation", amount="1", currency="USD",
              expected_close_on="2024-12-01")  # fmt: skip
    win(admin, early, "2024-12-20")
    # Won in the range.
    w1 = d(admin, owner, stage_label="Negotiation", amount="3000", currency="USD",
           expected_close_on="2025-02-28", territory_id=west.pk)  # fmt: skip
    win(admin, w1, "2025-02-14")
    w2 = d(admin, outsider, stage_label="Proposal", amount="100000", currency="INR",
           expected_close_on="2025-03-15", territory_id=east.pk)  # fmt: skip
    win(admin, w2, "2025-03-01")
    return {"west": west, "east": east}


D = Decimal
