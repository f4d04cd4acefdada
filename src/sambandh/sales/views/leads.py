"""HTML for leads: the public web form (anonymous, embeddable), the lead settings pages
(territories, lead forms, scoring and assignment rules: list, create, edit), a form's embed
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

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sambandh.contacts.models import Account, Contact, LifecycleStage, SizeBand
from sambandh.core.errors import Conflict, NotFound, ValidationError
from sambandh.core.models import Action, ObjectType, OrganisationSettings, Team, User
from sambandh.core.permissions import has_grant, in_scope, require, visible
from sambandh.sales.models import (
    AssignmentRule,
    AssignmentStrategy,
    LeadForm,
    Pipeline,
    ScoringRule,
    ScoringRuleKind,
    Territory,
)
from sambandh.sales.selectors import leads as selectors
from sambandh.sales.services import assignment, leads, scoring, territories
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


@dataclass(frozen=True)
class Input:
    """One field of a settings form. ``widget``: text, list, select, checkbox, number, json."""

    name: str
    label: str | Promise
    widget: str = "text"
    help: str | Promise = ""
    options: Callable[[], list[tuple[str, str]]] = list


def _teams() -> list[tuple[str, str]]:
    return [("", "—"), *((str(t.pk), t.name) for t in Team.objects.order_by("name")[:500])]


def _users() -> list[tuple[str, str]]:
    users = User.objects.filter(is_active=True).order_by("username")[:500]
    return [("", "—"), *((str(u.pk), str(u)) for u in users)]


def _territories() -> list[tuple[str, str]]:
    return [("", "—"), *((str(t.pk), t.name) for t in Territory.objects.order_by("name")[:500])]


def _stages() -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in LifecycleStage.objects.filter(is_active=True)]


def _choices(pairs: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [("", "—"), *((str(k), str(v)) for k, v in pairs.items())]


@dataclass(frozen=True)
class SettingsKind:
    key: str
    model: type[models.Model]
    object_type: str
    title: str | Promise
    singular: str | Promise
    inputs: tuple[Input, ...]
    create: Callable[..., Any]
    update: Callable[..., Any]
    items: Callable[..., list[Any]]
    columns: tuple[tuple[str, str | Promise], ...] = field(default=())

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"sales:{self.key}_{name}", args=args)


KINDS: dict[str, SettingsKind] = {
    "territory": SettingsKind(
        key="territory",
        model=Territory,
        object_type=ObjectType.TERRITORY,
        title=gettext_lazy("Territories"),
        singular=gettext_lazy("Territory"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input("parent_id", gettext_lazy("Parent territory"), "select", options=_territories),
            Input(
                "countries",
                gettext_lazy("Countries"),
                "list",
                gettext_lazy("Two-letter codes, comma-separated, e.g. IN, NP. Empty: any."),
            ),
            Input(
                "states",
                gettext_lazy("States / regions"),
                "list",
                gettext_lazy("Comma-separated. Empty: any."),
            ),
            Input(
                "industries",
                gettext_lazy("Industries"),
                "list",
                gettext_lazy("Comma-separated. Empty: any."),
            ),
            Input("size_bands", gettext_lazy("Company sizes"), "list", ", ".join(SizeBand.values)),
            Input("team_id", gettext_lazy("Team"), "select", options=_teams),
            Input("default_owner_id", gettext_lazy("Default owner"), "select", options=_users),
            Input("position", gettext_lazy("Position"), "number"),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: territories.territory_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: territories.territory_update(
            actor=actor, territory=obj, data=data, version=version
        ),
        items=selectors.territory_list,
        columns=(
            ("name", gettext_lazy("Name")),
            ("parent", gettext_lazy("Parent territory")),
            ("countries", gettext_lazy("Countries")),
            ("states", gettext_lazy("States / regions")),
            ("team", gettext_lazy("Team")),
            ("default_owner", gettext_lazy("Default owner")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
    "lead_form": SettingsKind(
        key="lead_form",
        model=LeadForm,
        object_type=ObjectType.LEAD_FORM,
        title=gettext_lazy("Lead forms"),
        singular=gettext_lazy("Lead form"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input(
                "slug",
                gettext_lazy("Address"),
                help=gettext_lazy("Letters, digits and hyphens: /sales/forms/<address>/"),
            ),
            Input("source", gettext_lazy("Source")),
            Input("campaign", gettext_lazy("Campaign")),
            Input("fields", gettext_lazy("Fields"), "list", ", ".join(leads.CAPTURE_FIELDS)),
            Input("thank_you_en", gettext_lazy("Thank-you message (English)")),
            Input("thank_you_hi", gettext_lazy("Thank-you message (Hindi)")),
            Input(
                "lifecycle_stage_key", gettext_lazy("Lifecycle stage"), "select", options=_stages
            ),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: leads.lead_form_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: leads.lead_form_update(
            actor=actor, form=obj, data=data, version=version
        ),
        items=selectors.lead_form_list,
        columns=(
            ("name", gettext_lazy("Name")),
            ("slug", gettext_lazy("Address")),
            ("source", gettext_lazy("Source")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
    "scoring_rule": SettingsKind(
        key="scoring_rule",
        model=ScoringRule,
        object_type=ObjectType.LEAD_RULE,
        title=gettext_lazy("Lead scoring rules"),
        singular=gettext_lazy("Scoring rule"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input(
                "kind",
                gettext_lazy("Kind"),
                "select",
                options=_choices(dict(ScoringRuleKind.choices)),
            ),
            Input(
                "field", gettext_lazy("Field"), "select", options=_choices(scoring.ATTRIBUTE_FIELDS)
            ),
            Input(
                "operator", gettext_lazy("Operator"), "select", options=_choices(scoring.OPERATORS)
            ),
            Input(
                "value",
                gettext_lazy("Value"),
                help=gettext_lazy("For “is one of”: comma-separated."),
            ),
            Input(
                "event", gettext_lazy("Behaviour"), "select", options=_choices(scoring.BEHAVIOURS)
            ),
            Input("points", gettext_lazy("Points"), "number"),
            Input(
                "decay_days",
                gettext_lazy("Points fade over (days)"),
                "number",
                gettext_lazy("Behaviour points fade linearly to 0. Empty: never."),
            ),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: scoring.scoring_rule_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: scoring.scoring_rule_update(
            actor=actor, rule=obj, data=data, version=version
        ),
        items=selectors.scoring_rule_list,
        columns=(
            ("name", gettext_lazy("Name")),
            ("kind", gettext_lazy("Kind")),
            ("summary", gettext_lazy("Rule")),
            ("points", gettext_lazy("Points")),
            ("decay_days", gettext_lazy("Points fade over (days)")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
    "assignment_rule": SettingsKind(
        key="assignment_rule",
        model=AssignmentRule,
        object_type=ObjectType.LEAD_RULE,
        title=gettext_lazy("Lead assignment rules"),
        singular=gettext_lazy("Assignment rule"),
        inputs=(
            Input("name", gettext_lazy("Name")),
            Input("position", gettext_lazy("Position"), "number"),
            Input(
                "strategy",
                gettext_lazy("Strategy"),
                "select",
                options=_choices(dict(AssignmentStrategy.choices)),
            ),
            Input("team_id", gettext_lazy("Team"), "select", options=_teams),
            Input(
                "conditions",
                gettext_lazy("Conditions"),
                "json",
                gettext_lazy(
                    'JSON, e.g. {"country": ["IN", "NP"], "source": "web"}. Empty: every lead.'
                ),
            ),
            Input("is_active", gettext_lazy("Is active"), "checkbox"),
        ),
        create=lambda *, actor, data: assignment.assignment_rule_create(actor=actor, data=data),
        update=lambda *, actor, obj, data, version: assignment.assignment_rule_update(
            actor=actor, rule=obj, data=data, version=version
        ),
        items=selectors.assignment_rule_list,
        columns=(
            ("position", gettext_lazy("Position")),
            ("name", gettext_lazy("Name")),
            ("strategy", gettext_lazy("Strategy")),
            ("team", gettext_lazy("Team")),
            ("conditions", gettext_lazy("Conditions")),
            ("is_active", gettext_lazy("Is active")),
        ),
    ),
}


def _cell(obj: Any, name: str) -> str:
    if name == "summary":
        if obj.kind == ScoringRuleKind.BEHAVIOUR:
            return str(scoring.BEHAVIOURS.get(obj.event, obj.event))
        label = scoring.ATTRIBUTE_FIELDS.get(obj.field, obj.field)
        return f"{label} {scoring.OPERATORS.get(obj.operator, obj.operator)} {obj.value}"
    value = getattr(obj, name)
    if name in ("kind", "strategy"):
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return "" if value is None else str(value)


def _initial(kind: SettingsKind, obj: Any | None) -> dict[str, str]:
    if obj is None:
        return {"is_active": "on"}
    out: dict[str, str] = {}
    for item in kind.inputs:
        value = getattr(obj, item.name)
        if item.widget == "checkbox":
            out[item.name] = "on" if value else ""
        elif item.widget == "list":
            out[item.name] = ", ".join(str(v) for v in value or [])
        elif item.widget == "json":
            out[item.name] = json.dumps(value, ensure_ascii=False) if value else ""
        else:
            out[item.name] = "" if value is None else str(value)
    return out


def _posted(post: QueryDict) -> dict[str, str]:
    """What was submitted, to show again with the errors."""
    return {k: str(post.get(k, "")) for k in post if k != "csrfmiddlewaretoken"}


def _parse(kind: SettingsKind, post: QueryDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's values as a service expects them; a field the form leaves empty is sent
    empty (so it can be cleared), a checkbox absent is False."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in kind.inputs:
        raw = post.get(item.name, "")
        if item.widget == "checkbox":
            data[item.name] = item.name in post
        elif item.widget == "json":
            if raw.strip():
                try:
                    data[item.name] = json.loads(raw)
                except ValueError:
                    errors[item.name] = [_("Enter valid JSON.")]
            else:
                data[item.name] = {}
        elif item.widget == "number":
            data[item.name] = raw.strip() or None
        else:
            data[item.name] = raw
    # An empty number that the model requires (position) falls back to its default.
    if data.get("position") is None and "position" in data:
        data["position"] = 0
    return data, errors


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
        "inputs": inputs,
        "form_errors": errors.get("", []),
        "conflict": conflict,
        "version": values.get("version") or (obj.version if obj is not None else ""),
    }
    return render(request, "sales/leads/settings_form.html", context, status=status)


def _save(request: HttpRequest, kind: SettingsKind, obj: Any | None) -> HttpResponse:
    actor = actor_of(request)
    values = _posted(request.POST)
    data, errors = _parse(kind, request.POST)
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
        {"obj": obj, "cells": [_cell(obj, name) for name, _label in kind.columns]} for obj in items
    ]
    context = {
        "kind": kind,
        "rows": rows,
        "can_create": has_grant(actor, kind.object_type, Action.CREATE),
        "can_update": has_grant(actor, kind.object_type, Action.UPDATE),
        "is_lead_form": kind.key == "lead_form",
    }
    return render(request, "sales/leads/settings_list.html", context)


def _settings_create(request: HtmxRequest, kind: SettingsKind) -> HttpResponse:
    require(actor_of(request), kind.object_type, Action.CREATE)
    if request.method == "POST":
        return _save(request, kind, None)
    return _form_page(request, kind, None, _initial(kind, None), {})


def _settings_edit(request: HtmxRequest, kind: SettingsKind, pk: int) -> HttpResponse:
    actor = actor_of(request)
    obj = selectors.settings_get(actor=actor, model=kind.model, pk=pk)
    require(actor, kind.object_type, Action.UPDATE, obj)
    if request.method == "POST":
        return _save(request, kind, obj)
    values = _initial(kind, obj)
    values["version"] = str(obj.version)  # type: ignore[attr-defined]
    return _form_page(request, kind, obj, values, {})


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
    values = _posted(post)
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
