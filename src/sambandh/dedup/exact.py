"""Exact duplicates: records of one object type that share an email, a phone or a domain.

One GROUP BY ... HAVING count(*) > 1 in the database over the records the actor can read
(so a group never shows, or counts, a record outside the actor's scope), then the ids of the
groups found, fetched by key through the same index. Pages are keyset-paged by key; nothing
counts all groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db import models
from django.db.models import Count, F
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.core.bulk import every_row
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType, User
from sambandh.core.pagination import Page, decode_cursor, encode_cursor
from sambandh.core.permissions import visible
from sambandh.dedup.types import DuplicateGroup

MAX_PAGE = 500
# Keys per id query when streaming every group: small enough for any database's parameter
# limit, large enough that round trips do not dominate.
KEY_BATCH = 500


@dataclass(frozen=True)
class ExactRule:
    object_type: str
    name: str
    model: type[models.Model]
    # The grouped expression; ``Lower("email")`` has its own index (contact_email_lower_idx).
    key: Any
    field: str


EXACT_RULES: dict[tuple[str, str], ExactRule] = {
    (r.object_type, r.name): r
    for r in (
        ExactRule(ObjectType.CONTACT, "email", Contact, Lower("email"), "email"),
        # Phones are stored in E.164 by the services, so equal numbers are equal strings.
        ExactRule(ObjectType.CONTACT, "phone", Contact, F("phone"), "phone"),
        # Domains are stored lower-cased without scheme or "www." (validation.clean_domain).
        ExactRule(ObjectType.ACCOUNT, "domain", Account, F("domain"), "domain"),
        ExactRule(ObjectType.ACCOUNT, "phone", Account, F("phone"), "phone"),
    )
}


def exact_rule(object_type: str, rule: str) -> ExactRule:
    found = EXACT_RULES.get((object_type, rule))
    if found is None:
        names = ", ".join(name for (ot, name) in EXACT_RULES if ot == object_type)
        raise ValidationError({"rule": [_("Choose one of: %(names)s.") % {"names": names}]})
    return found


def _grouped(actor: User, rule: ExactRule) -> models.QuerySet[Any, dict[str, Any]]:
    """The duplicate keys with their sizes, over the records ``actor`` may read, by key."""
    grouped = (
        visible(actor, rule.model)
        .exclude(**{rule.field: ""})
        .annotate(dedup_key=rule.key)
        .values("dedup_key")
        .annotate(size=Count("id"))
        .filter(size__gt=1)
        .order_by("dedup_key")
    )
    return cast("models.QuerySet[Any, dict[str, Any]]", grouped)


def _ids_by_key(actor: User, rule: ExactRule, keys: list[str]) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {key: [] for key in keys}
    rows = (
        visible(actor, rule.model)
        .annotate(dedup_key=rule.key)
        .filter(dedup_key__in=keys)
        .order_by()
        .values_list("dedup_key", "id")
    )
    for key, pk in rows:
        ids[key].append(pk)
    return ids


def _groups(actor: User, rule: ExactRule, keys: list[str]) -> list[DuplicateGroup]:
    if not keys:
        return []
    ids = _ids_by_key(actor, rule, keys)
    return [DuplicateGroup(rule.name, key, tuple(sorted(ids[key]))) for key in keys]


def exact_groups(
    *,
    actor: User,
    object_type: str,
    rule: str,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[DuplicateGroup]:
    """One page of duplicate groups under ``rule`` (``email``/``phone`` for contacts,
    ``domain``/``phone`` for accounts), ordered by key; two queries, no count."""
    found = exact_rule(object_type, rule)
    if limit < 1 or limit > MAX_PAGE:
        raise ValidationError({"limit": [_("Enter a number from 1 to %(n)d.") % {"n": MAX_PAGE}]})
    grouped = _grouped(actor, found)
    sort = f"dedup:{object_type}:{rule}"
    if cursor:
        (after,) = decode_cursor(cursor, sort, 1)
        if not isinstance(after, str):
            raise ValidationError({"cursor": [_("This cursor is not valid for this list.")]})
        grouped = grouped.filter(dedup_key__gt=after)
    keys = [row["dedup_key"] for row in grouped[: limit + 1]]
    more = len(keys) > limit
    keys = keys[:limit]
    next_cursor = encode_cursor(sort, [keys[-1]]) if more else None
    return Page(items=_groups(actor, found, keys), next_cursor=next_cursor)


def iter_exact_groups(
    *, actor: User, object_type: str, rule: str, batch: int = KEY_BATCH
) -> Iterator[DuplicateGroup]:
    """Every duplicate group under ``rule``, streamed: one grouped query read in chunks, and
    one id query per ``batch`` keys. For background work (review queue, data quality)."""
    found = exact_rule(object_type, rule)
    keys: list[str] = []
    for row in every_row(_grouped(actor, found), chunk_size=batch):
        keys.append(row["dedup_key"])
        if len(keys) >= batch:
            yield from _groups(actor, found, keys)
            keys = []
    yield from _groups(actor, found, keys)
