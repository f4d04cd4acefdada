"""Writes to contacts and companies: validated, permission-checked, one transaction with
its audit entry, domain event and search document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sambandh.contacts.models import (
    Account,
    Contact,
)
from sambandh.contacts.services.cleaning import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    Cleaner,
    _account_cleaners,
    _account_document,
    _check_assignment,
    _check_assignment_create,
    _clean,
    _contact_cleaners,
    _creation_changes,
    _first_team,
    contact_document,
    default_region,
)
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType, OrganisationSettings, User
from sambandh.core.permissions import require
from sambandh.core.records import (
    apply_values,
    lock_for_update,
    record_change,
    save_changed,
)
from sambandh.core.search import search_index, search_unindex
from sambandh.notifications.services import assignment_notify


def _after_write(actor: User, record: Contact | Account, changed: set[str] | None) -> None:
    """Sales follow-ups of a write, in its transaction: territory and lead score (issue 3).
    ``changed`` is None for a new record. Imported here: sales depends on contacts."""
    from sambandh.sales.services.leads import after_record_write

    after_record_write(actor=actor, record=record, changed=changed)


def contact_create(*, actor: User, data: dict[str, Any]) -> Contact:
    """Create a contact owned by ``actor`` (unless another owner is given and allowed)."""
    require(actor, ObjectType.CONTACT, Action.CREATE)
    probe = Contact()
    values, tags = _clean(
        actor=actor,
        object_type=ObjectType.CONTACT,
        data=data,
        allowed=CONTACT_FIELDS,
        cleaners=_contact_cleaners(actor, default_region(data, None)),
        existing_custom={},
        creating=True,
    )
    if not (values.get("first_name") or values.get("last_name") or values.get("email")):
        raise ValidationError({"first_name": [_("Enter a name or an email address.")]})
    _check_assignment_create(actor, values, ObjectType.CONTACT)
    values.setdefault("owner_id", actor.pk)
    if "team_id" not in values:
        values["team_id"] = _first_team(actor)
    with transaction.atomic():
        contact = probe
        for name, value in values.items():
            setattr(contact, name, value)
        contact.created_by = actor
        contact.save()
        if tags:
            contact.tags.set(tags)
        changes = _creation_changes(values, tags)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.CONTACT,
            obj=contact,
            changes=changes,
            event="contact.created",
        )
        assignment_notify(
            actor=actor, obj=contact, object_type=ObjectType.CONTACT, previous_owner_id=None
        )
        search_index(ObjectType.CONTACT, contact.pk, contact_document(contact))
        _after_write(actor, contact, None)
    return contact


def _update(
    *,
    actor: User,
    model: type[Contact] | type[Account],
    obj: Contact | Account,
    data: dict[str, Any],
    version: int | None,
    allowed: tuple[str, ...],
    cleaners_for: Callable[[User, str], dict[str, Cleaner]],
    to_document: Callable[[Any], str],
) -> Any:
    object_type = model.permission_type
    require(actor, object_type, Action.UPDATE, obj)
    values, tags = _clean(
        actor=actor,
        object_type=object_type,
        data=data,
        allowed=allowed,
        cleaners=cleaners_for(actor, default_region(data, obj)),
        existing_custom=obj.custom,
        creating=False,
    )
    _check_assignment(actor, values, obj)
    with transaction.atomic():
        obj = lock_for_update(model, obj.pk, version=version)
        custom = values.pop("custom", None)
        changes = apply_values(obj, values)
        if custom is not None and custom != obj.custom:
            for key in sorted(set(custom) | set(obj.custom)):
                if custom.get(key) != obj.custom.get(key):
                    changes[f"cf.{key}"] = [obj.custom.get(key), custom.get(key)]
            obj.custom = custom
        if tags is not None:
            before = sorted(t.name for t in obj.tags.all())
            after = sorted(t.name for t in tags)
            if before != after:
                obj.tags.set(tags)
                changes["tags"] = [before, after]
        if isinstance(obj, Contact) and not (obj.first_name or obj.last_name or obj.email):
            raise ValidationError({"first_name": [_("Enter a name or an email address.")]})
        if isinstance(obj, Account) and obj.parent_id is not None and _creates_cycle(obj):
            raise ValidationError({"parent_id": [_("A company cannot be its own parent.")]})
        if changes:
            save_changed(obj, {k: v for k, v in changes.items() if k != "tags"})
            record_change(
                actor=actor,
                action="update",
                object_type=object_type,
                obj=obj,
                changes=changes,
                event=f"{object_type}.updated",
            )
            if "owner_id" in changes:
                assignment_notify(
                    actor=actor,
                    obj=obj,
                    object_type=object_type,
                    previous_owner_id=changes["owner_id"][0],
                )
            search_index(object_type, obj.pk, to_document(obj))
            _after_write(actor, obj, set(changes))
    return obj


def contact_update(
    *, actor: User, contact: Contact, data: dict[str, Any], version: int | None
) -> Contact:
    """Change the given fields of a contact. ``version`` must match the stored one (else 409)."""
    result: Contact = _update(
        actor=actor,
        model=Contact,
        obj=contact,
        data=data,
        version=version,
        allowed=CONTACT_FIELDS,
        cleaners_for=_contact_cleaners,
        to_document=contact_document,
    )
    return result


def contact_delete(*, actor: User, contact: Contact) -> None:
    """Delete a contact and its notes; the audit entry keeps what it was."""
    require(actor, ObjectType.CONTACT, Action.DELETE, contact)
    with transaction.atomic():
        snapshot = {
            "name": contact.full_name,
            "email": contact.email,
            "phone": contact.phone,
            "account_id": contact.account_id,
            "owner_id": contact.owner_id,
        }
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.CONTACT,
            obj=contact,
            changes={k: [v, None] for k, v in snapshot.items() if v},
            event="contact.deleted",
            payload={"id": contact.pk},
        )
        search_unindex(ObjectType.CONTACT, [contact.pk])
        contact.delete()


# ---------------------------------------------------------------- accounts


def _creates_cycle(account: Account) -> bool:
    seen = {account.pk}
    parent_id = account.parent_id
    while parent_id is not None:
        if parent_id in seen:
            return True
        seen.add(parent_id)
        parent_id = Account.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        if len(seen) > 100:
            return True
    return False


def account_create(*, actor: User, data: dict[str, Any]) -> Account:
    """Create a company owned by ``actor`` (unless another owner is given and allowed)."""
    require(actor, ObjectType.ACCOUNT, Action.CREATE)
    values, tags = _clean(
        actor=actor,
        object_type=ObjectType.ACCOUNT,
        data=data,
        allowed=ACCOUNT_FIELDS,
        cleaners=_account_cleaners(actor, default_region(data, None)),
        existing_custom={},
        creating=True,
    )
    if "name" not in values:
        raise ValidationError({"name": [_("This field is required.")]})
    if values.get("annual_revenue") is not None and not values.get("annual_revenue_currency"):
        values["annual_revenue_currency"] = OrganisationSettings.get().base_currency
    _check_assignment_create(actor, values, ObjectType.ACCOUNT)
    values.setdefault("owner_id", actor.pk)
    if "team_id" not in values:
        values["team_id"] = _first_team(actor)
    with transaction.atomic():
        account = Account(created_by=actor, **values)
        account.save()
        if tags:
            account.tags.set(tags)
        changes = _creation_changes(values, tags)
        record_change(
            actor=actor,
            action="create",
            object_type=ObjectType.ACCOUNT,
            obj=account,
            changes=changes,
            event="account.created",
        )
        assignment_notify(
            actor=actor, obj=account, object_type=ObjectType.ACCOUNT, previous_owner_id=None
        )
        search_index(ObjectType.ACCOUNT, account.pk, _account_document(account))
        _after_write(actor, account, None)
    return account


def account_update(
    *, actor: User, account: Account, data: dict[str, Any], version: int | None
) -> Account:
    """Change the given fields of a company. ``version`` must match the stored one (else 409)."""
    if (
        data.get("annual_revenue") not in (None, "")
        and not data.get("annual_revenue_currency")
        and not account.annual_revenue_currency
    ):
        data = {**data, "annual_revenue_currency": OrganisationSettings.get().base_currency}
    result: Account = _update(
        actor=actor,
        model=Account,
        obj=account,
        data=data,
        version=version,
        allowed=ACCOUNT_FIELDS,
        cleaners_for=_account_cleaners,
        to_document=_account_document,
    )
    return result


def account_delete(*, actor: User, account: Account) -> None:
    """Delete a company. Its contacts stay, without a company; its notes go with it."""
    require(actor, ObjectType.ACCOUNT, Action.DELETE, account)
    with transaction.atomic():
        record_change(
            actor=actor,
            action="delete",
            object_type=ObjectType.ACCOUNT,
            obj=account,
            changes={"name": [account.name, None]},
            event="account.deleted",
            payload={"id": account.pk},
        )
        search_unindex(ObjectType.ACCOUNT, [account.pk])
        account.delete()
