"""Creating administrators from the command line.

The first administrator has nobody to act for it, so it cannot go through
``core.services.user_create`` (which needs an administrator as actor). Like Django's
``createsuperuser``, the operator at the shell is trusted; the creation is still validated
(user name, email, password validators) and audited, with the actor labelled as the command.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from sambandh.core import validation
from sambandh.core.audit import audit_record
from sambandh.core.errors import ValidationError
from sambandh.core.events import event_emit
from sambandh.core.models import ObjectType, Role, User

ADMIN_ROLE = "Administrator"
CLI_ACTOR_LABEL = "sambandh command"


@dataclass(frozen=True)
class NewAdmin:
    user: User
    password: str


def administrators() -> list[User]:
    """Active users who are administrators, by role or as superusers."""
    return list(
        User.objects.filter(Q(role__is_admin=True) | Q(is_superuser=True), is_active=True).order_by(
            "id"
        )
    )


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def admin_create(*, username: str, email: str = "", password: str | None = None) -> NewAdmin:
    """Create an administrator; a password is generated when none is given.

    Raises ``ValidationError`` (nothing is written) for a taken user name, a bad email
    or a password the validators refuse.
    """
    errors: dict[str, list[str]] = {}
    try:
        clean_username = validation.clean_text(username, max_length=150, required=True)
    except ValueError as exc:
        errors["username"] = [str(exc)]
        clean_username = ""
    try:
        clean_email = validation.clean_email(email)
    except ValueError as exc:
        errors["email"] = [str(exc)]
        clean_email = ""
    role = Role.objects.filter(name=ADMIN_ROLE, is_admin=True).first()
    if role is None:
        errors["role"] = [_("The Administrator role is missing: run `sambandh migrate` first.")]
    if errors:
        raise ValidationError(errors)
    secret = password if password is not None else generate_password()
    user = User(username=clean_username, email=clean_email, role=role)
    try:
        password_validation.validate_password(secret, user)
    except DjangoValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from exc
    user.set_password(secret)
    with transaction.atomic():
        if User.objects.filter(username__iexact=clean_username).exists():
            raise ValidationError({"username": [_("This user name is taken.")]})
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise ValidationError({"username": [_("This user name is taken.")]}) from exc
        changes = {
            "username": [None, clean_username],
            "email": [None, clean_email],
            "role": [None, ADMIN_ROLE],
        }
        audit_record(
            actor=None,
            actor_label=CLI_ACTOR_LABEL,
            action="create",
            object_type=ObjectType.USER,
            object_id=user.pk,
            object_repr=str(user),
            changes=changes,
        )
        event_emit(
            name="user.created",
            actor=None,
            object_type=ObjectType.USER,
            object_id=user.pk,
            payload={"id": user.pk, "changes": changes},
        )
    return NewAdmin(user=user, password=secret)


def ensure_admin(*, username: str = "admin", email: str = "") -> NewAdmin | None:
    """Create an administrator with a generated password only if there is none yet.

    Returns the new administrator (the only time its password is known), or None when one
    existed: an existing password is never shown, because it is never known.
    """
    if administrators():
        return None
    name = username
    suffix = 1
    # A non-admin user may already hold the name "admin".
    while User.objects.filter(username__iexact=name).exists():
        suffix += 1
        name = f"{username}{suffix}"
    return admin_create(username=name, email=email)
