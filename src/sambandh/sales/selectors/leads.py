"""Reads for leads: territories, lead forms, scoring and assignment rules, a contact's score
and its lead panel. Settings lists are small (an organisation has tens of them): bounded,
not paginated."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from sambandh.contacts.models import Contact
from sambandh.core.errors import NotFound
from sambandh.core.models import Action, User
from sambandh.core.permissions import get_visible, visible
from sambandh.sales.models import (
    AssignmentRule,
    Deal,
    LeadForm,
    LeadFormSubmission,
    ScoringRule,
    Territory,
)
from sambandh.sales.services.scoring import Score, lead_score_compute

M = TypeVar("M", bound=models.Model)
MAX_SETTINGS = 1000


def territory_list(*, actor: User) -> list[Territory]:
    return list(
        visible(actor, Territory)
        .select_related("parent", "team", "default_owner")
        .order_by("position", "name", "id")[:MAX_SETTINGS]
    )


def lead_form_list(*, actor: User) -> list[LeadForm]:
    return list(visible(actor, LeadForm).order_by("name", "id")[:MAX_SETTINGS])


def scoring_rule_list(*, actor: User) -> list[ScoringRule]:
    return list(visible(actor, ScoringRule).order_by("kind", "name", "id")[:MAX_SETTINGS])


def assignment_rule_list(*, actor: User) -> list[AssignmentRule]:
    return list(
        visible(actor, AssignmentRule)
        .select_related("team", "last_assigned")
        .order_by("position", "id")[:MAX_SETTINGS]
    )


def settings_get(*, actor: User, model: type[M], pk: Any, action: str = Action.READ) -> M:
    """One territory, form or rule the actor may see (else NotFound)."""
    return get_visible(actor, model, pk, action)


def public_form(*, slug: str) -> LeadForm:
    """An active form by its address, for anonymous visitors (anything else is NotFound)."""
    form = LeadForm.objects.filter(slug=slug[:60], is_active=True).first()
    if form is None:
        raise NotFound()
    return form


def contact_score(*, actor: User, pk: Any) -> tuple[Contact, Score]:
    contact = get_visible(actor, Contact, pk)
    contact = Contact.objects.select_related("account", "lifecycle_stage").get(pk=contact.pk)
    return contact, lead_score_compute(contact)


def contact_lead_panel(*, actor: User, pk: Any) -> dict[str, Any]:
    """What the contact page's lead panel shows: score and reasons, territory, the rule that
    assigned the contact, its deals the actor may see and its latest form submissions."""
    contact, score = contact_score(actor=actor, pk=pk)
    deals = list(
        visible(actor, Deal)
        .filter(deal_contacts__contact=contact)
        .select_related("stage")
        .order_by("-created_at", "-id")[:10]
    )
    submissions = list(
        LeadFormSubmission.objects.filter(contact=contact)
        .select_related("form")
        .order_by("-submitted_at", "-id")[:5]
    )
    territory = contact.territory if contact.territory_id else None
    rule = contact.assigned_by_rule if contact.assigned_by_rule_id else None
    return {
        "contact": contact,
        "score": score,
        "territory": territory,
        "assigned_by_rule": rule,
        "deals": deals,
        "submissions": submissions,
    }
