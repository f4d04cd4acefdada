"""The JSON API under /api/v1/. Routers live in each app's ``api.py``.

Authentication is a personal API token (``Authorization: Bearer sbk_...``) or the browser
session (with CSRF on unsafe methods). Every error is JSON with a stable ``code``:
``{"code": "validation_error", "message": "...", "fields": {"email": ["..."]}}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from sambandh.core import ratelimit, token_scopes
from sambandh.core.errors import SambandhError, ValidationError
from sambandh.core.models import User
from sambandh.core.renderers import FastJSONRenderer
from sambandh.core.services import api_token_find


class TokenAuth(HttpBearer):
    """A personal API token. Error messages then come in the token owner's language; the
    token's scopes narrow every permission check of the request; it has its own rate limit."""

    openapi_name = "token"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = api_token_find(token)
        if found is None:
            return None
        user = found.user
        request.user = user
        # An explicit Accept-Language wins: a client that asks for a language gets it.
        if not request.headers.get("Accept-Language"):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        token_scopes.activate(user.pk, list(found.scopes or []))
        ratelimit.enforce(request, f"token:{found.pk}", found.rate_limit)
        return user


class SessionCsrfAuth(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token (ninja checks it)."""

    openapi_name = "session"

    def __call__(self, request: HttpRequest) -> Any:
        # Without a signed-in session this scheme does not apply: the answer is 401, and the
        # CSRF check (a 403) only matters for requests that would otherwise be authenticated.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if user.is_authenticated and user.is_active:
            ratelimit.enforce(request, f"user:{user.pk}")
            return user  # type: ignore[return-value]
        return None


api = NinjaAPI(
    title="Sambandh API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionCsrfAuth(csrf=True)],
    renderer=FastJSONRenderer(),
    description=(
        "Sambandh's JSON API. Authenticate with a personal API token "
        "(`Authorization: Bearer sbk_...`, created at `POST /tokens`) or a browser session "
        "(send the CSRF token on unsafe methods). Lists are keyset-paginated: pass "
        "`next_cursor` back as `cursor`. Updates are PATCH with the record's `version`; a "
        "stale version is a 409 `conflict`. Errors are `{code, message, fields}`. POSTs that "
        "create records take an `Idempotency-Key` header that makes a retry safe.\n\n"
        "**Token scopes.** A token created with `scopes` may do only what they name, and "
        "never more than its user's role: `<object type>:read` (read and export) or "
        "`<object type>:write` (also create, change, delete), e.g. `contact:read`; `*` (the "
        "default) is everything the user may do. Anything else is a 403 "
        "`permission_denied`. Managing tokens needs a `*` token or a session; so do "
        "operations only for administrators as such (organisation settings).\n\n"
        "**Rate limits.** Each token, and each signed-in user, may make a number of "
        "requests per window (600 a minute unless the deployment says otherwise). Answers "
        "carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds); "
        "past the limit the answer is a 429 `rate_limited` with `Retry-After` (seconds)."
    ),
)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    """The one JSON error shape of the API."""
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    return api.create_response(request, body, status=status)


def _sambandh_error(request: HttpRequest, exc: Any) -> HttpResponse:
    fields = exc.fields if isinstance(exc, ValidationError) else None
    response = error_response(request, exc.status, exc.code, exc.message, fields)
    if isinstance(exc, ratelimit.RateLimited):
        ratelimit.add_headers(request, response)
    return response


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja locations look like ("body", "payload", "email") or ("query", "limit").
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else []
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts)


def _schema_message(error: dict[str, Any]) -> str:
    """Our translated wording for a pydantic error type (its own ``msg`` is English only)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("bool"):
        return _("Enter yes or no.")
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind.startswith(("float", "decimal")):
        return _("Enter a number.")
    if kind.startswith("date"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind == "string_too_long" and "max_length" in ctx:
        return _("Enter at most %(n)d characters.") % {"n": int(ctx["max_length"])}
    if kind.startswith(("string", "str")):
        return _("Enter text.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Enter a number of at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in {"less_than_equal", "less_than"}:
        return _("Enter a number of at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in {"literal_error", "enum"}:
        return _("Choose one of the offered values.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Enter an object.")
    return _("Enter a valid value.")


def _request_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        name = _field_name(error.get("loc", ()))
        fields.setdefault(name, []).append(_schema_message(error))
    return error_response(
        request, 400, "validation_error", _("Please correct the errors below."), fields
    )


def _too_big(request: HttpRequest, exc: Any = None) -> HttpResponse:
    return error_response(request, 413, "payload_too_large", _("The request body is too large."))


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _too_big(request)
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        return error_response(
            request, 401, "not_authenticated", _("Sign in or send a valid API token.")
        )
    if exc.status_code == 403:
        # ninja's session auth raises this when the CSRF token is missing or wrong.
        return error_response(
            request, 403, "csrf_failed", _("The CSRF token is missing or incorrect.")
        )
    if exc.status_code == 400:
        return error_response(
            request, 400, "malformed_request", _("The request body is not valid JSON.")
        )
    return error_response(request, exc.status_code, "error", _("Something went wrong."))


def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


api.add_exception_handler(SambandhError, _sambandh_error)
api.add_exception_handler(NinjaValidationError, _request_validation_error)
api.add_exception_handler(HttpError, _http_error)
api.add_exception_handler(RequestDataTooBig, _too_big)
api.add_exception_handler(Http404, _not_found)


@api.get("/health", auth=None, tags=["meta"], summary="Liveness")
def health(request: object) -> dict[str, str]:
    return {"status": "ok"}


def _register_routers() -> None:
    from sambandh.activities.api import router as activities_router
    from sambandh.automation.api import router as automation_router
    from sambandh.automation.workflow_api import router as workflows_router
    from sambandh.contacts.api import router as contacts_router
    from sambandh.core.api import router as core_router
    from sambandh.dataio.api import bulk_router
    from sambandh.dataio.api import router as imports_router
    from sambandh.dataio.exports.api import router as exports_router
    from sambandh.notifications.api import router as notifications_router
    from sambandh.sales.api import router as sales_router

    api.add_router("", core_router)
    # Before contacts: its /contacts/{id} would take /contacts/bulk-jobs for an id.
    api.add_router("", bulk_router)
    # Before sales and activities: their /deals/{id} would take /deals/export for an id.
    api.add_router("", exports_router)
    api.add_router("", contacts_router)
    api.add_router("", sales_router)
    api.add_router("", activities_router)
    api.add_router("", imports_router)
    api.add_router("", automation_router)
    api.add_router("", workflows_router)
    api.add_router("", notifications_router)


_register_routers()
