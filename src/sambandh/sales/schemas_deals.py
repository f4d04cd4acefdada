"""API schemas of pipelines, stages and deals (with contacts, line items and stage history).

Input types are loose (strings for amounts and dates): the services parse and validate every
value and answer with translated per-field messages."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from sambandh.core.schemas import Id, In, Version

Text = str | None


class StageOut(Schema):
    id: int
    label: str
    label_en: str
    label_hi: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool
    rot_days: int | None


class PipelineOut(Schema):
    id: int
    label: str
    label_en: str
    label_hi: str
    position: int
    is_default: bool
    is_active: bool
    stages: list[StageOut]


class DealContactOut(Schema):
    contact_id: int
    name: str
    role: str


class DealContactIn(In):
    contact_id: Id
    role: str = Field("other", description="decision_maker, economic_buyer, influencer, ...")


class DealContactsIn(In):
    contacts: list[DealContactIn]
    version: Version


class LineItemOut(Schema):
    id: int
    product_id: int | None
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    position: int


class LineItemIn(In):
    product_id: Id | None = None
    description: Text = None
    quantity: Text = Field(None, description='A decimal string, e.g. "2"; default 1.')
    unit_price: Text = Field(None, description='A decimal string, e.g. "1500.00".')
    discount_percent: Text = None
    tax_rate: Text = None


class LineItemsIn(In):
    items: list[LineItemIn]
    version: Version


class DealOut(Schema):
    id: int
    version: int
    name: str
    pipeline_id: int
    stage_id: int
    stage: str
    is_open: bool
    is_won: bool
    is_lost: bool
    account_id: int | None
    owner_id: int | None
    team_id: int | None
    territory_id: int | None
    amount: str = Field(description='A decimal string, e.g. "125000.00".')
    currency: str
    expected_close_on: dt.date | None
    probability: int
    is_probability_manual: bool
    forecast_category: str
    source: str
    next_step: str
    next_step_on: dt.date | None
    lost_reason: str
    stage_entered_at: dt.datetime
    closed_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DealDetailOut(DealOut):
    contacts: list[DealContactOut]
    line_items: list[LineItemOut]


class DealPageOut(Schema):
    items: list[DealOut]
    next_cursor: str | None


class DealIn(In):
    name: Text = None
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    account_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    territory_id: Id | None = None
    amount: Text = Field(None, description='A decimal string, e.g. "125000.00".')
    currency: Text = Field(None, description="ISO 4217, e.g. INR; default the base currency.")
    expected_close_on: Text = Field(None, description="YYYY-MM-DD")
    probability: int | None = Field(None, description="0 to 100; null: the stage's default.")
    is_probability_manual: bool | None = None
    forecast_category: Text = None
    source: Text = None
    next_step: Text = None
    next_step_on: Text = Field(None, description="YYYY-MM-DD")
    lost_reason: Text = Field(None, description="Required when the stage is a lost one.")


class DealCreateIn(DealIn):
    name: str
    contacts: list[DealContactIn] | None = None
    line_items: list[LineItemIn] | None = None


class DealPatchIn(DealIn):
    version: Version


class DealMoveIn(In):
    stage_id: Id
    version: Version
    lost_reason: Text = None


class StageSpanOut(Schema):
    stage_id: int
    stage: str
    entered_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int = Field(description="Time spent in the stage (up to now for the current one).")
    is_current: bool
    changed_by_id: int | None
