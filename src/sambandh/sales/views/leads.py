"""HTML for leads: the public web form (anonymous, embeddable), the lead settings pages
(territories, lead forms, scoring and assignment rules: list, create, edit, delete), a form's
embed
snippet, the lead panel on the contact page and qualifying a lead.

The public form and CSRF. The form is meant to sit in an ``<iframe>`` on other sites, where
the visitor has no session with us and third-party cookies are often blocked, so Django's
cookie-based CSRF check cannot work there. It does not need to: CSRF protects what a
victim's ambient credentials allow, and this view uses none (it ignores any session and
acts as the web-forms system actor, whatever the browser carries). So the view is
``csrf_exempt`` and instead checks, in this order: a signed, time-limited token rendered into
the form (proves the post comes from a page we served in the last two hours, for this form);
a honeypot field hidden from people (a filled one gets the normal thank-you page and nothing
is stored); and a per-client rate limit (keyed hash of the address, 5 a minute per form,
429). ``X-Frame-Options`` is lifted for this view only (``xframe_options_exempt``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sambandh.contacts.models import Account, Contact
from sambandh.core.errors import Conflict, NotFound, ValidationError
from sambandh.core.models import Action, ObjectType, OrganisationSettings
from sambandh.core.permissions import has_grant, in_scope, require, visible
from sambandh.sales.forms_leads import KINDS, SettingsKind, cell, initial, parse, posted
from sambandh.sales.models import (
    LeadForm,
    Pipeline,
)
from sambandh.sales.selectors import leads as selectors
from sambandh.sales.services import leads
from sambandh.web.http import HtmxRequest, actor_of, page_view, wants_fragment

HONEYPOT = "website"
LANGUAGES = ("en", "hi")
ACCOUNT_CHOICES = 200


# ---------------------------------------------------------------- the public form


def _visitor_language(request: HttpRequest) -> str:
    """``?lang=hi`` first, then what LocaleMiddleware chose from Accept-Language."""
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    current = translation.get_language() or "en"
    return "hi" if current.startswith("hi") else "en"


def _field_labels() -> dict[str, Any]:
    return {
        "email": gettext_lazy("Email"),
        "first_name": gettext_lazy("First name"),
        "last_name": gettext_lazy("Last name"),
        "phone": gettext_lazy("Phone"),
        "job_title": gettext_lazy("Job title"),
        "city": gettext_lazy("City"),
        "state": gettext_lazy("State / region"),
        "country": gettext_lazy("Country"),
        "preferred_language": gettext_lazy("Preferred language"),
    }


def _public_context(
    request: HttpRequest, form: LeadForm, values: dict[str, str], errors: dict[str, list[str]]
) -> dict[str, Any]:
    labels = _field_labels()
    return {
        "form": form,
        "inputs": [
            {
                "name": name,
                "label": labels[name],
                "value": values.get(name, ""),
                "errors": errors.get(name, []),
                "type": "email" if name == "email" else ("tel" if name == "phone" else "text"),
                "required": name == "email",
            }
            for name in (form.fields or ["email"])
            if name in labels
        ],
        "form_errors": errors.get("", []),
        "token": leads.form_token(form),
        "honeypot": HONEYPOT,
        "lang": translation.get_language(),
    }


def _client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a proxy in front must set it (forwarded headers are forgeable).
    return str(request.META.get("REMOTE_ADDR", ""))


def _thank_you(request: HttpRequest, form: LeadForm) -> HttpResponse:
    hindi = (translation.get_language() or "").startswith("hi")
    message = (form.thank_you_hi if hindi else form.thank_you_en) or form.thank_you_en
    context = {"form": form, "message": message or _("Thank you! We will be in touch soon.")}
    return render(request, "sales/leads/public_thanks.html", context)


@csrf_exempt  # see the module docstring: a signed form token, honeypot and rate limit instead
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def lead_form_public(request: HttpRequest, slug: str) -> HttpResponse:
    """The public lead form: anonymous, embeddable, in the visitor's language."""
    with translation.override(_visitor_language(request)):
        try:
            form = selectors.public_form(slug=slug)
        except NotFound as error:
            return render(
                request,
                "sales/leads/public_thanks.html",
                {"message": error.message, "form": None},
                status=error.status,
            )
        if request.method == "GET":
            return render(
                request, "sales/leads/public_form.html", _public_context(request, form, {}, {})
            )
        post = request.POST
        values = {name: post.get(name, "") for name in (form.fields or ["email"])}
        if post.get(HONEYPOT):
            # A bot filled the field people never see: pretend success, store nothing.
            return _thank_you(request, form)
        if not leads.form_token_valid(form, post.get("token", "")):
            errors = {"": [_("This form has expired. Please submit it again.")]}
            context = _public_context(request, form, values, errors)
            return render(request, "sales/leads/public_form.html", context, status=400)
        try:
            leads.lead_capture(
                form=form,
                data=values,
                client=leads.client_key(_client_address(request), form),
            )
        except leads.RateLimited as error:
            context = _public_context(request, form, values, {"": [error.message]})
            return render(request, "sales/leads/public_form.html", context, status=429)
        except ValidationError as error:
            context = _public_context(request, form, values, error.fields)
            return render(request, "sales/leads/public_form.html", context, status=400)
        return _thank_you(request, form)


# ---------------------------------------------------------------- settings pages


def _form_page(
    request: HttpRequest,
    kind: SettingsKind,
    obj: Any | None,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
    conflict: bool = False,
) -> HttpResponse:
    inputs = [
        {
            "field": item,
            "value": values.get(item.name, ""),
            "options": item.options(),
            "errors": errors.get(item.name, []),
        }
        for item in kind.inputs
    ]
    context = {
        "kind": kind,
        "obj": obj,
        "can_delete": obj is not None
        and has_grant(actor_of(request), kind.object_type, Action.DELETE),
        "inputs": inputs,
        "form_errors": errors.get("", []),
        "conflict": conflict,
        "version": values.get("version") or (obj.version if obj is not None else ""),
    }
    return render(request, "sales/leads/settings_form.html", context, status=status)


def _save(request: HttpRequest, kind: SettingsKind, obj: Any | None) -> HttpResponse:
    actor = actor_of(request)
    values = posted(request.POST)
    data, errors = parse(kind, request.POST)
    if errors:
        return _form_page(request, kind, obj, values, errors, status=400)
    try:
        if obj is None:
            kind.create(actor=actor, data=data)
        else:
            try:
                version = int(request.POST.get("version", ""))
            except ValueError:
                version = -1
            kind.update(actor=actor, obj=obj, data=data, version=version)
    except Conflict as error:
        return _form_page(request, kind, obj, values, {"": [error.message]}, 409, conflict=True)
    except ValidationError as error:
        return _form_page(request, kind, obj, values, error.fields or {"": [error.message]}, 400)
    messages.success(request, _("Saved."))
    return redirect(kind.url("list"))


def _settings_list(request: HtmxRequest, kind: SettingsKind) -> HttpResponse:
    actor = actor_of(request)
    items = kind.items(actor=actor)
    rows = [
        {"obj": obj, "cells": [cell(obj, name) for name, _label in kind.columns]} for obj in items
    ]
    context = {
        "kind": kind,
        "rows": rows,
        "can_create": has_grant(actor, kind.object_type, Action.CREATE),
        "can_update": has_grant(actor, kind.object_type, Action.UPDATE),
        "can_delete": has_grant(actor, kind.object_type, Action.DELETE),
        "is_lead_form": kind.key == "lead_form",
    }
    return render(request, "sales/leads/settings_list.html", context)


def _settings_create(request: HtmxRequest, kind: SettingsKind) -> HttpResponse:
    require(actor_of(request), kind.object_type, Action.CREATE)
    if request.method == "POST":
        return _save(request, kind, None)
    return _form_page(request, kind, None, initial(kind, None), {})


def _settings_edit(request: HtmxRequest, kind: SettingsKind, pk: int) -> HttpResponse:
    actor = actor_of(request)
    obj = selectors.settings_get(actor=actor, model=kind.model, pk=pk)
    require(actor, kind.object_type, Action.UPDATE, obj)
    if request.method == "POST":
        return _save(request, kind, obj)
    values = initial(kind, obj)
    values["version"] = str(obj.version)  # type: ignore[attr-defined]
    return _form_page(request, kind, obj, values, {})


def _settings_delete(request: HtmxRequest, kind: SettingsKind, pk: int) -> HttpResponse:
    """Ask first (GET), delete on POST; a deletion the service refuses (a territory with
    sub-territories) shows its reason on the same page and deletes nothing."""
    actor = actor_of(request)
    obj = selectors.settings_get(actor=actor, model=kind.model, pk=pk)
    require(actor, kind.object_type, Action.DELETE, obj)
    errors: list[str] = []
    if request.method == "POST":
        try:
            kind.delete(actor=actor, obj=obj)
        except ValidationError as error:
            errors = [m for texts in error.fields.values() for m in texts] or [error.message]
        else:
            messages.success(request, _("Deleted."))
            return redirect(kind.url("list"))
    context = {"kind": kind, "obj": obj, "form_errors": errors}
    return render(
        request, "sales/leads/settings_delete.html", context, status=400 if errors else 200
    )


def _views_for(key: str) -> list[Any]:
    kind = KINDS[key]

    @require_http_methods(["GET"])
    @page_view
    def list_view(request: HtmxRequest) -> HttpResponse:
        return _settings_list(request, kind)

    @require_http_methods(["GET", "POST"])
    @page_view
    def create_view(request: HtmxRequest) -> HttpResponse:
        return _settings_create(request, kind)

    @require_http_methods(["GET", "POST"])
    @page_view
    def edit_view(request: HtmxRequest, pk: int) -> HttpResponse:
        return _settings_edit(request, kind, pk)

    @require_http_methods(["GET", "POST"])
    @page_view
    def delete_view(request: HtmxRequest, pk: int) -> HttpResponse:
        return _settings_delete(request, kind, pk)

    prefix = {
        "territory": "territories",
        "lead_form": "lead-forms",
        "scoring_rule": "scoring-rules",
        "assignment_rule": "assignment-rules",
    }[key]
    return [
        path(f"{prefix}/", list_view, name=f"{key}_list"),
        path(f"{prefix}/new/", create_view, name=f"{key}_create"),
        path(f"{prefix}/<int:pk>/", edit_view, name=f"{key}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete_view, name=f"{key}_delete"),
    ]


@require_http_methods(["GET"])
@page_view
def lead_form_embed(request: HtmxRequest, pk: int) -> HttpResponse:
    """The HTML to paste into another site: an iframe, and the plain address."""
    form = selectors.settings_get(actor=actor_of(request), model=LeadForm, pk=pk)
    public_url = request.build_absolute_uri(reverse("sales:lead_form_public", args=[form.slug]))
    snippet = (
        f'<iframe src="{public_url}" title="{form.name}" width="100%" height="560" '
        'style="border:0" loading="lazy"></iframe>'
    )
    return render(
        request,
        "sales/leads/embed.html",
        {"form": form, "public_url": public_url, "snippet": snippet},
    )


# ---------------------------------------------------------------- contact page


@require_http_methods(["GET"])
@page_view
def lead_panel(request: HtmxRequest, pk: int) -> HttpResponse:
    """The lead panel of a contact page (loaded by htmx): score, reasons, territory,
    assigning rule, deals and the qualify action."""
    actor = actor_of(request)
    context = selectors.contact_lead_panel(actor=actor, pk=pk)
    context["can_qualify"] = in_scope(actor, context["contact"], Action.UPDATE) and has_grant(
        actor, ObjectType.DEAL, Action.CREATE
    )
    template = (
        "sales/leads/panel.html#panel" if wants_fragment(request) else "sales/leads/panel.html"
    )
    return render(request, template, context)


def _qualify_values(contact: Contact) -> dict[str, str]:
    pipeline = (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    )
    return {
        "account_id": str(contact.account_id or ""),
        "create_account_name": "",
        "deal.name": _("%(name)s – deal") % {"name": contact},
        "deal.amount": "",
        "deal.currency": OrganisationSettings.get().base_currency,
        "deal.pipeline": str(pipeline.pk) if pipeline else "",
        "deal.expected_close_on": "",
        "version": str(contact.version),
    }


def _qualify_page(
    request: HttpRequest,
    contact: Contact,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    accounts = list(
        visible(actor, Account).order_by("name", "id").only("id", "name")[:ACCOUNT_CHOICES]
    )
    context = {
        "contact": contact,
        "values": values,
        "errors": errors,
        "form_errors": errors.get("", []) + errors.get("deal", []),
        "accounts": accounts,
        "pipelines": list(Pipeline.objects.filter(is_active=True).order_by("position", "id")),
    }
    return render(request, "sales/leads/qualify.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page_view
def lead_qualify(request: HtmxRequest, pk: int) -> HttpResponse:
    """Qualify a lead in one action: company, deal, lifecycle stage (all or nothing)."""
    actor = actor_of(request)
    contact = selectors.settings_get(actor=actor, model=Contact, pk=pk)
    require(actor, ObjectType.CONTACT, Action.UPDATE, contact)
    require(actor, ObjectType.DEAL, Action.CREATE)
    if request.method == "GET":
        return _qualify_page(request, contact, _qualify_values(contact), {})
    post = request.POST
    values = posted(post)
    deal = {
        key: post.get(f"deal.{key}", "").strip()
        for key in ("name", "amount", "currency", "pipeline", "expected_close_on")
    }
    deal = {k: v for k, v in deal.items() if v}
    account_raw = post.get("account_id", "").strip()
    try:
        version = int(post.get("version", ""))
    except ValueError:
        version = -1
    try:
        if account_raw and not account_raw.isdigit():
            raise ValidationError({"account_id": [_("Choose an existing company.")]})
        result = leads.lead_qualify(
            actor=actor,
            contact=contact,
            account=int(account_raw) if account_raw else None,
            create_account_name=post.get("create_account_name", ""),
            deal=deal,
            version=version,
        )
    except Conflict as error:
        return _qualify_page(request, contact, values, {"": [error.message]}, status=409)
    except ValidationError as error:
        fields = {("account_id" if k == "account" else k): v for k, v in error.fields.items()}
        return _qualify_page(request, contact, values, fields or {"": [error.message]}, 400)
    messages.success(request, _("Lead qualified: deal “%(deal)s” created.") % {"deal": result.deal})
    return redirect(reverse("web:contact_detail", args=[contact.pk]))


urlpatterns = [
    path("forms/<slug:slug>/", lead_form_public, name="lead_form_public"),
    *_views_for("territory"),
    *_views_for("lead_form"),
    *_views_for("scoring_rule"),
    *_views_for("assignment_rule"),
    path("lead-forms/<int:pk>/embed/", lead_form_embed, name="lead_form_embed"),
    path("contacts/<int:pk>/lead/", lead_panel, name="lead_panel"),
    path("contacts/<int:pk>/qualify/", lead_qualify, name="lead_qualify"),
]
