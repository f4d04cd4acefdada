"""`sambandh createadmin` and the first-administrator bootstrap of `sambandh serve`."""

from __future__ import annotations

import pytest

from sambandh.cli import main
from sambandh.cli.admins import administrators, ensure_admin
from sambandh.core.models import AuditEntry, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "saffron-kite-741-river"


def test_createadmin_creates_an_administrator_who_can_sign_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        [
            "createadmin",
            "--username",
            "priya",
            "--email",
            "Priya@Example.com",
            "--password",
            PASSWORD,
        ]
    )
    assert status == 0
    user = User.objects.get(username="priya")
    assert user.role is not None
    assert user.role.name == "Administrator"
    assert user.is_administrator
    assert user.email == "priya@example.com"
    assert user.check_password(PASSWORD)
    out = capsys.readouterr().out
    assert out == "Administrator priya created.\n"
    assert PASSWORD not in out


def test_createadmin_is_audited_as_the_command() -> None:
    assert main(["createadmin", "--username", "priya", "--password", PASSWORD]) == 0
    entry = AuditEntry.objects.get(object_type="user", action="create")
    assert entry.actor_id is None
    assert entry.actor_label == "sambandh command"
    assert entry.object_id == str(User.objects.get(username="priya").pk)
    assert entry.changes["role"] == [None, "Administrator"]


def test_createadmin_without_a_password_generates_one_and_shows_it_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["createadmin", "--username", "root"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Administrator root created."
    generated = out[1].split()[1]
    assert len(generated) >= 16
    assert User.objects.get(username="root").check_password(generated)


def test_createadmin_refuses_a_taken_user_name_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["createadmin", "--username", "priya", "--password", PASSWORD]) == 0
    capsys.readouterr()
    before = (User.objects.count(), AuditEntry.objects.count())
    status = main(["createadmin", "--username", "PRIYA", "--password", "another-" + PASSWORD])
    assert status == 1
    err = capsys.readouterr().err
    assert "username: This user name is taken." in err
    assert "Nothing was created." in err
    assert (User.objects.count(), AuditEntry.objects.count()) == before
    assert User.objects.get(username="priya").check_password(PASSWORD)


def test_createadmin_refuses_a_weak_password_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["createadmin", "--username", "priya", "--password", "12345"])
    assert status == 1
    err = capsys.readouterr().err
    assert "password: This password is too short." in err
    assert not User.objects.filter(username="priya").exists()
    assert AuditEntry.objects.count() == 0


def test_createadmin_refuses_a_bad_email_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        ["createadmin", "--username", "priya", "--email", "not-an-email", "--password", PASSWORD]
    )
    assert status == 1
    assert "email: Enter a valid email address." in capsys.readouterr().err
    assert User.objects.count() == 0


def test_ensure_admin_creates_one_only_when_there_is_none() -> None:
    created = ensure_admin()
    assert created is not None
    assert created.user.username == "admin"
    assert created.user.check_password(created.password)
    assert ensure_admin() is None
    assert [u.username for u in administrators()] == ["admin"]


def test_ensure_admin_never_touches_an_existing_administrator(admin: User) -> None:
    assert ensure_admin() is None
    assert User.objects.count() == 1
    assert User.objects.get(username="admin").check_password("a-long-test-password")


def test_ensure_admin_picks_a_free_name_when_a_non_admin_holds_admin(reader: User) -> None:
    reader.username = "admin"
    reader.save(update_fields=["username"])
    created = ensure_admin()
    assert created is not None
    assert created.user.username == "admin2"
    assert created.user.is_administrator


def test_an_inactive_administrator_does_not_count(admin: User) -> None:
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    created = ensure_admin()
    assert created is not None
    assert created.user.username == "admin2"


def test_a_sales_rep_is_not_an_administrator(owner: User) -> None:
    assert administrators() == []
    make_user("boss", "Administrator")
    assert [u.username for u in administrators()] == ["boss"]
