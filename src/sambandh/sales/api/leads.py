"""API routes for leads: capture (/leads), a contact's score and qualification, and the lead
settings: territories, lead forms, scoring rules and assignment rules.

Thin: parse, call a selector or a service, shape the response. Input types are loose where
the services validate (per-field translated messages); ids and versions are bounded here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from sambandh.contacts.api import contact_out
from sambandh.contacts.models import Contact
from sambandh.contacts.schemas import ContactOut
from sambandh.core.api import actor_of, body_of
from sambandh.core.schemas import ERRORS, Id, In, Version
from sambandh.sales.models import AssignmentRule, LeadForm, ScoringRule, Territory
from sambandh.sales.selectors import leads as selectors
from sambandh.sales.services import assignment, leads, scoring, territories

router = Router(tags=["leads"])

Text = str | None
TextList = list[str] | None
Number = int | str | None


# ---------------------------------------------------------------- schemas


class TerritoryOut(Schema):
    id: int
    version: int
    name: str
    parent_id: int | None
    countries: list[str]
    states: list[str]
    industries: list[str]
    size_bands: list[str]
    team_id: int | None
    default_owner_id: int | None
    position: int
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class TerritoryIn(In):
    name: Text = None
    parent_id: Id | None = None
    countries: TextList = Field(None, max_length=200)
    states: TextList = Field(None, max_length=200)
    industries: TextList = Field(None, max_length=200)
    size_bands: TextList = Field(None, max_length=200)
    team_id: Id | None = None
    default_owner_id: Id | None = None
    position: Number = None
    is_active: bool | None = None


class TerritoryPatchIn(TerritoryIn):
    version: Version


class LeadFormOut(Schema):
    id: int
    version: int
    name: str
    slug: str
    source: str
    campaign: str
    fields: list[str]
    thank_you_en: str
    thank_you_hi: str
    lifecycle_stage_key: str
    is_active: bool
    public_url: str = Field(description="The form's public address (embed it in an iframe).")
    created_at: dt.datetime
    updated_at: dt.datetime


class LeadFormIn(In):
    name: Text = None
    slug: Text = None
    source: Text = None
    campaign: Text = None
    fields: TextList = Field(None, max_length=20)
    thank_you_en: Text = None
    thank_you_hi: Text = None
    lifecycle_stage_key: Text = None
    is_active: bool | None = None


class LeadFormPatchIn(LeadFormIn):
    version: Version


class ScoringRuleOut(Schema):
    id: int
    version: int
    name: str
    kind: str
    field: str
    operator: str
    value: str
    event: str
    points: int
    decay_days: int | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ScoringRuleIn(In):
    name: Text = None
    kind: Text = Field(None, description="`attribute` or `behaviour`.")
    field: Text = Field(
        None,
        description="Attribute rules: " + ", ".join(f"`{f}`" for f in scoring.ATTRIBUTE_FIELDS),
    )
    operator: Text = Field(None, description="`equals`, `in`, `contains` or `gte`.")
    value: Text = None
    event: Text = Field(
        None, description="Behaviour rules: " + ", ".join(f"`{e}`" for e in scoring.BEHAVIOURS)
    )
    points: Number = None
    decay_days: Number = Field(None, description="Behaviour points fade linearly to 0.")
    is_active: bool | None = None


class ScoringRulePatchIn(ScoringRuleIn):
    version: Version


class AssignmentRuleOut(Schema):
    id: int
    version: int
    name: str
    position: int
    strategy: str
    team_id: int | None
    conditions: dict[str, Any]
    last_assigned_id: int | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class AssignmentRuleIn(In):
    name: Text = None
    position: Number = None
    strategy: Text = Field(None, description="`round_robin`, `territory` or `lowest_load`.")
    team_id: Id | None = None
    conditions: dict[str, Any] | None = Field(
        None, description='Field -> value or values, e.g. `{"country": ["IN", "NP"]}`.'
    )
    is_active: bool | None = None


class AssignmentRulePatchIn(AssignmentRuleIn):
    version: Version


class LeadIn(In):
    email: Text = None
    first_name: Text = None
    last_name: Text = None
    phone: Text = None
    job_title: Text = None
    city: Text = None
    state: Text = None
    country: Text = None
    preferred_language: Text = None
    source: Text = Field(None, description='Default "api".')
    lifecycle_stage: Text = Field(None, description='A lifecycle stage key; default "lead".')


class LeadOut(Schema):
    contact: ContactOut
    was_created: bool


class ReasonOut(Schema):
    rule_id: int
    rule: str
    kind: str
    points: int
    detail: str


class ScoreOut(Schema):
    contact_id: int
    total: int
    stored: int = Field(description="The score stored on the contact (for sorting).")
    reasons: list[ReasonOut]


class QualifyDealIn(In):
    name: Text = None
    amount: str | int | None = None
    currency: Text = None
    pipeline: Id | None = None
    expected_close_on: Text = None


class QualifyIn(In):
    account_id: Id | None = Field(None, description="Link this existing company…")
    create_account_name: Text = Field(None, description="…or create a company with this name.")
    deal: QualifyDealIn
    version: Version | None = None


class QualifyOut(Schema):
    contact: ContactOut
    account_id: int
    deal_id: int


# ---------------------------------------------------------------- shaping


def _base(obj: Any) -> dict[str, Any]:
    return {
        "id": obj.pk,
        "version": obj.version,
        "created_at": obj.created_at,
        "updated_at": obj.updated_at,
    }


def territory_out(t: Territory) -> dict[str, Any]:
    return {
        **_base(t),
        "name": t.name,
        "parent_id": t.parent_id,
        "countries": list(t.countries or []),
        "states": list(t.states or []),
        "industries": list(t.industries or []),
        "size_bands": list(t.size_bands or []),
        "team_id": t.team_id,
        "default_owner_id": t.default_owner_id,
        "position": t.position,
        "is_active": t.is_active,
    }


def lead_form_out(f: LeadForm) -> dict[str, Any]:
    return {
        **_base(f),
        "name": f.name,
        "slug": f.slug,
        "source": f.source,
        "campaign": f.campaign,
        "fields": list(f.fields or []),
        "thank_you_en": f.thank_you_en,
        "thank_you_hi": f.thank_you_hi,
        "lifecycle_stage_key": f.lifecycle_stage_key,
        "is_active": f.is_active,
        "public_url": reverse("sales:lead_form_public", args=[f.slug]),
    }


def scoring_rule_out(r: ScoringRule) -> dict[str, Any]:
    return {
        **_base(r),
        "name": r.name,
        "kind": r.kind,
        "field": r.field,
        "operator": r.operator,
        "value": r.value,
        "event": r.event,
        "points": r.points,
        "decay_days": r.decay_days,
        "is_active": r.is_active,
    }


def assignment_rule_out(r: AssignmentRule) -> dict[str, Any]:
    return {
        **_base(r),
        "name": r.name,
        "position": r.position,
        "strategy": r.strategy,
        "team_id": r.team_id,
        "conditions": dict(r.conditions or {}),
        "last_assigned_id": r.last_assigned_id,
        "is_active": r.is_active,
    }


# ---------------------------------------------------------------- territories


@router.get(
    "/territories",
    response={200: list[TerritoryOut], **ERRORS},
    tags=["territories"],
    summary="Territories",
)
def territories_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [territory_out(t) for t in selectors.territory_list(actor=actor_of(request))]


@router.post(
    "/territories",
    response={201: TerritoryOut, **ERRORS},
    tags=["territories"],
    summary="Create a territory",
)
def territories_create(request: HttpRequest, payload: TerritoryIn) -> Status[dict[str, Any]]:
    territory = territories.territory_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, territory_out(territory))


@router.get(
    "/territories/{id}",
    response={200: TerritoryOut, **ERRORS},
    tags=["territories"],
    summary="One territory",
)
def territories_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return territory_out(selectors.settings_get(actor=actor_of(request), model=Territory, pk=id))


@router.patch(
    "/territories/{id}",
    response={200: TerritoryOut, **ERRORS},
    tags=["territories"],
    summary="Change a territory (its records are re-evaluated when its rules change)",
)
def territories_patch(request: HttpRequest, id: Id, payload: TerritoryPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    territory = selectors.settings_get(actor=actor, model=Territory, pk=id)
    territory = territories.territory_update(
        actor=actor, territory=territory, data=body_of(payload), version=payload.version
    )
    return territory_out(territory)


@router.delete(
    "/territories/{id}",
    response={204: None, **ERRORS},
    tags=["territories"],
    summary="Delete a territory",
)
def territories_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    territory = selectors.settings_get(actor=actor, model=Territory, pk=id)
    territories.territory_delete(actor=actor, territory=territory)
    return Status(204, None)


# ---------------------------------------------------------------- lead forms


@router.get(
    "/lead-forms",
    response={200: list[LeadFormOut], **ERRORS},
    tags=["lead forms"],
    summary="Lead forms",
)
def lead_forms_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [lead_form_out(f) for f in selectors.lead_form_list(actor=actor_of(request))]


@router.post(
    "/lead-forms",
    response={201: LeadFormOut, **ERRORS},
    tags=["lead forms"],
    summary="Create a lead form",
)
def lead_forms_create(request: HttpRequest, payload: LeadFormIn) -> Status[dict[str, Any]]:
    form = leads.lead_form_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, lead_form_out(form))


@router.get(
    "/lead-forms/{id}",
    response={200: LeadFormOut, **ERRORS},
    tags=["lead forms"],
    summary="One lead form",
)
def lead_forms_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return lead_form_out(selectors.settings_get(actor=actor_of(request), model=LeadForm, pk=id))


@router.patch(
    "/lead-forms/{id}",
    response={200: LeadFormOut, **ERRORS},
    tags=["lead forms"],
    summary="Change a lead form",
)
def lead_forms_patch(request: HttpRequest, id: Id, payload: LeadFormPatchIn) -> dict[str, Any]:
    actor = actor_of(request)
    form = selectors.settings_get(actor=actor, model=LeadForm, pk=id)
    form = leads.lead_form_update(
        actor=actor, form=form, data=body_of(payload), version=payload.version
    )
    return lead_form_out(form)


@router.delete(
    "/lead-forms/{id}",
    response={204: None, **ERRORS},
    tags=["lead forms"],
    summary="Delete a lead form",
)
def lead_forms_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    form = selectors.settings_get(actor=actor, model=LeadForm, pk=id)
    leads.lead_form_delete(actor=actor, form=form)
    return Status(204, None)


# ---------------------------------------------------------------- scoring rules


@router.get(
    "/scoring-rules",
    response={200: list[ScoringRuleOut], **ERRORS},
    tags=["lead scoring"],
    summary="Lead scoring rules",
)
def scoring_rules_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [scoring_rule_out(r) for r in selectors.scoring_rule_list(actor=actor_of(request))]


@router.post(
    "/scoring-rules",
    response={201: ScoringRuleOut, **ERRORS},
    tags=["lead scoring"],
    summary="Create a scoring rule",
)
def scoring_rules_create(request: HttpRequest, payload: ScoringRuleIn) -> Status[dict[str, Any]]:
    rule = scoring.scoring_rule_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, scoring_rule_out(rule))


@router.get(
    "/scoring-rules/{id}",
    response={200: ScoringRuleOut, **ERRORS},
    tags=["lead scoring"],
    summary="One scoring rule",
)
def scoring_rules_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return scoring_rule_out(
        selectors.settings_get(actor=actor_of(request), model=ScoringRule, pk=id)
    )


@router.patch(
    "/scoring-rules/{id}",
    response={200: ScoringRuleOut, **ERRORS},
    tags=["lead scoring"],
    summary="Change a scoring rule",
)
def scoring_rules_patch(
    request: HttpRequest, id: Id, payload: ScoringRulePatchIn
) -> dict[str, Any]:
    actor = actor_of(request)
    rule = selectors.settings_get(actor=actor, model=ScoringRule, pk=id)
    rule = scoring.scoring_rule_update(
        actor=actor, rule=rule, data=body_of(payload), version=payload.version
    )
    return scoring_rule_out(rule)


@router.delete(
    "/scoring-rules/{id}",
    response={204: None, **ERRORS},
    tags=["lead scoring"],
    summary="Delete a scoring rule",
)
def scoring_rules_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    rule = selectors.settings_get(actor=actor, model=ScoringRule, pk=id)
    scoring.scoring_rule_delete(actor=actor, rule=rule)
    return Status(204, None)


# ---------------------------------------------------------------- assignment rules


@router.get(
    "/assignment-rules",
    response={200: list[AssignmentRuleOut], **ERRORS},
    tags=["lead assignment"],
    summary="Lead assignment rules",
)
def assignment_rules_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [assignment_rule_out(r) for r in selectors.assignment_rule_list(actor=actor_of(request))]


@router.post(
    "/assignment-rules",
    response={201: AssignmentRuleOut, **ERRORS},
    tags=["lead assignment"],
    summary="Create an assignment rule",
)
def assignment_rules_create(
    request: HttpRequest, payload: AssignmentRuleIn
) -> Status[dict[str, Any]]:
    rule = assignment.assignment_rule_create(actor=actor_of(request), data=body_of(payload))
    return Status(201, assignment_rule_out(rule))


@router.get(
    "/assignment-rules/{id}",
    response={200: AssignmentRuleOut, **ERRORS},
    tags=["lead assignment"],
    summary="One assignment rule",
)
def assignment_rules_get(request: HttpRequest, id: Id) -> dict[str, Any]:
    return assignment_rule_out(
        selectors.settings_get(actor=actor_of(request), model=AssignmentRule, pk=id)
    )


@router.patch(
    "/assignment-rules/{id}",
    response={200: AssignmentRuleOut, **ERRORS},
    tags=["lead assignment"],
    summary="Change an assignment rule",
)
def assignment_rules_patch(
    request: HttpRequest, id: Id, payload: AssignmentRulePatchIn
) -> dict[str, Any]:
    actor = actor_of(request)
    rule = selectors.settings_get(actor=actor, model=AssignmentRule, pk=id)
    rule = assignment.assignment_rule_update(
        actor=actor, rule=rule, data=body_of(payload), version=payload.version
    )
    return assignment_rule_out(rule)


@router.delete(
    "/assignment-rules/{id}",
    response={204: None, **ERRORS},
    tags=["lead assignment"],
    summary="Delete an assignment rule",
)
def assignment_rules_delete(request: HttpRequest, id: Id) -> Status[None]:
    actor = actor_of(request)
    rule = selectors.settings_get(actor=actor, model=AssignmentRule, pk=id)
    assignment.assignment_rule_delete(actor=actor, rule=rule)
    return Status(204, None)


# ---------------------------------------------------------------- leads


@router.post(
    "/leads",
    response={200: LeadOut, 201: LeadOut, **ERRORS},
    summary="Capture a lead",
    description=(
        "Creates a contact in a lead stage (201), or, when a contact you can see has this "
        "email, fills its empty fields without overwriting anything (200). New leads go "
        "through the assignment rules and are scored."
    ),
)
def leads_capture(request: HttpRequest, payload: LeadIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    result = leads.lead_capture_api(actor=actor, data=body_of(payload))
    body = {"contact": contact_out(actor, result.contact), "was_created": result.was_created}
    return Status(201 if result.was_created else 200, body)


@router.get(
    "/contacts/{id}/score",
    response={200: ScoreOut, **ERRORS},
    tags=["contacts"],
    summary="A contact's lead score and the reasons for it",
)
def contacts_score(request: HttpRequest, id: Id) -> dict[str, Any]:
    contact, score = selectors.contact_score(actor=actor_of(request), pk=id)
    return {
        "contact_id": contact.pk,
        "total": score.total,
        "stored": contact.lead_score,
        "reasons": [
            {
                "rule_id": r.rule_id,
                "rule": r.rule,
                "kind": r.kind,
                "points": r.points,
                "detail": str(r.detail),
            }
            for r in score.reasons
        ],
    }


@router.post(
    "/contacts/{id}/qualify",
    response={201: QualifyOut, **ERRORS},
    tags=["contacts"],
    summary="Qualify a lead: link or create its company, create a deal, move its stage",
    description=(
        "All or nothing: on any error nothing changes. The contact becomes the deal's "
        'decision maker and moves to the "opportunity" lifecycle stage.'
    ),
)
def contacts_qualify(request: HttpRequest, id: Id, payload: QualifyIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    contact = selectors.settings_get(actor=actor, model=Contact, pk=id)
    result = leads.lead_qualify(
        actor=actor,
        contact=contact,
        account=payload.account_id,
        create_account_name=payload.create_account_name,
        deal=payload.deal.model_dump(exclude_unset=True),
        version=payload.version,
    )
    return Status(
        201,
        {
            "contact": contact_out(actor, result.contact),
            "account_id": result.account.pk,
            "deal_id": result.deal.pk,
        },
    )
