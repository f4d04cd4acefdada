"""Leads: capture (public web forms and the API), lead forms, and qualifying a lead.

A lead is a contact in a lead lifecycle stage, never a separate copy. Capture writes through
the contacts services (``contact_create`` / ``contact_update``), so a captured lead is
validated, audited, indexed and placed in its territory like any other contact:

1. duplicates by email update the existing contact: empty fields are filled, nothing is
   overwritten (a blank never replaces a value) and the owner stays;
2. a new contact gets the form's lifecycle stage and source, then the assignment rules run,
   then scoring (``form_submitted`` for web forms).

Public web forms have no signed-in user. They write as the *web-forms system actor*: a user
row that cannot log in (inactive, no password, no role) and whose rights are granted here in
code, only for this path: create, read and update contacts. Audit entries name it ("Web
forms"); the submission row names the form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sambandh.contacts import services as contact_services
from sambandh.contacts.models import Account, Contact, LifecycleStage
from sambandh.contacts.services.cleaning import _contact_cleaners
from sambandh.core import validation
from sambandh.core.errors import SambandhError, ValidationError
from sambandh.core.events import event_emit
from sambandh.core.models import Action, ObjectType, OrganisationSettings, Scope, User
from sambandh.core.permissions import ActorGrants, get_visible, require, visible
from sambandh.core.records import record_change
from sambandh.sales.models import LeadForm, LeadFormSubmission
from sambandh.sales.services.assignment import lead_assign
from sambandh.sales.services.scoring import (
    lead_score_record,
    lead_score_refresh,
    lead_scores_refresh,
)
from sambandh.sales.services.territories import (
    ACCOUNT_TERRITORY_FIELDS,
    CONTACT_TERRITORY_FIELDS,
    clean_name,
    clean_values,
    settings_create,
    settings_delete,
    settings_update,
    territory_assign,
)

# The contact fields a web form may ask for (email is always asked and required).
CAPTURE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "city",
    "state",
    "country",
    "preferred_language",
)
LEAD_FORM_FIELDS = (
    "name",
    "slug",
    "source",
    "campaign",
    "fields",
    "thank_you_en",
    "thank_you_hi",
    "lifecycle_stage_key",
    "is_active",
)
RATE_LIMIT = 5  # submissions per client and form
RATE_WINDOW = dt.timedelta(minutes=1)
TOKEN_MAX_AGE = 2 * 60 * 60  # seconds a rendered form stays valid
TOKEN_SALT = "sambandh.sales.lead-form"  # noqa: S105 - a signing namespace, not a secret
QUALIFIED_STAGE = "opportunity"
SYSTEM_USERNAME = "system-web-forms"
# The contact fields whose change can move a lead score.
SCORE_FIELDS = frozenset(
    {
        "country",
        "state",
        "city",
        "job_title",
        "source",
        "preferred_language",
        "lifecycle_stage",
        "email",
        "account_id",
    }
)
ACCOUNT_SCORE_FIELDS = frozenset({"industry", "size_band", "country", "annual_revenue"})


class RateLimited(SambandhError):
    status = 429
    code = "rate_limited"

    def default_message(self) -> str:
        return _("Too many submissions. Please wait a minute and try again.")


# ---------------------------------------------------------------- the system actor


def capture_actor() -> User:
    """The web-forms system actor (see the module docstring), with its grants set in code."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Web forms", "is_active": False, "password": "!"},
    )
    grants = ActorGrants(is_admin=False)
    for action in (Action.CREATE, Action.READ, Action.UPDATE):
        grants.scopes[(ObjectType.CONTACT, action)] = Scope.ALL
    grants.scopes[(ObjectType.ACCOUNT, Action.READ)] = Scope.ALL
    user._sambandh_grants = grants  # type: ignore[attr-defined]
    return user


# ---------------------------------------------------------------- hooks from contacts


def after_record_write(
    *, actor: User | None, record: Contact | Account, changed: set[str] | None
) -> None:
    """What follows a contact or company write (called by the contacts services, inside their
    transaction): the territory when its inputs changed (``changed`` None: just created), and
    the lead score when an input of a scoring rule changed."""
    if isinstance(record, Contact):
        if changed is None or changed & CONTACT_TERRITORY_FIELDS:
            territory_assign(actor=actor, record=record)
        if changed is None or changed & SCORE_FIELDS:
            lead_score_refresh(contact=record)
        return
    if changed is None or changed & ACCOUNT_TERRITORY_FIELDS:
        territory_assign(actor=actor, record=record)
    if changed is not None and changed & ACCOUNT_SCORE_FIELDS:
        lead_scores_refresh(contacts=Contact.objects.filter(account_id=record.pk))


# ---------------------------------------------------------------- lead forms


def _slug(value: Any) -> str:
    text = validation.clean_text(value, max_length=60, required=True).lower()
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError(_("Use only letters, digits, hyphens and underscores."))
    return text


def _form_fields(value: Any) -> list[str]:
    if value in (None, ""):
        return ["email", "first_name", "last_name"]
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(_("Enter a list of field names."))
    unknown = [v for v in value if v not in CAPTURE_FIELDS]
    if unknown:
        raise ValueError(_("Unknown field: %(name)s") % {"name": ", ".join(unknown)})
    ordered = ["email", *[f for f in CAPTURE_FIELDS if f in value and f != "email"]]
    return ordered


def _stage_key(value: Any) -> str:
    key = validation.clean_text(value, max_length=40, required=True)
    if not LifecycleStage.objects.filter(key=key, is_active=True).exists():
        raise ValueError(_("Choose a lifecycle stage."))
    return key


def _lead_form_cleaners() -> dict[str, Any]:
    return {
        "name": clean_name,
        "slug": _slug,
        "source": lambda v: validation.clean_text(v, max_length=60),
        "campaign": lambda v: validation.clean_text(v, max_length=120),
        "fields": _form_fields,
        "thank_you_en": lambda v: validation.clean_text(v, max_length=300),
        "thank_you_hi": lambda v: validation.clean_text(v, max_length=300),
        "lifecycle_stage_key": _stage_key,
        "is_active": validation.clean_bool,
    }


def _unique_slug(form: LeadForm) -> None:
    if LeadForm.objects.filter(slug=form.slug).exclude(pk=form.pk).exists():
        raise ValidationError({"slug": [_("Another form has this address.")]})


def lead_form_create(*, actor: User, data: dict[str, Any]) -> LeadForm:
    """Create a public lead form."""
    values = clean_values(data, LEAD_FORM_FIELDS, _lead_form_cleaners())
    missing = [n for n in ("name", "slug") if n not in values]
    if missing:
        raise ValidationError({n: [_("This field is required.")] for n in missing})
    values.setdefault("fields", _form_fields(None))
    return settings_create(
        actor=actor,
        model=LeadForm,
        object_type=ObjectType.LEAD_FORM,
        values=values,
        event="lead_form.created",
        validate=_unique_slug,
    )


def lead_form_update(
    *, actor: User, form: LeadForm, data: dict[str, Any], version: int | None
) -> LeadForm:
    """Change a lead form (409 on a stale version)."""
    values = clean_values(data, LEAD_FORM_FIELDS, _lead_form_cleaners())
    form, _changes = settings_update(
        actor=actor,
        obj=form,
        object_type=ObjectType.LEAD_FORM,
        values=values,
        version=version,
        event="lead_form.updated",
        validate=_unique_slug,
    )
    return form


def lead_form_delete(*, actor: User, form: LeadForm) -> None:
    """Delete a lead form and its submission log; captured contacts stay."""
    settings_delete(
        actor=actor, obj=form, object_type=ObjectType.LEAD_FORM, event="lead_form.deleted"
    )


# ---------------------------------------------------------------- form tokens and clients


class _Signer(signing.TimestampSigner):
    """A timestamp signer whose clock can be set (tests issue tokens in the past)."""

    def __init__(self, issued_at: float | None = None) -> None:
        super().__init__(salt=TOKEN_SALT)
        self._issued_at = issued_at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._issued_at if self._issued_at else time.time()))


def form_token(form: LeadForm, *, issued_at: float | None = None) -> str:
    """A signed, time-limited token the rendered form carries (see the view for why)."""
    return _Signer(issued_at).sign(str(form.pk))


def form_token_valid(form: LeadForm, token: str) -> bool:
    try:
        value = _Signer().unsign(token, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError):
        return False
    return value == str(form.pk)


def client_key(remote_addr: str, form: LeadForm) -> str:
    """A keyed hash of the sender's address: enough to rate-limit, useless to read back."""
    raw = f"{settings.SECRET_KEY}|{form.pk}|{remote_addr}".encode()
    return hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------- capture


@dataclass(frozen=True)
class CaptureResult:
    contact: Contact
    was_created: bool


def _clean_capture(data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """Clean the captured fields with the contacts' own cleaners; email is required."""
    region = str(data.get("country") or "").upper() or OrganisationSettings.get().country
    cleaners = _contact_cleaners(capture_actor(), region)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in allowed:
        if name not in data:
            continue
        try:
            values[name] = cleaners[name](data[name])
        except ValueError as exc:
            errors[name] = [str(exc)]
    if not values.get("email") and "email" not in errors:
        errors["email"] = [_("Enter your email address.")]
    if errors:
        raise ValidationError(errors)
    return values


def _capture(
    *,
    actor: User,
    values: dict[str, Any],
    stage_key: str,
    source: str,
    new_owner: dict[str, Any],
) -> CaptureResult:
    existing = (
        visible(actor, Contact).filter(email=values["email"]).order_by("id").first()
        if values.get("email")
        else None
    )
    if existing is not None:
        fill = {k: v for k, v in values.items() if v not in ("", None) and not getattr(existing, k)}
        if source and not existing.source:
            fill["source"] = source
        if existing.lifecycle_stage_id is None and stage_key:
            fill["lifecycle_stage"] = stage_key
        contact = existing
        if fill:
            contact = contact_services.contact_update(
                actor=actor, contact=existing, data=fill, version=None
            )
        return CaptureResult(contact, False)
    data = {**values, "lifecycle_stage": stage_key, "source": source, **new_owner}
    contact = contact_services.contact_create(actor=actor, data=data)
    lead_assign(actor=actor, contact=contact)
    return CaptureResult(contact, True)


def lead_capture(
    *, form: LeadForm, data: dict[str, Any], client: str, now: dt.datetime | None = None
) -> CaptureResult:
    """A public web-form submission (already past the token and honeypot checks).

    Rate-limited per client and form (``RATE_LIMIT`` a minute, counted from stored
    submissions under a lock on the form row, so parallel posts cannot slip past).
    """
    now = now or timezone.now()
    if not form.is_active:
        raise ValidationError({"": [_("This form is closed.")]})
    allowed = tuple(f for f in (form.fields or ["email"]) if f in CAPTURE_FIELDS)
    if "email" not in allowed:
        allowed = ("email", *allowed)
    actor = capture_actor()
    with transaction.atomic():
        LeadForm.objects.select_for_update().filter(pk=form.pk).first()
        recent = LeadFormSubmission.objects.filter(
            form=form, client_key=client, submitted_at__gt=now - RATE_WINDOW
        )[:RATE_LIMIT].count()
        if recent >= RATE_LIMIT:
            raise RateLimited()
        values = _clean_capture(data, allowed)
        result = _capture(
            actor=actor,
            values=values,
            stage_key=form.lifecycle_stage_key,
            source=form.source or "web_form",
            # Nobody owns a web lead until a territory or an assignment rule says who.
            new_owner={"owner_id": None, "team_id": None},
        )
        LeadFormSubmission.objects.create(
            form=form,
            contact=result.contact,
            submitted_at=now,
            was_new_contact=result.was_created,
            client_key=client,
            data=dict(values),
        )
        lead_score_record(
            contact=result.contact, event="form_submitted", reason=form.name, occurred_at=now
        )
        event_emit(
            name="lead_form.submitted",
            actor=None,
            object_type=ObjectType.CONTACT,
            object_id=result.contact.pk,
            payload={
                "id": result.contact.pk,
                "form_id": form.pk,
                "was_new_contact": result.was_created,
            },
        )
    return result


def lead_capture_api(*, actor: User, data: dict[str, Any]) -> CaptureResult:
    """A lead from an integration: the same dedup semantics as web forms, as ``actor``.

    Duplicates are looked for among the contacts the actor can read. New contacts belong to
    the actor unless an assignment rule gives them to someone else.
    """
    require(actor, ObjectType.CONTACT, Action.CREATE)
    if not isinstance(data, dict):
        raise ValidationError({"": [_("Enter an object.")]})
    extra = {"source", "lifecycle_stage"}
    unknown = sorted(set(data) - set(CAPTURE_FIELDS) - extra)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    source = validation.clean_text(data.get("source") or "api", max_length=60)
    stage_key = str(data.get("lifecycle_stage") or "lead")
    with transaction.atomic():
        values = _clean_capture(data, CAPTURE_FIELDS)
        result = _capture(
            actor=actor, values=values, stage_key=stage_key, source=source, new_owner={}
        )
        lead_score_refresh(contact=result.contact)
    return result


# ---------------------------------------------------------------- qualify


@dataclass(frozen=True)
class QualifyResult:
    contact: Contact
    account: Account
    deal: Any


DEAL_KEYS = {
    "name": "name",
    "amount": "amount",
    "currency": "currency",
    "pipeline": "pipeline_id",
    "pipeline_id": "pipeline_id",
    "expected_close_on": "expected_close_on",
}


def _before_qualified(contact: Contact) -> bool:
    """A lead moves up to "opportunity"; a customer (or any later stage) keeps its stage."""
    target = LifecycleStage.objects.filter(key=QUALIFIED_STAGE).first()
    if target is None:
        return False
    if contact.lifecycle_stage_id is None:
        return True
    current = LifecycleStage.objects.filter(pk=contact.lifecycle_stage_id).first()
    return current is None or current.position < target.position


def lead_qualify(
    *,
    actor: User,
    contact: Contact,
    deal: dict[str, Any],
    account: int | None = None,
    create_account_name: str | None = None,
    version: int | None = None,
) -> QualifyResult:
    """Qualify a lead in one action, all or nothing (one transaction):

    link the given company (``account``: an id the actor can see), or create one named
    ``create_account_name`` (with the contact's address), or keep the contact's company;
    create a deal (``deal``: name, amount, currency, pipeline, expected_close_on) with the
    contact as decision maker; move the contact up to the "opportunity" lifecycle stage (a
    contact already at that stage or a later one, such as a customer, keeps its stage).
    """
    from sambandh.sales.services.deals import deal_create

    require(actor, ObjectType.CONTACT, Action.UPDATE, contact)
    require(actor, ObjectType.DEAL, Action.CREATE)
    if not isinstance(deal, dict):
        raise ValidationError({"deal": [_("Enter an object.")]})
    unknown = sorted(set(deal) - set(DEAL_KEYS))
    if unknown:
        raise ValidationError({f"deal.{k}": [_("Unknown field.")] for k in unknown})
    name = (create_account_name or "").strip()
    if account is not None and name:
        raise ValidationError({"account": [_("Choose a company or name a new one, not both.")]})
    if account is None and not name and contact.account_id is None:
        raise ValidationError({"account": [_("Choose a company or name a new one.")]})
    with transaction.atomic():
        if name:
            company = contact_services.account_create(
                actor=actor,
                data={
                    "name": name,
                    "country": contact.country,
                    "state": contact.state,
                    "city": contact.city,
                },
            )
        else:
            pk = account if account is not None else contact.account_id
            company = get_visible(actor, Account, pk)
        changes: dict[str, Any] = {"account_id": company.pk}
        if _before_qualified(contact):
            changes["lifecycle_stage"] = QUALIFIED_STAGE
        contact = contact_services.contact_update(
            actor=actor, contact=contact, data=changes, version=version
        )
        deal_data = {DEAL_KEYS[k]: v for k, v in deal.items()}
        deal_data.update(
            {
                "account_id": company.pk,
                "contacts": [{"contact_id": contact.pk, "role": "decision_maker"}],
            }
        )
        if contact.source and "source" not in deal_data:
            deal_data["source"] = contact.source
        try:
            created = deal_create(actor=actor, data=deal_data)
        except ValidationError as exc:
            reverse = {v: k for k, v in DEAL_KEYS.items() if k != "pipeline_id"}
            raise ValidationError(
                {f"deal.{reverse.get(k, k)}" if k else "deal": v for k, v in exc.fields.items()},
                exc.message,
            ) from exc
        record_change(
            actor=actor,
            action="qualify",
            object_type=ObjectType.CONTACT,
            obj=contact,
            changes={"account_id": [None, company.pk], "deal_id": [None, created.pk]},
            event="lead.qualified",
            payload={"id": contact.pk, "account_id": company.pk, "deal_id": created.pk},
        )
    return QualifyResult(contact=contact, account=company, deal=created)
