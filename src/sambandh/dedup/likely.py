"""Is this new record already there? The check to run before a create (UI and API warn).

A fixed number of indexed, bounded queries, whatever the table's size: one by email (the
lower(email) index), one by phone (the phone index), one by name (ranges on the name indexes
for the same blocking keys the batch matcher uses, within the same company or city; at most
``NAME_CANDIDATES`` rows scored). Only records the actor may read are considered.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.contacts.services.cleaning import default_region
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType, User
from sambandh.core.permissions import visible
from sambandh.dedup import fuzzy, normalise, scoring
from sambandh.dedup.types import Match, ordered_reasons

NAME_CANDIDATES = 200
EXACT_CANDIDATES = 50
DEFAULT_LIMIT = 10


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _phone(data: Mapping[str, Any]) -> str:
    raw = _text(data, "phone")
    if not raw:
        return ""
    try:
        return validation.clean_phone(raw, default_region=default_region(dict(data), None))
    except ValueError:
        return ""  # not a number yet: nothing to compare


def _prefix_q(field: str, prefix: str) -> models.Q:
    """``field`` starts with ``prefix`` in any of its usual cases, as index ranges
    (``LIKE 'x%'`` cannot use a B-tree index on PostgreSQL or a case-sensitive one on SQLite).
    """
    forms = {prefix, prefix.capitalize(), prefix.upper()}
    return reduce(
        operator.or_,
        (
            models.Q(**{f"{field}__gte": form, f"{field}__lt": form[:-1] + chr(ord(form[-1]) + 1)})
            for form in sorted(forms)
        ),
    )


def _person_name_q(tokens: tuple[str, ...]) -> models.Q | None:
    """The rows sharing a blocking key with ``tokens`` (see ``normalise.person_keys``)."""
    words = list(dict.fromkeys(tokens))
    if not words:
        return None
    if len(words) == 1:
        head = words[0][:3]
        return _prefix_q("last_name", head) | _prefix_q("first_name", head)
    parts = [
        (_prefix_q("last_name", a[:2]) & _prefix_q("first_name", b[:1]))
        | (_prefix_q("first_name", a[:2]) & _prefix_q("last_name", b[:1]))
        for i, a in enumerate(words)
        for j, b in enumerate(words)
        if i != j and len(a) >= 2
    ]
    return reduce(operator.or_, parts) if parts else None


def _account_id(data: Mapping[str, Any]) -> int | None:
    value = data.get("account_id")
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class _Found:
    def __init__(self) -> None:
        self.scores: dict[int, float] = {}
        self.reasons: dict[int, set[str]] = {}

    def add(self, pk: int, score: float, *reasons: str) -> None:
        self.scores[pk] = max(score, self.scores.get(pk, 0.0))
        self.reasons.setdefault(pk, set()).update(reasons)

    def matches(self, limit: int) -> list[Match]:
        ranked = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [
            Match(pk, round(score, 1), ordered_reasons(self.reasons[pk])) for pk, score in ranked
        ]


def _contact_matches(
    actor: User, data: Mapping[str, Any], exclude_id: int | None, threshold: float, limit: int
) -> list[Match]:
    people = visible(actor, Contact)
    if exclude_id is not None:
        people = people.exclude(pk=exclude_id)
    found = _Found()
    email = _text(data, "email").lower()
    if email:
        by_email = people.annotate(email_lower=Lower("email")).filter(email_lower=email)
        for pk in by_email.values_list("id", flat=True)[:EXACT_CANDIDATES]:
            found.add(pk, 100.0, "email")
    phone = _phone(data)
    if phone:
        for pk in people.filter(phone=phone).values_list("id", flat=True)[:EXACT_CANDIDATES]:
            found.add(pk, 100.0, "phone")
    tokens = normalise.name_tokens(_text(data, "first_name"), _text(data, "last_name"))
    name_q = _person_name_q(tokens)
    city = _text(data, "city")
    account_id = _account_id(data)
    if name_q is not None and (city or account_id is not None):
        # The fuzzy rule: alike names within the same company or city.
        where = models.Q(pk__in=[])
        if city:
            where |= models.Q(city__iexact=city)
        if account_id is not None:
            where |= models.Q(account_id=account_id)
        rows = people.filter(name_q).filter(where).values_list(*fuzzy.PERSON_COLUMNS)
        city_norm = normalise.normalise(city)
        for row in rows[:NAME_CANDIDATES]:
            candidate = fuzzy.PersonRow(*row)
            score = scoring.name_similarity(
                tokens, normalise.name_tokens(candidate.first_name, candidate.last_name)
            )
            if score < threshold:
                continue
            reasons = ["name"]
            if account_id is not None and candidate.account_id == account_id:
                reasons.append("company")
            if city_norm and normalise.normalise(candidate.city) == city_norm:
                reasons.append("city")
            found.add(candidate.id, score, *reasons)
    return found.matches(limit)


def _account_matches(
    actor: User, data: Mapping[str, Any], exclude_id: int | None, threshold: float, limit: int
) -> list[Match]:
    companies = visible(actor, Account)
    if exclude_id is not None:
        companies = companies.exclude(pk=exclude_id)
    found = _Found()
    try:
        domain = validation.clean_domain(_text(data, "domain") or _text(data, "website"))
    except ValueError:
        domain = ""
    if domain:
        for pk in companies.filter(domain=domain).values_list("id", flat=True)[:EXACT_CANDIDATES]:
            found.add(pk, 100.0, "domain")
    phone = _phone(data)
    if phone:
        for pk in companies.filter(phone=phone).values_list("id", flat=True)[:EXACT_CANDIDATES]:
            found.add(pk, 100.0, "phone")
    tokens = normalise.company_tokens(_text(data, "name"))
    if tokens:
        name_q = reduce(operator.or_, (_prefix_q("name", t[:3]) for t in tokens[:2] if t))
        rows = companies.filter(name_q).values_list(*fuzzy.COMPANY_COLUMNS)
        city_norm = normalise.normalise(_text(data, "city"))
        for row in rows[:NAME_CANDIDATES]:
            candidate = fuzzy.CompanyRow(*row)
            if domain and candidate.domain and candidate.domain != domain:
                continue  # two web domains: two companies
            score = scoring.company_similarity(tokens, normalise.company_tokens(candidate.name))
            if score < threshold:
                continue
            reasons = ["name"]
            if city_norm and normalise.normalise(candidate.city) == city_norm:
                reasons.append("city")
            found.add(candidate.id, score, *reasons)
    return found.matches(limit)


def likely_duplicates(
    actor: User,
    object_type: str,
    data: Mapping[str, Any],
    *,
    exclude_id: int | None = None,
    threshold: float | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Match]:
    """Records ``actor`` can read that ``data`` (the raw fields of a contact or company about
    to be created or saved) probably duplicates, best first: the same email, phone or domain
    (score 100), or an alike name within the same company or city. ``exclude_id`` leaves out
    the record being edited. Raw input is fine: values that do not parse are ignored."""
    if threshold is not None and not 0 <= threshold <= 100:
        raise ValidationError({"threshold": [_("Enter a number from 0 to 100.")]})
    if object_type == ObjectType.CONTACT:
        cutoff = fuzzy.DEFAULT_THRESHOLD if threshold is None else threshold
        return _contact_matches(actor, data, exclude_id, cutoff, limit)
    if object_type == ObjectType.ACCOUNT:
        cutoff = fuzzy.DEFAULT_ACCOUNT_THRESHOLD if threshold is None else threshold
        return _account_matches(actor, data, exclude_id, cutoff, limit)
    raise ValidationError({"object_type": [_("Choose contact or company.")]})


def likely_records(
    actor: User, object_type: str, data: Mapping[str, Any], *, limit: int = 5
) -> list[tuple[Contact | Account, Match]]:
    """``likely_duplicates`` with each match's record (one more query), best first, for the
    warning a create form or the API shows."""
    matches = likely_duplicates(actor, object_type, data, limit=limit)
    if not matches:
        return []
    model: type[Contact] | type[Account] = Contact if object_type == ObjectType.CONTACT else Account
    records = visible(actor, model).in_bulk([m.id for m in matches])
    return [(records[m.id], m) for m in matches if m.id in records]
