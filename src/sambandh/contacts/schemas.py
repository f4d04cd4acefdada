"""API schemas of companies (accounts), contacts, notes, tags, search hits and history.

Input types are deliberately loose (strings, not formats): the services parse and validate
every value and answer with translated per-field messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from sambandh.core.schemas import Id, In, Version

Text = str | None
Tags = list[str] | None


class RecordOut(Schema):
    id: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    owner_id: int | None
    team_id: int | None
    tags: list[str]
    custom: dict[str, Any] = Field(
        description="Custom-field values by key; sensitive fields only with a field grant."
    )


class AddressOut(Schema):
    street: str
    city: str
    state: str
    postal_code: str
    country: str


class ContactOut(RecordOut, AddressOut):
    salutation: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    other_emails: list[str]
    phone: str = Field(description="E.164, e.g. +919876543210; empty when unknown.")
    other_phones: list[str]
    job_title: str
    account_id: int | None
    preferred_language: str
    time_zone: str
    birthday: dt.date | None
    anniversary: dt.date | None
    lifecycle_stage: str | None
    source: str
    do_not_contact: bool


class AccountOut(RecordOut, AddressOut):
    name: str
    domain: str
    website: str
    industry: str
    size_band: str
    annual_revenue: str | None = Field(description='A decimal string, e.g. "1250000.00".')
    annual_revenue_currency: str
    type: str
    phone: str
    parent_id: int | None


class ContactPageOut(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class AccountPageOut(Schema):
    items: list[AccountOut]
    next_cursor: str | None


class AddressIn(In):
    street: Text = None
    city: Text = None
    state: Text = None
    postal_code: Text = None
    country: Text = None


class ContactIn(AddressIn):
    salutation: Text = None
    first_name: Text = None
    last_name: Text = None
    email: Text = None
    other_emails: list[str] | None = None
    phone: Text = None
    other_phones: list[str] | None = None
    job_title: Text = None
    account_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    preferred_language: Text = None
    time_zone: Text = None
    birthday: Text = Field(None, description="YYYY-MM-DD")
    anniversary: Text = Field(None, description="YYYY-MM-DD")
    lifecycle_stage: Text = Field(None, description="A lifecycle stage key, e.g. lead.")
    source: Text = None
    do_not_contact: bool | None = None
    tags: Tags = Field(None, description="Tag names; new names create tags (with a grant).")
    custom: dict[str, Any] | None = None


class ContactPatchIn(ContactIn):
    version: Version


class AccountIn(AddressIn):
    name: Text = None
    domain: Text = None
    website: Text = None
    industry: Text = None
    size_band: Text = None
    annual_revenue: Text = Field(None, description='A decimal string, e.g. "1250000.00".')
    annual_revenue_currency: Text = Field(None, description="ISO 4217, e.g. INR.")
    type: Text = None
    phone: Text = None
    parent_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    tags: Tags = None
    custom: dict[str, Any] | None = None


class AccountCreateIn(AccountIn):
    name: str


class AccountPatchIn(AccountIn):
    version: Version


class NoteOut(Schema):
    id: int
    version: int
    body: str
    contact_id: int | None
    account_id: int | None
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class NotePageOut(Schema):
    items: list[NoteOut]
    next_cursor: str | None


class NoteIn(In):
    body: str


class NotePatchIn(In):
    body: str
    version: Version


class TagOut(Schema):
    id: int
    name: str
    color: str
    created_at: dt.datetime


class TagIn(In):
    name: str
    color: Text = Field(None, description="#rrggbb")


class TagPatchIn(In):
    name: Text = None
    color: Text = None


class SearchHitOut(Schema):
    object_type: str
    id: int
    title: str
    subtitle: str


class HistoryEntryOut(Schema):
    seq: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    changes: dict[str, Any]


class HistoryPageOut(Schema):
    items: list[HistoryEntryOut]
    next_cursor: str | None


class DuplicateOut(Schema):
    id: int
    title: str
    score: float = Field(description="0 to 100; 100 for the same email, phone or domain.")
    reasons: list[str] = Field(
        description="The fields that agree: email, phone, domain, name, company, city."
    )


class BatchIn(Schema):
    mode: str = Field("create", description="create, update or upsert.")
    match_on: str = Field(
        "id",
        description="How update and upsert find a record: id, or email (contacts) or domain "
        "(companies).",
    )
    all_or_nothing: bool = Field(
        False, description="One failed record writes nothing at all (default: the valid ones)."
    )
    records: list[dict[str, Any]] = Field(
        description="1 to 1,000 records, each with the fields of the single-record API, plus "
        "`id` and `version` for updates.",
        min_length=1,
        max_length=1000,
    )


class BatchRecordOut(Schema):
    index: int
    status: str = Field(description="created, updated, failed or rolled_back.")
    id: int | None
    code: str | None
    message: str | None
    fields: dict[str, list[str]] | None


class BatchOut(Schema):
    applied: bool = Field(description="False when all_or_nothing met a failure: nothing written.")
    created: int
    updated: int
    failed: int
    results: list[BatchRecordOut]
