"""`sambandh audit verify`: exit 0 and the count when the chain is intact, 1 and the first
bad sequence number when an entry was changed or removed."""

from __future__ import annotations

import pytest

from sambandh.cli import main
from sambandh.core.models import AuditEntry, User
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_entries(owner: User) -> list[AuditEntry]:
    for n in range(3):
        make_contact(owner, first_name=f"Ravi{n}")
    entries = list(AuditEntry.objects.order_by("seq"))
    assert len(entries) == 3
    return entries


def test_an_empty_trail_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "ok, 0 entries\n"


def test_an_intact_trail_verifies_with_its_count(
    three_entries: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "ok, 3 entries\n"
    assert captured.err == ""


def test_a_changed_entry_fails_naming_its_sequence_number(
    three_entries: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    second = three_entries[1]
    AuditEntry.objects.filter(pk=second.pk).update(changes={"first_name": [None, "Mallory"]})
    assert main(["audit", "verify"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"audit trail broken at entry #{second.seq}: entry content was changed\n"


def test_a_deleted_entry_fails_naming_the_missing_sequence_number(
    three_entries: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    AuditEntry.objects.filter(pk=three_entries[0].pk).delete()
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"audit trail broken at entry #{three_entries[0].seq}: missing or reordered entry\n"
    )


def test_a_deleted_last_entry_fails_too(
    three_entries: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    AuditEntry.objects.filter(pk=three_entries[2].pk).delete()
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"audit trail broken at entry #{three_entries[2].seq}: "
        "entries after the last one were deleted\n"
    )


def test_an_unknown_audit_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "repair"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'repair'" in capsys.readouterr().err
