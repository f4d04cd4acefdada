"""What every HTML view shares: the signed-in actor, htmx-aware login redirects and the
mapping of our domain errors to pages and fragments with the right status."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from sambandh.core.errors import SambandhError
from sambandh.core.models import User

View = Callable[..., HttpResponse]

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60


class HtmxHttpRequest(HttpRequest):
    """An HttpRequest as django-htmx's middleware leaves it (for type checking)."""

    htmx: HtmxDetails


def actor_of(request: HttpRequest) -> User:
    """The signed-in user; views reach this only behind ``web_view``."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - web_view redirected anonymous users
        raise TypeError("expected a signed-in user")
    return user


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def fragment_or_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Pages that answer htmx with a fragment must not be cached as one for the other."""
    patch_vary_headers(response, ("HX-Request",))
    return response


def error_response(request: HttpRequest, error: SambandhError) -> HttpResponse:
    """A translated page (or, for htmx, a message in the page's alert region) with the error's status."""
    context = {"error": error, "status": error.status, "title": _error_title(error.status)}
    if is_htmx(request):
        response = render(request, "web/error.html#message", context, status=error.status)
        # An error must not replace the part of the page that asked: show it in the alert region.
        return reswap(retarget(response, "#alerts"), "innerHTML")
    return fragment_or_page(
        request, render(request, "web/error.html", context, status=error.status)
    )


def _error_title(status: int) -> str:
    titles = {
        400: _("Please check your input"),
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Changed by someone else"),
    }
    return titles.get(status, _("Something went wrong"))


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Send an anonymous visitor to the login page (htmx: the whole page, not a fragment)."""
    if is_htmx(request):
        current = request.headers.get("HX-Current-URL") or request.get_full_path()
        target = redirect_to_login(current, settings.LOGIN_URL)
        return HttpResponseClientRedirect(target["Location"])
    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)


def web_view(view: View) -> View:
    """Signed-in users only; SambandhError from any layer becomes a translated error response."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return login_redirect(request)
        try:
            return view(request, *args, **kwargs)
        except SambandhError as error:
            return error_response(request, error)

    return wrapper


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember the language for pages seen while signed out (and for the middleware's choice)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )


def activate_language(request: HttpRequest, language: str) -> None:
    """Switch the rest of this request (messages added after a change) to ``language``."""
    translation.activate(language)
    request.LANGUAGE_CODE = language


# NOTE (web helper session, 16:02 UTC): this file was overwritten by a second session that
# was given the same brief; the names below keep the imports of web/views.py and
# contacts/views.py working. Replace this module with your own version as you see fit.
HtmxRequest = HtmxHttpRequest
page_view = web_view


def wants_fragment(request: HttpRequest) -> bool:
    """True for htmx requests that expect a fragment (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not bool(getattr(htmx, "history_restore_request", False))
