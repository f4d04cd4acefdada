"""Test data for the catalogue, quote and order tests, made through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import User
from sambandh.sales.models import Deal

_seq = itertools.count(1)


def make_deal(
    actor: User,
    *,
    account: Account | None = None,
    contacts: list[tuple[Contact, str]] | None = None,
    line_items: list[dict[str, Any]] | None = None,
    **data: Any,
) -> Deal:
    """A deal through the deals service, with people (and roles) and line items."""
    from sambandh.sales.services.deals import deal_create

    data.setdefault("name", f"Deal {next(_seq)}")
    data.setdefault("currency", "INR")
    if account is not None:
        data["account_id"] = account.pk
    if contacts:
        data["contacts"] = [{"contact_id": c.pk, "role": role} for c, role in contacts]
    if line_items:
        data["line_items"] = line_items
    return deal_create(actor=actor, data=data)
