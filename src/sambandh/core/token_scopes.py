"""What an API token may do: its scopes, and how they narrow its user's role.

A scope is ``*`` (everything the user may do) or ``<object type>:read`` /
``<object type>:write`` for one object type (``contact:read``, ``deal:write``). ``write``
implies ``read``; ``read`` also covers export (an export reveals nothing a listing does not).
A token never exceeds its user: what it may do is the role's grant AND the token's scope
(``core.permissions.grants_for`` applies both).

The scopes of the token that authenticated the current request live in a context variable
(set by the API's token authentication, cleared after the request by
``RequestIdMiddleware``): every permission check in the request sees them, and browser
sessions, tasks and commands, which never set it, are not narrowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _

from sambandh.core.errors import ValidationError
from sambandh.core.models import Action, ObjectType

ALL = "*"
READ = "read"
WRITE = "write"
LEVELS = (READ, WRITE)
# The actions each level allows.
READ_ACTIONS = frozenset({Action.READ.value, Action.EXPORT.value})
WRITE_ACTIONS = frozenset(a.value for a in Action)


@dataclass(frozen=True)
class TokenScopes:
    """A narrowed token's scopes, for the user it belongs to."""

    user_id: int
    readable: frozenset[str]
    writable: frozenset[str]

    def allows(self, object_type: str, action: str) -> bool:
        if object_type in self.writable:
            return action in WRITE_ACTIONS
        return object_type in self.readable and action in READ_ACTIONS


# (user id, the token's normalised scopes) for a request authenticated by a narrowed token;
# None otherwise (a session, a ``*`` token, work outside a request).
token_scopes_var: ContextVar[tuple[int, tuple[str, ...]] | None] = ContextVar(
    "sambandh_token_scopes", default=None
)


@lru_cache(maxsize=256)
def _parsed(user_id: int, scopes: tuple[str, ...]) -> TokenScopes:
    readable: set[str] = set()
    writable: set[str] = set()
    for scope in scopes:
        object_type, _sep, level = scope.partition(":")
        (writable if level == WRITE else readable).add(object_type)
    return TokenScopes(user_id=user_id, readable=frozenset(readable), writable=frozenset(writable))


def is_full(scopes: Iterable[str]) -> bool:
    return ALL in scopes


def activate(user_id: int, scopes: list[str]) -> None:
    """Narrow every permission check for ``user_id`` in this request to ``scopes``."""
    token_scopes_var.set(None if is_full(scopes) else (user_id, tuple(scopes)))


def current_for(user_id: int | None) -> TokenScopes | None:
    """The scopes narrowing ``user_id`` in this request, or None when nothing narrows them."""
    active = token_scopes_var.get()
    if active is None or user_id is None or active[0] != user_id:
        return None
    return _parsed(*active)


def choices() -> list[str]:
    """Every scope a token may carry."""
    return [ALL, *(f"{t}:{level}" for t in ObjectType.values for level in LEVELS)]


def clean_scopes(raw: list[str] | None) -> list[str]:
    """Validated, normalised scopes: ``["*"]`` when none are given, sorted, each object type
    once (``write`` absorbs ``read``). Raises ValidationError on an unknown scope."""
    if raw is None:
        return [ALL]
    errors: list[str] = []
    levels: dict[str, str] = {}
    full = False
    for item in raw:
        scope = item.strip()
        if scope == ALL:
            full = True
            continue
        object_type, sep, level = scope.partition(":")
        if not sep or object_type not in ObjectType.values:
            errors.append(
                _("“%(scope)s” is not a scope: use * or an object type with :read or :write.")
                % {"scope": scope}
            )
        elif level not in LEVELS:
            errors.append(
                _("“%(scope)s” is not a scope: the level is read or write.") % {"scope": scope}
            )
        elif levels.get(object_type) != WRITE:
            levels[object_type] = level
    if not raw:
        errors.append(_("Choose at least one scope, or * for full access."))
    if errors:
        raise ValidationError({"scopes": errors})
    if full:
        return [ALL]
    return sorted(f"{t}:{level}" for t, level in levels.items())
