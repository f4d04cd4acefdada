"""Test data made through the real services, so every record is one a user could have made."""

from __future__ import annotations

import itertools
from typing import Any

from sambandh.contacts import services as contact_services
from sambandh.contacts.models import Account, Contact, Note
from sambandh.core.models import Role, Team, User

_seq = itertools.count(1)


def make_user(username: str, role: str, teams: list[Team] | None = None, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username,
        password="a-long-test-password",
        role=Role.objects.get(name=role),
        **extra,
    )
    if teams:
        user.teams.set(teams)
    return user


def make_contact(actor: User, **data: Any) -> Contact:
    n = next(_seq)
    data.setdefault("first_name", f"Person{n}")
    data.setdefault("last_name", "Test")
    return contact_services.contact_create(actor=actor, data=data)


def make_account(actor: User, **data: Any) -> Account:
    n = next(_seq)
    data.setdefault("name", f"Company {n}")
    return contact_services.account_create(actor=actor, data=data)


def make_note(
    actor: User,
    *,
    contact: Contact | None = None,
    account: Account | None = None,
    body: str = "A note",
) -> Note:
    return contact_services.note_create(actor=actor, body=body, contact=contact, account=account)
