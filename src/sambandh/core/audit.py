"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from sambandh.core.context import current_request_id
from sambandh.core.models import AuditChainHead, AuditEntry, User

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq,
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "request_id": entry.request_id,
    }
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(entry)).hexdigest()


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str = "",
    object_id: object = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Append one entry. Runs inside the caller's transaction, so it rolls back with the change.

    No savepoint of its own: an entry that fails spoils the caller's transaction, as it must,
    and a savepoint would make SQLite's search index write out its pending changes (an
    import records an entry a chunk).
    """
    with transaction.atomic(savepoint=False):
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            actor=actor if actor is not None and actor.pk else None,
            actor_label=actor_label or (actor.get_username() if actor is not None else ""),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=object_repr[:200],
            # JSON round trip: what is hashed must equal what the database gives back.
            changes=json.loads(json.dumps(changes or {}, default=str)),
            request_id=current_request_id(),
            prev_hash=head.hash,
        )
        # The database keeps microseconds; truncate nothing else so the hash is stable.
        entry.hash = entry_hash(head.hash, entry)
        entry.save(force_insert=True)
        head.seq = entry.seq
        head.hash = entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def audit_verify(*, batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in order: any edited, deleted, inserted or reordered entry breaks it."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, "missing or reordered entry", expected_seq)
            if entry.prev_hash != prev_hash:
                return VerifyResult(False, checked, "broken link to previous entry", entry.seq)
            if entry_hash(prev_hash, entry) != entry.hash:
                return VerifyResult(False, checked, "entry content was changed", entry.seq)
            prev_hash = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    if head_seq != last_seq or (head is not None and head.hash != prev_hash):
        return VerifyResult(False, checked, "entries after the last one were deleted", last_seq + 1)
    return VerifyResult(True, checked)
