"""Role grants, record scopes and sensitive fields: the one place that decides who sees what.

A grant gives a role an action on an object type over a scope: ``own`` (records the user
owns), ``team`` (those plus records of the user's teams) or ``all``. Selectors start from
``visible()``; services call ``require()``. Records outside a user's read scope do not exist
for them (NotFound); records they can see but not change are PermissionDenied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from django.db import models
from django.utils.translation import gettext as _

from sambandh.core import token_scopes
from sambandh.core.errors import NotFound, PermissionDenied
from sambandh.core.models import SCOPE_RANK, Action, FieldGrant, Grant, ObjectType, Scope, User

M = TypeVar("M", bound=models.Model)


class Scoped(Protocol):
    """A model that declares which object type it is and how scopes filter it."""

    permission_type: str

    @classmethod
    def scope_q(cls, actor: User, scope: str, team_ids: frozenset[int]) -> models.Q: ...

    def in_scope(self, actor: User, scope: str, team_ids: frozenset[int]) -> bool: ...


@dataclass
class ActorGrants:
    is_admin: bool
    scopes: dict[tuple[str, str], str] = field(default_factory=dict)
    readable_fields: set[tuple[str, str]] = field(default_factory=set)
    writable_fields: set[tuple[str, str]] = field(default_factory=set)
    # Object types whose every sensitive field may be read / written: an administrator's
    # grants narrowed by a token's scopes (administrators otherwise need no field grants).
    readable_types: set[str] = field(default_factory=set)
    writable_types: set[str] = field(default_factory=set)
    # The actor's teams, read on first use: an "all" scope (every administrator) never needs
    # them, so most requests skip that query.
    actor: User | None = field(default=None, repr=False, compare=False)
    _team_ids: frozenset[int] | None = field(default=None, repr=False, compare=False)

    @property
    def team_ids(self) -> frozenset[int]:
        if self._team_ids is None:
            actor = self.actor
            self._team_ids = (
                frozenset(actor.teams.values_list("id", flat=True))
                if actor is not None
                else frozenset()
            )
        return self._team_ids


_CACHE_ATTR = "_sambandh_grants"
_NARROWED_ATTR = "_sambandh_narrowed_grants"


def grants_for(actor: User) -> ActorGrants:
    """An actor's grants, loaded once per user object (one request, one task); in a request
    authenticated by a token with scopes, narrowed to them."""
    grants = _role_grants(actor)
    limit = token_scopes.current_for(actor.pk)
    if limit is None:
        return grants
    cached = getattr(actor, _NARROWED_ATTR, None)
    if cached is not None and cached[0] == limit:
        return cast(ActorGrants, cached[1])
    narrowed = _narrow(grants, limit)
    setattr(actor, _NARROWED_ATTR, (limit, narrowed))
    return narrowed


def _narrow(grants: ActorGrants, limit: token_scopes.TokenScopes) -> ActorGrants:
    """``grants`` AND ``limit``: never more than either allows."""
    narrowed = ActorGrants(
        is_admin=False,
        actor=grants.actor,
        _team_ids=grants._team_ids,  # noqa: SLF001
    )
    if grants.is_admin:
        for object_type in ObjectType.values:
            for action in Action.values:
                if limit.allows(object_type, action):
                    narrowed.scopes[(object_type, action)] = Scope.ALL
        narrowed.readable_types = {t for t in ObjectType.values if limit.allows(t, Action.READ)}
        narrowed.writable_types = {t for t in ObjectType.values if limit.allows(t, Action.UPDATE)}
        return narrowed
    narrowed.scopes = {
        (object_type, action): scope
        for (object_type, action), scope in grants.scopes.items()
        if limit.allows(object_type, action)
    }
    narrowed.readable_fields = {
        f for f in grants.readable_fields if limit.allows(f[0], Action.READ)
    }
    narrowed.writable_fields = {
        f for f in grants.writable_fields if limit.allows(f[0], Action.UPDATE)
    }
    return narrowed


def _role_grants(actor: User) -> ActorGrants:
    cached = getattr(actor, _CACHE_ATTR, None)
    if cached is not None:
        return cast(ActorGrants, cached)
    if not actor.is_authenticated or not actor.is_active:
        grants = ActorGrants(is_admin=False, _team_ids=frozenset())
    else:
        role = actor.role if actor.role_id else None
        is_admin = actor.is_superuser or bool(role and role.is_admin)
        grants = ActorGrants(is_admin=is_admin, actor=actor)
        if role is not None and not is_admin:
            # Plain tuples, not model instances: this runs on every request.
            for object_type, action, scope in Grant.objects.filter(role=role).values_list(
                "object_type", "action", "scope"
            ):
                grants.scopes[(object_type, action)] = scope
            for object_type, field_name, can_write in FieldGrant.objects.filter(
                role=role
            ).values_list("object_type", "field", "can_write"):
                grants.readable_fields.add((object_type, field_name))
                if can_write:
                    grants.writable_fields.add((object_type, field_name))
    setattr(actor, _CACHE_ATTR, grants)
    return grants


def token_allows(actor: User, object_type: str, action: str) -> bool:
    """Whether the token of this request (if any) lets ``actor`` ``action`` ``object_type``,
    for what needs no role grant (a user changing their own profile)."""
    limit = token_scopes.current_for(actor.pk)
    return limit is None or limit.allows(object_type, action)


def require_full_access(actor: User) -> None:
    """Raise unless this request is a browser session or a token with full access (``*``):
    a narrowed token must not manage tokens, or it could make itself a wider one."""
    if token_scopes.current_for(actor.pk) is not None:
        raise PermissionDenied(_("This needs a signed-in session or a token with full access (*)."))


def forget_grants(actor: User) -> None:
    for attr in (_CACHE_ATTR, _NARROWED_ATTR):
        if hasattr(actor, attr):
            delattr(actor, attr)


def scope_of(actor: User, object_type: str, action: str) -> str | None:
    grants = grants_for(actor)
    if grants.is_admin:
        return Scope.ALL
    return grants.scopes.get((object_type, action))


def has_grant(actor: User, object_type: str, action: str) -> bool:
    return scope_of(actor, object_type, action) is not None


def is_admin(actor: User) -> bool:
    return grants_for(actor).is_admin


def scope_q_of(model: type[Any], actor: User, scope: str) -> models.Q:
    """The condition that narrows ``model`` to ``scope`` for ``actor`` (empty for ``all``)."""
    if scope == Scope.ALL:
        return models.Q()
    return cast(models.Q, model.scope_q(actor, scope, grants_for(actor).team_ids))


def visible(actor: User, model: type[M], action: str = Action.READ) -> models.QuerySet[M]:
    """The records of ``model`` that ``actor`` may ``action``: the start of every selector."""
    queryset: models.QuerySet[M] = visible_in(actor, model._default_manager.all(), action)
    return queryset


def visible_in(actor: User, queryset: models.QuerySet[Any], action: str = Action.READ) -> Any:
    """``queryset`` narrowed to the records ``actor`` may ``action`` (as ``visible``), for a
    selector that starts from a prepared queryset, e.g. a ``.values()`` one."""
    model = queryset.model
    scope = scope_of(actor, model.permission_type, action)
    if scope is None:
        return queryset.none()
    return queryset.filter(scope_q_of(model, actor, scope))


def in_scope(actor: User, obj: Any, action: str) -> bool:
    scope = scope_of(actor, obj.permission_type, action)
    if scope is None:
        return False
    if scope == Scope.ALL:
        return True
    return bool(obj.in_scope(actor, scope, grants_for(actor).team_ids))


def require(actor: User, object_type: str, action: str, obj: Any | None = None) -> None:
    """Raise unless ``actor`` may ``action`` this object type (and this record, when given).

    A record the actor cannot even read is NotFound, so its existence does not leak.
    """
    if obj is not None and action != Action.READ and not in_scope(actor, obj, Action.READ):
        raise NotFound()
    if obj is None:
        if not has_grant(actor, object_type, action):
            raise PermissionDenied()
        return
    if not in_scope(actor, obj, action):
        if action == Action.READ:
            raise NotFound()
        raise PermissionDenied()


def get_visible(actor: User, model: type[M], pk: object, action: str = Action.READ) -> M:
    """Fetch one record the actor may see; anything else (absent, out of scope, bad id) is NotFound."""
    try:
        return visible(actor, model, action).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise NotFound() from exc


def can_read_field(actor: User, object_type: str, field_name: str) -> bool:
    grants = grants_for(actor)
    return (
        grants.is_admin
        or object_type in grants.readable_types
        or (object_type, field_name) in grants.readable_fields
    )


def can_write_field(actor: User, object_type: str, field_name: str) -> bool:
    grants = grants_for(actor)
    return (
        grants.is_admin
        or object_type in grants.writable_types
        or (object_type, field_name) in grants.writable_fields
    )


def owned_scope_q(actor: User, scope: str, team_ids: frozenset[int]) -> models.Q:
    """The usual meaning of a scope for records with ``owner`` and ``team``."""
    own = models.Q(owner_id=actor.pk)
    if scope == Scope.TEAM:
        return own | models.Q(team_id__in=team_ids)
    return own


def owned_in_scope(obj: Any, actor: User, scope: str, team_ids: frozenset[int]) -> bool:
    if obj.owner_id == actor.pk:
        return True
    return scope == Scope.TEAM and obj.team_id is not None and obj.team_id in team_ids


def widest(*scopes: str | None) -> str | None:
    present = [s for s in scopes if s]
    return max(present, key=lambda s: SCOPE_RANK[Scope(s)]) if present else None
