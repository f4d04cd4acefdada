"""Lead scoring: points for who a lead is (attribute rules) and what they did (behaviour rules).

Attribute rules compare a contact field (or its company's) with a value: ``equals``, ``in``
(comma-separated values), ``contains`` (case-insensitive) or ``gte`` (company size band in
band order, annual revenue as a number). Behaviour rules give points for each recorded
event (``form_submitted``, ``email_opened``, ``meeting_held``, ...); with ``decay_days`` those
points fade linearly to 0 over that many days (half-way there, half the points).

``Contact.lead_score`` is derived data, like a search document: it is stored for sorting and
filtering, recomputed on every change that can move it and by a daily task for decay, and
not audited itself (the rules and events that make it are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sambandh.contacts.models import Contact, SizeBand
from sambandh.core import validation
from sambandh.core.errors import ValidationError
from sambandh.core.models import ObjectType, User
from sambandh.sales.models import LeadScoreEvent, ScoringRule, ScoringRuleKind
from sambandh.sales.services.territories import (
    BATCH_SIZE,
    SYNC_REEVALUATE_LIMIT,
    clean_name,
    clean_values,
    settings_create,
    settings_delete,
    settings_update,
)

SCORING_FIELDS = (
    "name",
    "kind",
    "field",
    "operator",
    "value",
    "event",
    "points",
    "decay_days",
    "is_active",
)
# Field name -> label. ``account.*`` reads the contact's company.
ATTRIBUTE_FIELDS = {
    "country": gettext_lazy("Country"),
    "state": gettext_lazy("State / region"),
    "city": gettext_lazy("City"),
    "job_title": gettext_lazy("Job title"),
    "source": gettext_lazy("Source"),
    "preferred_language": gettext_lazy("Preferred language"),
    "lifecycle_stage": gettext_lazy("Lifecycle stage"),
    "email_domain": gettext_lazy("Email domain"),
    "account.industry": gettext_lazy("Company industry"),
    "account.size_band": gettext_lazy("Company size"),
    "account.country": gettext_lazy("Company country"),
    "account.annual_revenue": gettext_lazy("Company annual revenue"),
}
ORDERED_FIELDS = ("account.size_band", "account.annual_revenue")
OPERATORS = {
    "equals": gettext_lazy("equals"),
    "in": gettext_lazy("is one of"),
    "contains": gettext_lazy("contains"),
    "gte": gettext_lazy("is at least"),
}
BEHAVIOURS = {
    "form_submitted": gettext_lazy("Form submitted"),
    "email_opened": gettext_lazy("Email opened"),
    "email_clicked": gettext_lazy("Email link clicked"),
    "meeting_held": gettext_lazy("Meeting held"),
    "call_held": gettext_lazy("Call held"),
    "page_visited": gettext_lazy("Page visited"),
}
MAX_POINTS = 1000
MAX_DECAY_DAYS = 3650
SIZE_ORDER = {band: i for i, band in enumerate(SizeBand.values)}


# ---------------------------------------------------------------- rules CRUD


def _points(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(_("Enter a whole number."))
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(_("Enter a whole number.")) from exc
    if not -MAX_POINTS <= number <= MAX_POINTS:
        raise ValueError(
            _("Enter a number from %(low)d to %(high)d.") % {"low": -MAX_POINTS, "high": MAX_POINTS}
        )
    return number


def _decay(value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = _points(value)
    if not 1 <= number <= MAX_DECAY_DAYS:
        raise ValueError(
            _("Enter a number from %(low)d to %(high)d.") % {"low": 1, "high": MAX_DECAY_DAYS}
        )
    return number


def _one_of(choices: Iterable[str]) -> Any:
    allowed = set(choices)

    def clean(value: Any) -> str:
        text = validation.clean_text(value, max_length=60)
        if text and text not in allowed:
            raise ValueError(_("Choose one of the offered values."))
        return text

    return clean


def _cleaners() -> dict[str, Any]:
    return {
        "name": clean_name,
        "kind": _one_of(ScoringRuleKind.values),
        "field": _one_of(ATTRIBUTE_FIELDS),
        "operator": _one_of(OPERATORS),
        "value": lambda v: validation.clean_text(v, max_length=200),
        "event": _one_of(BEHAVIOURS),
        "points": _points,
        "decay_days": _decay,
        "is_active": validation.clean_bool,
    }


def _validate_rule(rule: ScoringRule) -> None:
    """The fields a kind needs, and none of the other kind's."""
    errors: dict[str, list[str]] = {}
    required = _("This field is required.")
    if rule.kind == ScoringRuleKind.ATTRIBUTE:
        for name in ("field", "operator", "value"):
            if not getattr(rule, name):
                errors[name] = [required]
        if rule.event:
            errors["event"] = [_("Only behaviour rules have an event.")]
        if rule.decay_days is not None:
            errors["decay_days"] = [_("Only behaviour points fade.")]
        if rule.operator == "gte" and rule.field and rule.field not in ORDERED_FIELDS:
            errors["operator"] = [_("“is at least” works only for company size and revenue.")]
        size_gte = rule.operator == "gte" and rule.field == "account.size_band"
        if size_gte and rule.value and rule.value not in SIZE_ORDER:
            errors["value"] = [_("Choose one of the offered values.")]
        if rule.operator == "gte" and rule.field == "account.annual_revenue" and rule.value:
            try:
                Decimal(rule.value)
            except InvalidOperation:
                errors["value"] = [_("Enter a number.")]
    elif rule.kind == ScoringRuleKind.BEHAVIOUR:
        if not rule.event:
            errors["event"] = [required]
        for name in ("field", "operator", "value"):
            if getattr(rule, name):
                errors[name] = [_("Only attribute rules compare fields.")]
    else:
        errors["kind"] = [required]
    if errors:
        raise ValidationError(errors)


def scoring_rule_create(*, actor: User, data: dict[str, Any]) -> ScoringRule:
    """Create a scoring rule; stored scores follow."""
    values = clean_values(data, SCORING_FIELDS, _cleaners())
    missing = [n for n in ("name", "kind", "points") if n not in values]
    if missing:
        raise ValidationError({n: [_("This field is required.")] for n in missing})
    with transaction.atomic():
        rule = settings_create(
            actor=actor,
            model=ScoringRule,
            object_type=ObjectType.LEAD_RULE,
            values=values,
            event="scoring_rule.created",
            validate=_validate_rule,
        )
        scoring_rules_changed()
    return rule


def scoring_rule_update(
    *, actor: User, rule: ScoringRule, data: dict[str, Any], version: int | None
) -> ScoringRule:
    """Change a scoring rule (409 on a stale version); stored scores follow."""
    values = clean_values(data, SCORING_FIELDS, _cleaners())
    with transaction.atomic():
        rule, changes = settings_update(
            actor=actor,
            obj=rule,
            object_type=ObjectType.LEAD_RULE,
            values=values,
            version=version,
            event="scoring_rule.updated",
            validate=_validate_rule,
        )
        if changes.keys() - {"name"}:
            scoring_rules_changed()
    return rule


def scoring_rule_delete(*, actor: User, rule: ScoringRule) -> None:
    """Delete a scoring rule and the points it gave; stored scores follow."""
    with transaction.atomic():
        settings_delete(
            actor=actor, obj=rule, object_type=ObjectType.LEAD_RULE, event="scoring_rule.deleted"
        )
        scoring_rules_changed()


def scoring_rules_changed() -> None:
    """Recompute stored scores now for a small set, else by a Huey task after the commit."""
    if Contact.objects.all()[: SYNC_REEVALUATE_LIMIT + 1].count() <= SYNC_REEVALUATE_LIMIT:
        lead_scores_refresh()
        return
    from sambandh.sales.tasks import lead_scores_refresh_task

    transaction.on_commit(lambda: lead_scores_refresh_task())


# ---------------------------------------------------------------- computing


@dataclass(frozen=True)
class Reason:
    rule_id: int
    rule: str
    kind: str
    points: int
    detail: str


@dataclass
class Score:
    total: int
    reasons: list[Reason] = field(default_factory=list)


def _attribute(contact: Contact, name: str) -> Any:
    if name == "email_domain":
        return contact.email.rpartition("@")[2] if "@" in contact.email else ""
    if name == "lifecycle_stage":
        stage = contact.lifecycle_stage if contact.lifecycle_stage_id else None
        return stage.key if stage is not None else ""
    if name.startswith("account."):
        account = contact.account if contact.account_id else None
        return getattr(account, name.removeprefix("account."), None) if account else None
    return getattr(contact, name, None)


def attribute_matches(actual: Any, operator: str, expected: str, field_name: str = "") -> bool:
    """Whether ``actual`` satisfies ``operator expected``; text compares without case."""
    if actual in (None, ""):
        return False
    if operator == "gte":
        if field_name == "account.size_band":
            return SIZE_ORDER.get(str(actual), -1) >= SIZE_ORDER.get(expected, len(SIZE_ORDER))
        try:
            return Decimal(str(actual)) >= Decimal(expected)
        except InvalidOperation:
            return False
    text = str(actual).casefold()
    if operator == "equals":
        return text == expected.strip().casefold()
    if operator == "in":
        return text in {part.strip().casefold() for part in expected.split(",") if part.strip()}
    if operator == "contains":
        return expected.strip().casefold() in text
    return False


def decayed(
    points: int, occurred_at: dt.datetime, decay_days: int | None, now: dt.datetime
) -> float:
    """Linear decay: full points when it happened, 0 after ``decay_days`` days."""
    if not decay_days:
        return float(points)
    age_days = max((now - occurred_at).total_seconds(), 0) / 86400
    return points * max(0.0, 1 - age_days / decay_days)


def _active_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).order_by("kind", "name", "id"))


def _compute(
    contact: Contact,
    rules: list[ScoringRule],
    events: list[LeadScoreEvent],
    now: dt.datetime,
) -> Score:
    reasons: list[Reason] = []
    for rule in rules:
        if rule.kind != ScoringRuleKind.ATTRIBUTE:
            continue
        if attribute_matches(
            _attribute(contact, rule.field), rule.operator, rule.value, rule.field
        ):
            label = ATTRIBUTE_FIELDS.get(rule.field, rule.field)
            operator = OPERATORS.get(rule.operator, rule.operator)
            reasons.append(
                Reason(
                    rule.pk, rule.name, rule.kind, rule.points, f"{label} {operator} {rule.value}"
                )
            )
    by_rule = {r.pk: r for r in rules if r.kind == ScoringRuleKind.BEHAVIOUR}
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for event in events:
        scored_by = by_rule.get(event.rule_id)
        if scored_by is None:
            continue
        sums[scored_by.pk] = sums.get(scored_by.pk, 0.0) + decayed(
            event.points, event.occurred_at, scored_by.decay_days, now
        )
        counts[scored_by.pk] = counts.get(scored_by.pk, 0) + 1
    for rule_id, total in sums.items():
        rule = by_rule[rule_id]
        points = round(total)
        if points == 0:
            continue
        detail = _("%(event)s × %(n)d") % {
            "event": BEHAVIOURS.get(rule.event, rule.event),
            "n": counts[rule_id],
        }
        reasons.append(Reason(rule.pk, rule.name, rule.kind, points, detail))
    return Score(total=sum(r.points for r in reasons), reasons=reasons)


def lead_score_compute(
    contact: Contact, *, now: dt.datetime | None = None, rules: list[ScoringRule] | None = None
) -> Score:
    """The contact's score now (or at ``now``) and the reasons for it."""
    now = now or timezone.now()
    rules = _active_rules() if rules is None else rules
    behaviour_ids = [r.pk for r in rules if r.kind == ScoringRuleKind.BEHAVIOUR]
    events = (
        list(
            LeadScoreEvent.objects.filter(contact_id=contact.pk, rule_id__in=behaviour_ids).only(
                "rule_id", "points", "occurred_at"
            )
        )
        if behaviour_ids and contact.pk
        else []
    )
    return _compute(contact, rules, events, now)


def lead_score_refresh(*, contact: Contact, now: dt.datetime | None = None) -> int:
    """Recompute and store one contact's score (no new version: the score is derived)."""
    rules = _active_rules()
    if not rules and contact.lead_score == 0:
        return 0
    score = lead_score_compute(contact, now=now, rules=rules).total
    if score != contact.lead_score:
        Contact.objects.filter(pk=contact.pk).update(lead_score=score)
        contact.lead_score = score
    return score


def lead_score_record(
    *,
    contact: Contact,
    event: str,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
) -> list[LeadScoreEvent]:
    """Record a behaviour (``email_opened``, ``meeting_held``, ...) for every active rule
    that scores it, and refresh the contact's score. Callable from any app's services."""
    if event not in BEHAVIOURS:
        raise ValidationError({"event": [_("Choose one of the offered values.")]})
    at = occurred_at or timezone.now()
    with transaction.atomic():
        rules = ScoringRule.objects.filter(
            kind=ScoringRuleKind.BEHAVIOUR, event=event, is_active=True
        )
        created = LeadScoreEvent.objects.bulk_create(
            LeadScoreEvent(
                contact=contact, rule=rule, points=rule.points, occurred_at=at, reason=reason[:200]
            )
            for rule in rules
        )
        if created:
            lead_score_refresh(contact=contact, now=max(at, timezone.now()))
    return created


def lead_scores_refresh(
    *,
    now: dt.datetime | None = None,
    only_decaying: bool = False,
    contacts: QuerySet[Contact] | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Recompute stored scores in id batches (bulk update); returns how many changed.

    ``only_decaying``: just the contacts with points that fade (the daily task);
    ``contacts``: just these (a company's, after its size or industry changed).
    """
    now = now or timezone.now()
    rules = _active_rules()
    if contacts is not None and not rules:
        return 0
    behaviour_ids = [r.pk for r in rules if r.kind == ScoringRuleKind.BEHAVIOUR]
    contacts = (contacts if contacts is not None else Contact.objects.all()).select_related(
        "account", "lifecycle_stage"
    )
    if only_decaying:
        decaying = LeadScoreEvent.objects.filter(
            rule__decay_days__isnull=False, rule__is_active=True
        ).values("contact_id")
        contacts = contacts.filter(pk__in=decaying)
    changed_total = 0
    last_id = 0
    while True:
        batch = list(contacts.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not batch:
            return changed_total
        last_id = batch[-1].pk
        events: dict[int, list[LeadScoreEvent]] = {}
        for event in LeadScoreEvent.objects.filter(
            contact_id__in=[c.pk for c in batch], rule_id__in=behaviour_ids
        ).only("contact_id", "rule_id", "points", "occurred_at"):
            events.setdefault(event.contact_id, []).append(event)
        changed = []
        for contact in batch:
            total = _compute(contact, rules, events.get(contact.pk, []), now).total
            if total != contact.lead_score:
                contact.lead_score = total
                changed.append(contact)
        if changed:
            Contact.objects.bulk_update(changed, ["lead_score"])
            changed_total += len(changed)
