"""API routes for core objects: /me, /users, /teams, /tokens, /organisation, /custom-fields."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from sambandh.core import services
from sambandh.core.errors import NotFound
from sambandh.core.models import (
    Action,
    ApiToken,
    CustomFieldDefinition,
    OrganisationSettings,
    Team,
    User,
)
from sambandh.core.permissions import (
    get_visible,
    is_admin,
    require,
    require_full_access,
    visible,
)
from sambandh.core.schemas import (
    ERRORS,
    CustomFieldCreateIn,
    CustomFieldOut,
    CustomFieldPatchIn,
    ErrorOut,
    Id,
    MePatchIn,
    OrganisationOut,
    OrganisationPatchIn,
    TeamIn,
    TeamOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserCreateIn,
    UserOut,
    UserPatchIn,
)

router = Router()
MAX_LIST = 1000


def actor_of(request: HttpRequest) -> User:
    """The authenticated user (set by token or session auth)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)  # noqa: S101 - every route here requires authentication
    return user


def json_response(request: HttpRequest, body: Any) -> HttpResponse:
    """``body`` rendered as ninja renders a route's result, without validating it against the
    route's response schema first: for hot lists whose dicts are built to that schema (tests
    check they validate). Validating 50 records through ninja's getters costs more than the
    database query; the JSON is byte for byte what the schema would have produced."""
    from sambandh.api import api

    return api.create_response(request, body, status=200)


def body_of(payload: Any, *, drop: tuple[str, ...] = ("version",)) -> dict[str, Any]:
    """Only the keys the client sent: PATCH changes what is given and nothing else."""
    data: dict[str, Any] = payload.model_dump(exclude_unset=True)
    for key in drop:
        data.pop(key, None)
    return data


# ---------------------------------------------------------------- users


def user_out(actor: User, user: User) -> dict[str, Any]:
    """A user; role and teams only for administrators and the user themself."""
    private = is_admin(actor) or actor.pk == user.pk
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "language": user.language,
        "time_zone": user.time_zone,
        "version": user.version,
        "role_id": user.role_id if private else None,
        "role": (user.role.name if user.role else None) if private else None,
        "team_ids": sorted(t.pk for t in user.teams.all()) if private else None,
        "is_admin": is_admin(user) if private else None,
    }


@router.get("/me", response={200: UserOut, **ERRORS}, tags=["me"], summary="Who am I")
def me_get(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    return user_out(actor, actor)


@router.patch(
    "/me",
    response={200: UserOut, **ERRORS},
    tags=["me"],
    summary="Change my name, language or time zone",
)
def me_patch(request: HttpRequest, payload: MePatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    user = services.user_update(
        actor=actor, user=actor, data=body_of(payload), version=payload.version
    )
    return user_out(actor, user)


def _users(actor: User) -> QuerySet[User]:
    return visible(actor, User).select_related("role").prefetch_related("teams")


@router.get("/users", response={200: list[UserOut], **ERRORS}, tags=["users"], summary="List users")
def users_list(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    return [user_out(actor, u) for u in _users(actor).order_by("username", "id")[:MAX_LIST]]


@router.post(
    "/users", response={201: UserOut, **ERRORS}, tags=["users"], summary="Create a user (admin)"
)
def users_create(request: HttpRequest, payload: UserCreateIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    user = services.user_create(actor=actor, data=body_of(payload))
    return Status(201, user_out(actor, user))


@router.get("/users/{id}", response={200: UserOut, **ERRORS}, tags=["users"], summary="One user")
def users_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    actor = actor_of(request)
    return user_out(actor, get_visible(actor, User, id))


@router.patch(
    "/users/{id}", response={200: UserOut, **ERRORS}, tags=["users"], summary="Change a user"
)
def users_patch(request: HttpRequest, id: Id, payload: UserPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    user = get_visible(actor, User, id)
    user = services.user_update(
        actor=actor, user=user, data=body_of(payload), version=payload.version
    )
    return user_out(actor, user)


# ---------------------------------------------------------------- teams


def team_out(team: Team) -> dict[str, Any]:
    return {"id": team.pk, "name": team.name, "created_at": team.created_at}


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, tags=["teams"], summary="List teams")
def teams_list(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    return [team_out(t) for t in visible(actor, Team).order_by("name", "id")[:MAX_LIST]]


@router.post(
    "/teams", response={201: TeamOut, **ERRORS}, tags=["teams"], summary="Create a team (admin)"
)
def teams_create(request: HttpRequest, payload: TeamIn) -> Status[dict[str, Any]]:
    team = services.team_create(actor=actor_of(request), name=payload.name)
    return Status(201, team_out(team))


@router.get("/teams/{id}", response={200: TeamOut, **ERRORS}, tags=["teams"], summary="One team")
def teams_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return team_out(get_visible(actor_of(request), Team, id))


@router.patch(
    "/teams/{id}",
    response={200: TeamOut, **ERRORS},
    tags=["teams"],
    summary="Rename a team (admin)",
)
def teams_patch(request: HttpRequest, id: Id, payload: TeamIn) -> dict[str, Any]:
    actor = actor_of(request)
    team = services.team_update(actor=actor, team=get_visible(actor, Team, id), name=payload.name)
    return team_out(team)


@router.delete(
    "/teams/{id}", response={204: None, **ERRORS}, tags=["teams"], summary="Delete a team (admin)"
)
def teams_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    services.team_delete(actor=actor, team=get_visible(actor, Team, id))
    return Status(204, None)


# ---------------------------------------------------------------- tokens


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes or []),
        "rate_limit": token.rate_limit or None,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get(
    "/tokens", response={200: list[TokenOut], **ERRORS}, tags=["tokens"], summary="My API tokens"
)
def tokens_list(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    require_full_access(actor)
    tokens = ApiToken.objects.filter(user=actor).order_by("-created_at", "-id")
    return [token_out(t) for t in tokens[:MAX_LIST]]


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, **ERRORS},
    tags=["tokens"],
    summary="Create an API token (the secret is shown once)",
)
def tokens_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    require_full_access(actor)
    token, raw = services.api_token_create(actor=actor, name=payload.name, scopes=payload.scopes)
    return Status(201, {**token_out(token), "token": raw})


@router.delete(
    "/tokens/{id}", response={204: None, **ERRORS}, tags=["tokens"], summary="Revoke an API token"
)
def tokens_revoke(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    require_full_access(actor)
    # Your own tokens; administrators may revoke anybody's (a leaked key, a leaver).
    tokens = ApiToken.objects.all() if is_admin(actor) else ApiToken.objects.filter(user=actor)
    token = tokens.filter(pk=id).first()
    if token is None:
        raise NotFound()
    services.api_token_revoke(actor=actor, token=token)
    return Status(204, None)


# ---------------------------------------------------------------- organisation


def organisation_out(org: OrganisationSettings) -> dict[str, Any]:
    return {
        "name": org.name,
        "base_currency": org.base_currency,
        "default_language": org.default_language,
        "time_zone": org.time_zone,
        "country": org.country,
        "version": org.version,
    }


@router.get(
    "/organisation",
    response={200: OrganisationOut, **ERRORS},
    tags=["organisation"],
    summary="Organisation settings",
)
def organisation_get(request: HttpRequest) -> dict[str, Any]:
    return organisation_out(OrganisationSettings.get())


@router.patch(
    "/organisation",
    response={200: OrganisationOut, **ERRORS},
    tags=["organisation"],
    summary="Change organisation settings (admin)",
)
def organisation_patch(request: HttpRequest, payload: OrganisationPatchIn) -> dict[str, Any]:
    org = services.organisation_update(
        actor=actor_of(request), data=body_of(payload), version=payload.version
    )
    return organisation_out(org)


# ---------------------------------------------------------------- custom fields


def custom_field_out(d: CustomFieldDefinition) -> dict[str, Any]:
    return {
        "id": d.pk,
        "version": d.version,
        "object_type": d.object_type,
        "key": d.key,
        "label": str(d.label),
        "label_en": d.label_en,
        "label_hi": d.label_hi,
        "field_type": d.field_type,
        "is_required": d.is_required,
        "is_sensitive": d.is_sensitive,
        "choices": [
            {
                "value": str(c.get("value", "")),
                "label_en": str(c.get("label_en", "")),
                "label_hi": str(c.get("label_hi", "")),
            }
            for c in (d.choices or [])
            if isinstance(c, dict)
        ],
        "min_value": None if d.min_value is None else str(d.min_value),
        "max_value": None if d.max_value is None else str(d.max_value),
        "max_length": d.max_length,
        "position": d.position,
        "is_active": d.is_active,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


@router.get(
    "/custom-fields",
    response={200: list[CustomFieldOut], **ERRORS},
    tags=["custom fields"],
    summary="Custom-field definitions",
)
def custom_fields_list(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    qs = visible(actor, CustomFieldDefinition).order_by("object_type", "position", "id")
    return [custom_field_out(d) for d in qs[:MAX_LIST]]


@router.post(
    "/custom-fields",
    response={201: CustomFieldOut, **ERRORS},
    tags=["custom fields"],
    summary="Define a custom field (admin)",
)
def custom_fields_create(
    request: HttpRequest, payload: CustomFieldCreateIn
) -> Status[dict[str, Any]]:
    definition = services.custom_field_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, custom_field_out(definition))


@router.get(
    "/custom-fields/{id}",
    response={200: CustomFieldOut, **ERRORS},
    tags=["custom fields"],
    summary="One custom-field definition",
)
def custom_fields_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return custom_field_out(get_visible(actor_of(request), CustomFieldDefinition, id))


@router.patch(
    "/custom-fields/{id}",
    response={200: CustomFieldOut, **ERRORS},
    tags=["custom fields"],
    summary="Change a custom-field definition (admin)",
)
def custom_fields_patch(
    request: HttpRequest, id: Id, payload: CustomFieldPatchIn
) -> dict[str, Any]:
    actor = actor_of(request)
    definition = get_visible(actor, CustomFieldDefinition, id)
    definition = services.custom_field_update(
        actor=actor, definition=definition, data=body_of(payload), version=payload.version
    )
    return custom_field_out(definition)


@router.delete(
    "/custom-fields/{id}",
    response={204: None, **ERRORS},
    tags=["custom fields"],
    summary="Remove a custom-field definition (admin)",
)
def custom_fields_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    definition = get_visible(actor, CustomFieldDefinition, id)
    require(actor, definition.permission_type, Action.DELETE)
    services.custom_field_delete(actor=actor, definition=definition)
    return Status(204, None)


__all__ = ["ErrorOut", "actor_of", "body_of", "json_response", "router"]
