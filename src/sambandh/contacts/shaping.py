"""Records as the API and the exports show them: plain dicts, keys in the response schema's
order, custom values only for the keys the reader may read.

Shaping works on rows (a mapping of column values, as ``selectors.contact_rows`` reads them),
so a list page needs no model instances; a single record is turned into the same row first.
Keys are in the order of the response schema, so the JSON is the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sambandh.contacts import selectors


def _record_out(row: Mapping[str, Any], readable: set[str]) -> dict[str, Any]:
    custom = row["custom"] or {}
    return {
        "street": row["street"],
        "city": row["city"],
        "state": row["state"],
        "postal_code": row["postal_code"],
        "country": row["country"],
        "id": row["id"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "owner_id": row["owner_id"],
        "team_id": row["team_id"],
        "tags": selectors.tag_names_of(row),
        # Only the readable keys of active definitions (see custom_fields.visible_values).
        "custom": {k: v for k, v in custom.items() if k in readable},
    }


def contact_row_out(row: Mapping[str, Any], readable: set[str]) -> dict[str, Any]:
    """A contact row as the API shows it; ``readable`` are the custom keys the actor may read."""
    first_name, last_name = row["first_name"], row["last_name"]
    return {
        **_record_out(row, readable),
        "salutation": row["salutation"],
        "first_name": first_name,
        "last_name": last_name,
        # As Contact.full_name.
        "full_name": " ".join(part for part in (first_name, last_name) if part),
        "email": row["email"],
        "other_emails": list(row["other_emails"] or []),
        "phone": row["phone"],
        "other_phones": list(row["other_phones"] or []),
        "job_title": row["job_title"],
        "account_id": row["account_id"],
        "preferred_language": row["preferred_language"],
        "time_zone": row["time_zone"],
        "birthday": row["birthday"],
        "anniversary": row["anniversary"],
        "lifecycle_stage": row["lifecycle_stage_key"],
        "source": row["source"],
        "do_not_contact": row["do_not_contact"],
    }


def account_row_out(row: Mapping[str, Any], readable: set[str]) -> dict[str, Any]:
    """A company row as the API shows it; money as a decimal string plus currency."""
    revenue = row["annual_revenue"]
    return {
        **_record_out(row, readable),
        "name": row["name"],
        "domain": row["domain"],
        "website": row["website"],
        "industry": row["industry"],
        "size_band": row["size_band"],
        "annual_revenue": None if revenue is None else f"{revenue:.2f}",
        "annual_revenue_currency": row["annual_revenue_currency"],
        "type": row["type"],
        "phone": row["phone"],
        "parent_id": row["parent_id"],
    }
