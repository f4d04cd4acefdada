"""Records as the API and the exports show them: plain dicts, keys in the response schema's
order, custom values only for the keys the reader may read.

Shaping works on rows (a mapping of column values, as ``selectors.contact_rows`` reads them),
so a list page needs no model instances; a single record is turned into the same row first.
Keys are in the order of the response schema, so the JSON is the same either way.

Each kind is one table of (output key, source column). ``*_row_out`` shapes a row mapping;
``*_maker`` builds a page's records straight from the database's tuples (one dict per record,
not two) and ``*_finish`` then completes them once the readable custom keys are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sambandh.contacts import selectors

Maker = Callable[[Sequence[Any]], dict[str, Any]]

# Output key -> the row column it starts from; the keys the finishers compute start from a
# column of their own (``tags`` from ``tag_names``, ``full_name`` from ``first_name``).
_RECORD = (
    ("street", "street"),
    ("city", "city"),
    ("state", "state"),
    ("postal_code", "postal_code"),
    ("country", "country"),
    ("id", "id"),
    ("version", "version"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("owner_id", "owner_id"),
    ("team_id", "team_id"),
    ("tags", "tag_names"),
    ("custom", "custom"),
)
CONTACT_COLUMNS = (
    *_RECORD,
    ("salutation", "salutation"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("full_name", "first_name"),
    ("email", "email"),
    ("other_emails", "other_emails"),
    ("phone", "phone"),
    ("other_phones", "other_phones"),
    ("job_title", "job_title"),
    ("account_id", "account_id"),
    ("preferred_language", "preferred_language"),
    ("time_zone", "time_zone"),
    ("birthday", "birthday"),
    ("anniversary", "anniversary"),
    ("lifecycle_stage", "lifecycle_stage_key"),
    ("source", "source"),
    ("do_not_contact", "do_not_contact"),
)
ACCOUNT_COLUMNS = (
    *_RECORD,
    ("name", "name"),
    ("domain", "domain"),
    ("website", "website"),
    ("industry", "industry"),
    ("size_band", "size_band"),
    ("annual_revenue", "annual_revenue"),
    ("annual_revenue_currency", "annual_revenue_currency"),
    ("type", "type"),
    ("phone", "phone"),
    ("parent_id", "parent_id"),
)


def _maker(columns: Sequence[tuple[str, str]]) -> Callable[[Sequence[str]], Maker]:
    keys = tuple(key for key, _source in columns)

    def factory(names: Sequence[str]) -> Maker:
        position = {name: i for i, name in enumerate(names)}
        pick = itemgetter(*(position[source] for _key, source in columns))
        return lambda row: dict(zip(keys, pick(row), strict=True))

    return factory


def _finish_record(out: dict[str, Any], readable: set[str]) -> None:
    out["tags"] = selectors.tag_names_in(out["tags"])
    custom = out["custom"]
    # Only the readable keys of active definitions (see custom_fields.visible_values).
    out["custom"] = {k: v for k, v in custom.items() if k in readable} if custom else {}


def contact_finish(out: dict[str, Any], readable: set[str]) -> dict[str, Any]:
    """A made contact record completed; ``readable`` are the custom keys the actor may read."""
    _finish_record(out, readable)
    # As Contact.full_name.
    out["full_name"] = " ".join(part for part in (out["first_name"], out["last_name"]) if part)
    out["other_emails"] = list(out["other_emails"] or [])
    out["other_phones"] = list(out["other_phones"] or [])
    return out


def account_finish(out: dict[str, Any], readable: set[str]) -> dict[str, Any]:
    """A made company record completed; money as a decimal string plus currency."""
    _finish_record(out, readable)
    revenue = out["annual_revenue"]
    out["annual_revenue"] = None if revenue is None else f"{revenue:.2f}"
    return out


contact_maker = _maker(CONTACT_COLUMNS)
account_maker = _maker(ACCOUNT_COLUMNS)


def contact_row_out(row: Mapping[str, Any], readable: set[str]) -> dict[str, Any]:
    """A contact row as the API shows it; ``readable`` are the custom keys the actor may read."""
    return contact_finish({key: row[source] for key, source in CONTACT_COLUMNS}, readable)


def account_row_out(row: Mapping[str, Any], readable: set[str]) -> dict[str, Any]:
    """A company row as the API shows it; money as a decimal string plus currency."""
    return account_finish({key: row[source] for key, source in ACCOUNT_COLUMNS}, readable)
