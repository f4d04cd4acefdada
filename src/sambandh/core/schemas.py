"""API schemas of core objects (users, teams, tokens, settings, custom fields) and the shared
error shape. Bodies forbid unknown keys, so a typo is a 400 instead of being ignored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

# Database ids are 64-bit; a bigger number is a 400, never an overflow deep in the database.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Version = Annotated[
    int, Field(ge=1, le=2**31 - 1, description="The version you read (409 if stale).")
]


class ErrorOut(Schema):
    """Every error: a stable ``code``, a translated ``message`` and per-field messages."""

    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


# The error statuses any authenticated operation may answer with (429: over the rate limit,
# with a Retry-After header; see core.ratelimit).
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 413, 429}): ErrorOut}


class In(Schema):
    """A request body: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- users and teams


class TeamOut(Schema):
    id: int
    name: str
    created_at: dt.datetime


class TeamIn(In):
    name: str = Field(max_length=1000)


class UserOut(Schema):
    """A user as others see them. ``role_id``, ``role`` and ``team_ids`` are shown to
    administrators and to the user themself, null to everybody else."""

    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    is_active: bool
    language: str
    time_zone: str
    version: int
    role_id: int | None
    role: str | None
    team_ids: list[int] | None
    is_admin: bool | None


class UserCreateIn(In):
    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    time_zone: str | None = None
    role_id: Id | None = None
    team_ids: list[Id] | None = Field(None, max_length=500)
    is_active: bool | None = None
    password: str | None = Field(None, max_length=4096)


class UserPatchIn(In):
    version: Version
    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    time_zone: str | None = None
    role_id: Id | None = None
    team_ids: list[Id] | None = Field(None, max_length=500)
    is_active: bool | None = None


class MePatchIn(In):
    version: Version
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    time_zone: str | None = None


# ---------------------------------------------------------------- tokens


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str] = Field(
        description="`*` (everything its user may do) or `<object type>:read|write` scopes."
    )
    rate_limit: str | None = Field(
        description="This token's own rate limit (`1200/minute`); null: the deployment's."
    )
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. It is shown this once and never again.")


class TokenIn(In):
    name: str = Field(max_length=1000)
    scopes: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None,
        max_length=200,
        description=(
            "What the token may do, never more than your role allows: `*` (the default: "
            "everything you may do) or scopes per object type, `<type>:read` (read and "
            "export) or `<type>:write` (also create, change and delete), e.g. "
            '`["contact:read", "deal:write"]`.'
        ),
    )


# ---------------------------------------------------------------- organisation


class OrganisationOut(Schema):
    name: str
    base_currency: str
    default_language: str
    time_zone: str
    country: str
    version: int


class OrganisationPatchIn(In):
    version: Version
    name: str | None = None
    base_currency: str | None = None
    default_language: str | None = None
    time_zone: str | None = None
    country: str | None = None


# ---------------------------------------------------------------- custom fields

ObjectTypeName = Literal["contact", "account"]
FieldTypeName = Literal[
    "text", "number", "money", "date", "choice", "multi_choice", "boolean", "url"
]


class ChoiceOut(Schema):
    value: str
    label_en: str
    label_hi: str


class ChoiceIn(In):
    value: str
    label_en: str | None = None
    label_hi: str | None = None


class CustomFieldOut(Schema):
    id: int
    version: int
    object_type: str
    key: str
    label: str
    label_en: str
    label_hi: str
    field_type: str
    is_required: bool
    is_sensitive: bool
    choices: list[ChoiceOut]
    min_value: str | None
    max_value: str | None
    max_length: int | None
    position: int
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


Bound = Annotated[Decimal, Field(ge=Decimal("-1e13"), le=Decimal("1e13"))]
SmallCount = Annotated[int, Field(ge=0, le=100000)]


class CustomFieldCreateIn(In):
    object_type: ObjectTypeName
    key: str
    label_en: str
    label_hi: str | None = None
    field_type: FieldTypeName
    is_required: bool | None = None
    is_sensitive: bool | None = None
    choices: list[ChoiceIn | str] | None = Field(None, max_length=500)
    min_value: Bound | None = None
    max_value: Bound | None = None
    max_length: SmallCount | None = None
    position: SmallCount | None = None
    is_active: bool | None = None


class CustomFieldPatchIn(In):
    version: Version
    label_en: str | None = None
    label_hi: str | None = None
    is_required: bool | None = None
    is_sensitive: bool | None = None
    choices: list[ChoiceIn | str] | None = Field(None, max_length=500)
    min_value: Bound | None = None
    max_value: Bound | None = None
    max_length: SmallCount | None = None
    position: SmallCount | None = None
    is_active: bool | None = None
