"""Merge duplicate contacts or companies into one survivor.

The survivor takes the chosen field values through the ordinary update service (so its
validation, audit entry and ``*.updated`` event hold), every related record of the losers
moves to the survivor, the losers are deleted through their delete service, and a
``MergedRecord`` per loser lets old ids resolve to the survivor.

Related records are found from the model's meta rather than listed by hand, so a new
foreign key to contacts or companies moves with a merge without touching this module.
Unique constraints on a related table decide what happens on a clash: the survivor's row
(or the first loser's) is kept and the others dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import models, transaction
from django.db.models.fields.related import ManyToManyField
from django.utils.translation import gettext as _

from sambandh.contacts import services
from sambandh.contacts.models import Account, Contact
from sambandh.contacts.services.records import _creates_cycle
from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import get_visible, in_scope, require
from sambandh.core.records import jsonable, record_change
from sambandh.dedup.models import MergedRecord

MAX_LOSERS = 9

Record = Contact | Account

MODELS: dict[str, type[Contact] | type[Account]] = {
    ObjectType.CONTACT: Contact,
    ObjectType.ACCOUNT: Account,
}


def _model_of(object_type: str) -> type[Contact] | type[Account]:
    try:
        return MODELS[object_type]
    except KeyError:
        raise ValidationError({"object_type": [_("Choose one of the offered values.")]}) from None


def _clean_ids(survivor_id: Any, loser_ids: Any) -> tuple[int, list[int]]:
    """Whole positive ids, 1 to 9 losers, none twice and none equal to the survivor."""
    errors: dict[str, list[str]] = {}
    survivor = survivor_id if isinstance(survivor_id, int) and survivor_id > 0 else None
    if survivor is None or isinstance(survivor_id, bool):
        errors["survivor_id"] = [_("Enter a whole number.")]
    losers: list[int] = []
    if (
        not isinstance(loser_ids, list | tuple)
        or not 1 <= len(loser_ids) <= MAX_LOSERS
        or any(not isinstance(i, int) or isinstance(i, bool) or i <= 0 for i in loser_ids)
    ):
        errors["loser_ids"] = [
            _("Choose between 1 and %(n)d records to merge into the one kept.") % {"n": MAX_LOSERS}
        ]
    else:
        losers = list(loser_ids)
        if len(set(losers)) != len(losers) or survivor in losers:
            errors["loser_ids"] = [_("Each record may appear only once in a merge.")]
    if errors:
        raise ValidationError(errors)
    return cast(int, survivor), losers


def merge_records(
    *,
    actor: User,
    object_type: str,
    survivor_id: Any,
    loser_ids: Sequence[Any],
    values: dict[str, Any],
) -> Record:
    """Merge ``loser_ids`` into ``survivor_id`` and return the survivor.

    The actor must be allowed to update the survivor and to delete each loser; records out of
    their read scope are NotFound. ``values`` are the field values chosen for the survivor
    (validated as an update); tags are always the union of all records' tags.
    """
    model = _model_of(object_type)
    survivor_pk, loser_pks = _clean_ids(survivor_id, loser_ids)
    if not isinstance(values, dict):
        raise ValidationError({"values": [_("Enter an object.")]})
    survivor = get_visible(actor, model, survivor_pk)
    require(actor, object_type, Action.UPDATE, survivor)
    losers = [get_visible(actor, model, pk) for pk in loser_pks]
    for loser in losers:
        require(actor, object_type, Action.DELETE, loser)
    with transaction.atomic():
        # Lock every record in the merge in id order, so two merges cannot deadlock.
        list(model._default_manager.select_for_update().filter(pk__in=[survivor_pk, *loser_pks]))
        if values:
            _update(actor, survivor, values)
        moved = _move_related(model, survivor_pk, loser_pks)
        survivor = model._default_manager.get(pk=survivor_pk)
        if isinstance(survivor, Account) and survivor.parent_id and _creates_cycle(survivor):
            raise ValidationError({"parent_id": [_("A company cannot be its own parent.")]})
        for loser in model._default_manager.filter(pk__in=loser_pks).order_by("pk"):
            _delete(actor, loser)
        # Earlier merges into a loser now lead to the survivor: one hop, never a chain.
        MergedRecord.objects.filter(object_type=object_type, survivor_id__in=loser_pks).update(
            survivor_id=survivor_pk
        )
        MergedRecord.objects.bulk_create(
            [
                MergedRecord(
                    object_type=object_type,
                    old_id=pk,
                    survivor_id=survivor_pk,
                    merged_by=actor if actor.pk else None,
                )
                for pk in loser_pks
            ]
        )
        if isinstance(survivor, Contact):
            # The losers' scoring events now belong to the survivor: its score counts them.
            from sambandh.sales.services.scoring import lead_score_refresh

            lead_score_refresh(contact=survivor)
        changes = {"loser_ids": loser_pks, "values": jsonable(values), "moved": moved}
        record_change(
            actor=actor,
            action="merge",
            object_type=object_type,
            obj=survivor,
            changes=changes,
            event=f"{object_type}.merged",
            payload={"id": survivor_pk, "loser_ids": loser_pks},
        )
    return survivor


def resolve_merged(object_type: str, pk: Any) -> int | None:
    """The id of the record that absorbed ``pk`` in a merge, or None."""
    try:
        old_id = int(pk)
    except (TypeError, ValueError):
        return None
    survivor_id: int | None = (
        MergedRecord.objects.filter(object_type=object_type, old_id=old_id)
        .values_list("survivor_id", flat=True)
        .first()
    )
    return survivor_id


def visible_survivor(actor: User, object_type: str, pk: Any) -> int | None:
    """``resolve_merged`` limited to a survivor the actor may read (else None: plain 404)."""
    survivor_pk = resolve_merged(object_type, pk)
    if survivor_pk is None:
        return None
    obj = _model_of(object_type)._default_manager.filter(pk=survivor_pk).first()
    if obj is None or not in_scope(actor, obj, Action.READ):
        return None
    return survivor_pk


def _update(actor: User, survivor: Record, values: dict[str, Any]) -> None:
    if isinstance(survivor, Contact):
        services.contact_update(actor=actor, contact=survivor, data=values, version=None)
    else:
        services.account_update(actor=actor, account=survivor, data=values, version=None)


def _delete(actor: User, loser: Record) -> None:
    if isinstance(loser, Contact):
        services.contact_delete(actor=actor, contact=loser)
    else:
        services.account_delete(actor=actor, account=loser)


def _unique_groups(model: type[models.Model], field_name: str) -> list[list[str]]:
    """The other fields of each unique constraint on ``model`` that includes ``field_name``."""
    groups: list[tuple[str, ...]] = [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields
    ]
    groups += [tuple(t) for t in model._meta.unique_together]
    field = model._meta.get_field(field_name)
    if getattr(field, "unique", False):
        groups.append((field_name,))
    return [[f for f in group if f != field_name] for group in groups if field_name in group]


def _move_rows(
    model: type[models.Model],
    field_name: str,
    survivor_pk: int,
    loser_pks: list[int],
    *,
    self_reference: bool = False,
) -> int:
    """Point ``model.<field_name>`` from the losers to the survivor; drop clashing rows."""
    manager = model._default_manager
    attname = cast("models.Field[Any, Any]", model._meta.get_field(field_name)).attname
    rows = manager.filter(**{f"{attname}__in": loser_pks})
    if self_reference:
        # A self reference (a company's parent): the survivor keeps no link to itself.
        rows = rows.exclude(pk=survivor_pk)
        manager.filter(pk=survivor_pk, **{f"{attname}__in": loser_pks}).update(**{attname: None})
    for others in _unique_groups(model, field_name):
        taken = {
            tuple(row) for row in manager.filter(**{attname: survivor_pk}).values_list(*others)
        }
        drop: list[Any] = []
        for row in rows.order_by(attname, "pk").values_list(*others, "pk"):
            key = tuple(row[:-1])
            if key in taken:
                drop.append(row[-1])
            else:
                taken.add(key)
        if drop:
            manager.filter(pk__in=drop).delete()
    return rows.update(**{attname: survivor_pk})


def _move_m2m(field: ManyToManyField[Any, Any], survivor_pk: int, loser_pks: list[int]) -> int:
    """Give the survivor every link the losers had (tags), skipping the ones it has."""
    through: Any = field.remote_field.through
    source = field.m2m_field_name() + "_id"
    target = field.m2m_reverse_field_name() + "_id"
    manager = through._default_manager
    have = set(manager.filter(**{source: survivor_pk}).values_list(target, flat=True))
    wanted = set(manager.filter(**{f"{source}__in": loser_pks}).values_list(target, flat=True))
    new = sorted(wanted - have)
    manager.bulk_create([through(**{source: survivor_pk, target: t}) for t in new])
    manager.filter(**{f"{source}__in": loser_pks}).delete()
    return len(new)


def _move_related(
    model: type[Contact] | type[Account], survivor_pk: int, loser_pks: list[int]
) -> dict[str, int]:
    """Move every related row of the losers to the survivor; the count per relation."""
    moved: dict[str, int] = {}
    for rel in model._meta.related_objects:
        related: Any = rel.related_model
        if rel.many_to_many:
            m2m = cast(ManyToManyField[Any, Any], rel.field)
            through: Any = m2m.remote_field.through
            if through._meta.auto_created:
                # Seen from the other side: move the through rows' reverse column.
                count = _move_rows(through, m2m.m2m_reverse_field_name(), survivor_pk, loser_pks)
                moved[f"{related._meta.label_lower}.{m2m.name}"] = count
            # An explicit through model (DealContact) has its own foreign key: moved as such.
            continue
        count = _move_rows(
            related, rel.field.name, survivor_pk, loser_pks, self_reference=related is model
        )
        if count:
            moved[f"{related._meta.label_lower}.{rel.field.name}"] = count
    for field in model._meta.many_to_many:
        through_model: Any = field.remote_field.through
        if isinstance(field, ManyToManyField) and through_model._meta.auto_created:
            count = _move_m2m(field, survivor_pk, loser_pks)
            if count:
                moved[field.name] = count
    return moved
