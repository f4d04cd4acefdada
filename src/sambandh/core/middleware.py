from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from sambandh.core import ratelimit
from sambandh.core.context import request_cache_var, request_id_var
from sambandh.core.token_scopes import token_scopes_var

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a well-formed ``X-Request-ID``) for the audit trail,
    and leaves the thread's language as it found it: the locale and user-preference middleware
    activate the request's language, which must not carry over into work done after it (a
    task, a test, the next request on the same thread before its own activation). It also
    ends the request's other context (an API token's scopes) and adds an API request's
    rate-limit headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        cache_token = request_cache_var.set({})
        scopes_token = token_scopes_var.set(None)
        language = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            token_scopes_var.reset(scopes_token)
            request_cache_var.reset(cache_token)
            request_id_var.reset(token)
            if language:
                translation.activate(language)
            else:
                translation.deactivate()
        response["X-Request-ID"] = request_id
        ratelimit.add_headers(request, response)
        return response


class UserPreferencesMiddleware:
    """Activates the signed-in user's language (unless a language cookie says otherwise) and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from django.conf import settings

            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.headers.get(
                "Accept-Language-Override"
            ):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
