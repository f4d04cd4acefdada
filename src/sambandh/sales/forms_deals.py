"""The deal form's fields: labels, widgets, choices, and turning a POST into service data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sambandh.contacts.models import Account
from sambandh.core.models import Team, User
from sambandh.core.permissions import visible
from sambandh.sales.models import Deal, DealContactRole, ForecastCategory, Pipeline, Stage

MAX_OPTIONS = 500


@dataclass(frozen=True)
class DealField:
    name: str
    label: str | Promise
    widget: str = "text"
    help: str | Promise = ""
    inline: bool = False

    @property
    def html_id(self) -> str:
        return f"id_{self.name}"


FIELDS = [
    DealField("name", _("Name")),
    DealField("stage_id", _("Pipeline and stage"), "select"),
    DealField("account_id", _("Company"), "select"),
    DealField("amount", _("Amount"), "number"),
    DealField(
        "currency", _("Currency"), help=_("ISO 4217 code, e.g. INR. Empty: the base currency.")
    ),
    DealField("expected_close_on", _("Expected close date"), "date"),
    DealField("probability", _("Probability (%)"), "number", help=_("Empty: the stage's default.")),
    DealField("forecast_category", _("Forecast category"), "select"),
    DealField("source", _("Source")),
    DealField("next_step", _("Next step")),
    DealField("next_step_on", _("Next step date"), "date"),
    DealField(
        "lost_reason", _("Lost reason"), "textarea", help=_("Required when the deal is lost.")
    ),
    DealField("owner_id", _("Owner"), "select"),
    DealField("team_id", _("Team"), "select"),
]


def stage_options(pipelines: list[Pipeline]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Option groups: one per pipeline, its stages in order."""
    return [(p.label, [(str(s.pk), s.label) for s in p.stages.all()]) for p in pipelines]


def options(actor: User, name: str, current: Deal | None) -> list[tuple[str, str]]:
    """Choices of a select (the first one empty where the field may be empty)."""
    if name == "account_id":
        accounts = list(
            visible(actor, Account).order_by("name", "id").only("id", "name")[:MAX_OPTIONS]
        )
        if current is not None and current.account is not None and current.account not in accounts:
            accounts.insert(0, current.account)
        return [("", "—"), *((str(a.pk), a.name) for a in accounts)]
    if name == "owner_id":
        users = visible(actor, User).filter(is_active=True).order_by("username")[:MAX_OPTIONS]
        return [("", "—"), *((str(u.pk), str(u)) for u in users)]
    if name == "team_id":
        return [("", "—"), *((str(t.pk), t.name) for t in visible(actor, Team).order_by("name"))]
    if name == "forecast_category":
        return [(str(v), str(label)) for v, label in ForecastCategory.choices]
    return []


def initial(deal: Deal | None) -> dict[str, str]:
    if deal is None:
        return {}

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "name": deal.name,
        "stage_id": str(deal.stage_id),
        "account_id": text(deal.account_id),
        "amount": f"{deal.amount:.2f}",
        "currency": deal.currency,
        "expected_close_on": text(deal.expected_close_on),
        "probability": str(deal.probability) if deal.is_probability_manual else "",
        "forecast_category": deal.forecast_category,
        "source": deal.source,
        "next_step": deal.next_step,
        "next_step_on": text(deal.next_step_on),
        "lost_reason": deal.lost_reason,
        "owner_id": text(deal.owner_id),
        "team_id": text(deal.team_id),
    }


def submitted(post: QueryDict) -> dict[str, str]:
    return {f.name: post.get(f.name, "").strip() for f in FIELDS}


def form_data(post: QueryDict, deal: Deal | None) -> dict[str, Any]:
    """What the form says, as service data: the stage picks the pipeline; on edit only the
    fields that changed are sent (so an unchanged probability stays as it is)."""
    values = submitted(post)
    data: dict[str, Any] = {}
    stage_id = values.get("stage_id", "")
    if stage_id.isdigit():
        stage = Stage.objects.filter(pk=int(stage_id)).only("pipeline_id").first()
        if stage is not None:
            data["pipeline_id"] = stage.pipeline_id
    data.update({k: (v if v != "" else None) for k, v in values.items()})
    if deal is None:
        # A new deal: what is left empty takes the service's default.
        data = {k: v for k, v in data.items() if v is not None or k == "name"}
    if deal is not None:
        before = initial(deal)
        data = {
            k: v for k, v in data.items() if k == "pipeline_id" or (v or "") != before.get(k, "")
        }
        if "stage_id" not in data:
            data.pop("pipeline_id", None)
    for key in ("name", "source", "next_step", "lost_reason"):
        if key in data and data[key] is None:
            data[key] = ""
    return data


ROLE_CHOICES = DealContactRole.choices


def duration_text(seconds: int) -> str:
    """3 days 4 hours / 5 hours 10 minutes / 7 minutes."""
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return " ".join(
            [
                ngettext("%(n)d day", "%(n)d days", days) % {"n": days},
                ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours},
            ]
        )
    if hours:
        return " ".join(
            [
                ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours},
                ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes},
            ]
        )
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
