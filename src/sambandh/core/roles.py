"""The built-in roles. Idempotent: run by a migration and safe to run again."""

from __future__ import annotations

from typing import Any

from sambandh.core.models import Action, ObjectType, Scope

A, T, OWN = Scope.ALL, Scope.TEAM, Scope.OWN
C, R, U, D, E = Action.CREATE, Action.READ, Action.UPDATE, Action.DELETE, Action.EXPORT

CRUD = (C, R, U, D)
_SETTINGS = (
    ObjectType.PIPELINE,
    ObjectType.PRODUCT,
    ObjectType.PRICE_BOOK,
    ObjectType.EXCHANGE_RATE,
    ObjectType.TERRITORY,
    ObjectType.LEAD_FORM,
    ObjectType.LEAD_RULE,
)
_SALES_TYPES = (
    *_SETTINGS,
    ObjectType.DEAL,
    ObjectType.QUOTE,
    ObjectType.ORDER,
    ObjectType.ACTIVITY,
)


def _read_all(*types: str) -> dict[str, dict[str, str]]:
    return {t: {R: A} for t in types}


# role name -> {object type: {action: scope}}
DEFAULT_ROLES: dict[str, dict[str, Any]] = {
    "Administrator": {"is_admin": True, "description": "Everything, including users and roles."},
    "Sales manager": {
        "description": "All companies, contacts and notes, including export.",
        "grants": {
            ObjectType.ACCOUNT: {C: A, R: A, U: A, D: A, E: A},
            ObjectType.CONTACT: {C: A, R: A, U: A, D: A, E: A},
            ObjectType.NOTE: {C: A, R: A, U: A, D: A},
            ObjectType.TAG: {C: A, R: A, U: A, D: A},
            ObjectType.CUSTOM_FIELD: {R: A},
            ObjectType.USER: {R: A},
            ObjectType.TEAM: {R: A},
            **{t: dict.fromkeys(CRUD, A) for t in _SALES_TYPES},
            ObjectType.DEAL: {C: A, R: A, U: A, D: A, E: A},
            ObjectType.ORDER: {C: A, R: A, U: A, D: A, E: A},
            ObjectType.ACTIVITY: {C: A, R: A, U: A, D: A, E: A},
        },
    },
    "Sales rep": {
        "description": "Sees the team's records, changes their own.",
        "grants": {
            ObjectType.ACCOUNT: {C: A, R: T, U: OWN, D: OWN, E: OWN},
            ObjectType.CONTACT: {C: A, R: T, U: OWN, D: OWN, E: OWN},
            ObjectType.NOTE: {C: A, R: T, U: OWN, D: OWN},
            ObjectType.TAG: {C: A, R: A},
            ObjectType.CUSTOM_FIELD: {R: A},
            ObjectType.USER: {R: A},
            ObjectType.TEAM: {R: A},
            **_read_all(*_SETTINGS),
            ObjectType.DEAL: {C: A, R: T, U: OWN, D: OWN, E: OWN},
            ObjectType.QUOTE: {C: OWN, R: T, U: OWN, D: OWN},
            ObjectType.ORDER: {C: A, R: T, U: OWN},
            ObjectType.ACTIVITY: {C: A, R: T, U: OWN, D: OWN},
        },
    },
    "Support agent": {
        "description": "Reads every customer, keeps contact details current.",
        "grants": {
            ObjectType.ACCOUNT: {R: A},
            ObjectType.CONTACT: {R: A, U: A},
            ObjectType.NOTE: {C: A, R: A, U: OWN, D: OWN},
            ObjectType.TAG: {R: A},
            ObjectType.CUSTOM_FIELD: {R: A},
            ObjectType.USER: {R: A},
            ObjectType.TEAM: {R: A},
            **_read_all(*_SETTINGS, ObjectType.DEAL, ObjectType.QUOTE, ObjectType.ORDER),
            ObjectType.ACTIVITY: {C: A, R: A, U: OWN, D: OWN},
        },
    },
    "Marketer": {
        "description": "Every contact for campaigns and segments, including export.",
        "grants": {
            ObjectType.ACCOUNT: {R: A, E: A},
            ObjectType.CONTACT: {C: A, R: A, U: A, E: A},
            ObjectType.NOTE: {C: A, R: A, U: OWN, D: OWN},
            ObjectType.TAG: {C: A, R: A, U: A, D: A},
            ObjectType.CUSTOM_FIELD: {R: A},
            ObjectType.USER: {R: A},
            ObjectType.TEAM: {R: A},
            **_read_all(*_SETTINGS, ObjectType.DEAL, ObjectType.QUOTE),
            ObjectType.ORDER: {R: A, E: A},
            ObjectType.LEAD_FORM: dict.fromkeys(CRUD, A),
            ObjectType.LEAD_RULE: dict.fromkeys(CRUD, A),
            ObjectType.ACTIVITY: {C: A, R: A, U: OWN, D: OWN},
        },
    },
    "Read-only": {
        "description": "Reads everything, changes nothing.",
        "grants": {
            ObjectType.ACCOUNT: {R: A},
            ObjectType.CONTACT: {R: A},
            ObjectType.NOTE: {R: A},
            ObjectType.TAG: {R: A},
            ObjectType.CUSTOM_FIELD: {R: A},
            ObjectType.USER: {R: A},
            ObjectType.TEAM: {R: A},
            **_read_all(*_SALES_TYPES),
        },
    },
}


def ensure_default_roles(role_model: Any, grant_model: Any) -> None:
    """Create the built-in roles and their grants (models passed in so migrations can call it)."""
    for name, spec in DEFAULT_ROLES.items():
        role, _created = role_model.objects.update_or_create(
            name=name,
            defaults={
                "is_admin": bool(spec.get("is_admin")),
                "is_system": True,
                "description": spec.get("description", ""),
            },
        )
        for object_type, actions in spec.get("grants", {}).items():
            for action, scope in actions.items():
                grant_model.objects.update_or_create(
                    role=role,
                    object_type=str(object_type),
                    action=str(action),
                    defaults={"scope": str(scope)},
                )
