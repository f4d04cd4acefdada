from __future__ import annotations

import pytest

from sambandh.core.audit import audit_verify
from sambandh.core.models import AuditEntry
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _three_entries(owner):
    for name in ("A", "B", "C"):
        make_contact(owner, first_name=name)
    return list(AuditEntry.objects.order_by("seq"))


def test_untouched_chain_verifies(owner):
    entries = _three_entries(owner)
    result = audit_verify()
    assert result.ok
    assert result.checked == len(entries)


def test_edited_entry_is_detected(owner):
    entries = _three_entries(owner)
    AuditEntry.objects.filter(pk=entries[1].pk).update(changes={"first_name": [None, "Z"]})
    result = audit_verify()
    assert not result.ok
    assert result.seq == entries[1].seq


def test_deleted_entry_is_detected(owner):
    entries = _three_entries(owner)
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    result = audit_verify()
    assert not result.ok
    assert result.seq == entries[1].seq


def test_deleted_last_entry_is_detected(owner):
    entries = _three_entries(owner)
    AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    assert not audit_verify().ok


def test_reordered_entries_are_detected(owner):
    entries = _three_entries(owner)
    a, b = entries[0], entries[1]
    AuditEntry.objects.filter(pk=a.pk).update(seq=-1)
    AuditEntry.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEntry.objects.filter(pk=a.pk).update(seq=b.seq)
    result = audit_verify()
    assert not result.ok
    assert result.seq == 1
