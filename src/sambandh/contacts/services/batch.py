"""Batches of contacts or companies: create, update or upsert up to ``BATCH_MAX`` records in
one call, each through the same service as a single write (validation, permission, audit,
events, search), with a result per record.

Semantics, stated: by default every valid record is written and every invalid one is
reported (each record in its own savepoint, so a failure leaves no trace of that record);
with ``all_or_nothing`` one failure writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.contacts.models import Account, Contact
from sambandh.contacts.services.records import (
    account_create,
    account_update,
    contact_create,
    contact_update,
)
from sambandh.core import validation
from sambandh.core.errors import NotFound, SambandhError, ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import visible

BATCH_MAX = 1000
MODES = ("create", "update", "upsert")


@dataclass
class RecordResult:
    index: int
    status: str  # created, updated, failed, rolled_back
    id: int | None = None
    code: str | None = None
    message: str | None = None
    fields: dict[str, list[str]] | None = None


@dataclass
class BatchResult:
    applied: bool
    results: list[RecordResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class _Kind:
    model: type[Contact] | type[Account]
    keys: Mapping[str, Callable[[Any], str]]  # match_on -> cleaner of the looked-up value
    create: Callable[..., Any]
    update: Callable[..., Any]


def _contact_update(*, actor: User, obj: Any, data: dict[str, Any], version: int | None) -> Any:
    return contact_update(actor=actor, contact=obj, data=data, version=version)


def _account_update(*, actor: User, obj: Any, data: dict[str, Any], version: int | None) -> Any:
    return account_update(actor=actor, account=obj, data=data, version=version)


KINDS: dict[str, _Kind] = {
    ObjectType.CONTACT: _Kind(
        Contact, {"email": validation.clean_email}, contact_create, _contact_update
    ),
    ObjectType.ACCOUNT: _Kind(
        Account, {"domain": validation.clean_domain}, account_create, _account_update
    ),
}


def match_keys(object_type: str) -> tuple[str, ...]:
    return ("id", *KINDS[object_type].keys)


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"version": [_("Enter a whole number.")]})
    return value


def _existing(actor: User, kind: _Kind, match_on: str, data: dict[str, Any]) -> Any | None:
    """The record ``data`` names by ``match_on``, among those the actor may read (the update
    service then says whether they may change it: 403, not a second record)."""
    records = visible(actor, kind.model, Action.READ)
    if match_on == "id":
        pk = data.pop("id", None)
        if pk is None:
            return None
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise ValidationError({"id": [_("Enter a whole number.")]})
        found = records.filter(pk=pk).first()
        if found is None:
            raise NotFound()
        return found
    try:
        value = kind.keys[match_on](data.get(match_on))
    except ValueError as exc:
        raise ValidationError({match_on: [str(exc)]}) from exc
    if not value:
        return None
    matches = list(records.filter(**{match_on: value}).order_by("id")[:2])
    if len(matches) > 1:
        raise ValidationError(
            {match_on: [_("More than one record has this value; send its id instead.")]}
        )
    return matches[0] if matches else None


def _one(actor: User, kind: _Kind, mode: str, match_on: str, index: int, raw: Any) -> RecordResult:
    if not isinstance(raw, dict):
        raise ValidationError(message=_("Each record must be an object."))
    data = dict(raw)
    version = _version(data.pop("version", None))
    if mode == "create":
        if "id" in data:
            raise ValidationError({"id": [_("A new record cannot have an id.")]})
        existing = None
    else:
        existing = _existing(actor, kind, match_on, data)
    data.pop("id", None)
    if existing is None:
        if mode == "update":
            raise NotFound()
        obj = kind.create(actor=actor, data=data)
        return RecordResult(index, "created", obj.pk)
    obj = kind.update(actor=actor, obj=existing, data=data, version=version)
    return RecordResult(index, "updated", obj.pk)


def _failure(index: int, exc: SambandhError) -> RecordResult:
    fields = getattr(exc, "fields", None) or None
    return RecordResult(
        index,
        "failed",
        code=exc.code,
        message=exc.message,
        fields={k: list(v) for k, v in fields.items()} if fields else None,
    )


def records_batch(
    *,
    actor: User,
    object_type: str,
    records: list[Any],
    mode: str = "create",
    match_on: str = "id",
    all_or_nothing: bool = False,
) -> BatchResult:
    """Write ``records`` (dicts of the single-record API's fields, plus ``id`` and ``version``
    for updates) as ``mode`` says; ``match_on`` finds the record to update (``id``, or the
    contact's email or the company's domain)."""
    kind = KINDS[object_type]
    errors: dict[str, list[str]] = {}
    if mode not in MODES:
        errors["mode"] = [_("Choose one of: %(names)s.") % {"names": ", ".join(MODES)}]
    if match_on not in match_keys(object_type):
        errors["match_on"] = [
            _("Choose one of: %(names)s.") % {"names": ", ".join(match_keys(object_type))}
        ]
    if not records:
        errors["records"] = [_("Send at least one record.")]
    elif len(records) > BATCH_MAX:
        errors["records"] = [_("Send at most %(n)d records at a time.") % {"n": BATCH_MAX}]
    if errors:
        raise ValidationError(errors)
    results: list[RecordResult] = []
    with transaction.atomic():
        for index, raw in enumerate(records):
            try:
                with transaction.atomic():
                    results.append(_one(actor, kind, mode, match_on, index, raw))
            except SambandhError as exc:
                results.append(_failure(index, exc))
        failed = any(r.status == "failed" for r in results)
        if all_or_nothing and failed:
            transaction.set_rollback(True)
            for r in results:
                if r.status != "failed":
                    r.status, r.id = "rolled_back", None
            return BatchResult(applied=False, results=results)
    return BatchResult(applied=True, results=results)
