"""Sign-in, language and personal settings, global search: the pages every app shares."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sambandh.contacts.selectors import global_search
from sambandh.core.errors import Conflict, ValidationError
from sambandh.core.services import login_failed, login_succeeded, user_update
from sambandh.web.http import HtmxRequest, actor_of, page_view, wants_fragment

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
# A year: the choice outlives the session, as a language choice should.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )


class LoginView(auth_views.LoginView):
    """Django's sign-in, with every success and failure in the audit trail (never the password)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        login_succeeded(user=user)  # type: ignore[arg-type]
        # The user's saved language wins over whatever was picked on the sign-in page.
        _set_language_cookie(response, user.language)  # type: ignore[attr-defined]
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(form.data.get("username", ""))
        login_failed(username=username)
        return super().form_invalid(form)


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


@page_view
def home(request: HtmxRequest) -> HttpResponse:
    return redirect("web:contact_list")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.headers.get("Referer") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def set_language(request: HtmxRequest) -> HttpResponse:
    """Switch the interface language: saved on the user when signed in, in a cookie always."""
    language = request.POST.get("language", "")
    fallback = reverse("web:home") if request.user.is_authenticated else reverse("web:login")
    response = HttpResponseRedirect(_safe_next(request, fallback))
    if language not in LANGUAGE_CODES:
        return response
    if request.user.is_authenticated and request.user.language != language:
        # A listed language always validates; no version: the latest choice simply wins.
        user_update(
            actor=request.user, user=request.user, data={"language": language}, version=None
        )
    _set_language_cookie(response, language)
    translation.activate(language)
    return response


@page_view
def my_settings(request: HtmxRequest) -> HttpResponse:
    """The signed-in user's language and time zone."""
    user = actor_of(request)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"language": user.language, "time_zone": user.time_zone}
    status = 200
    if request.method == "POST":
        values = {
            "language": request.POST.get("language", ""),
            "time_zone": request.POST.get("time_zone", ""),
        }
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            updated = user_update(actor=user, user=user, data=values, version=version)
        except ValidationError as exc:
            errors, status = exc.fields, exc.status
        except Conflict as exc:
            errors, status = {"": [exc.message]}, exc.status
        else:
            translation.activate(updated.language)
            messages.success(request, _("Your settings were saved."))
            response = redirect("web:settings")
            _set_language_cookie(response, updated.language)
            return response
    context = {
        "values": values,
        "errors": errors,
        "version": user.version,
        "languages": settings.LANGUAGES,
        "time_zones": sorted(zoneinfo.available_timezones()),
    }
    return render(request, "web/settings.html", context, status=status)


@require_GET
@page_view
def search(request: HtmxRequest) -> HttpResponse:
    """Contacts and companies matching ``q``: a dropdown for htmx, a page otherwise."""
    q = request.GET.get("q", "").strip()[:200]
    hits = global_search(actor=actor_of(request), q=q) if q else []
    context = {"q": q, "hits": hits}
    template = "web/search.html#results" if wants_fragment(request) else "web/search.html"
    return render(request, template, context)
