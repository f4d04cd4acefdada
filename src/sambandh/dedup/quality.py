"""Data quality: completeness per field, invalid-looking emails and phones, stale records and
exact-duplicate counts, for contacts and companies.

The figures are org-wide aggregates, so they are computed in the background (a Huey task,
``sambandh.dedup.tasks``) into a ``DataQualitySnapshot`` and the page shows the latest one.
One aggregate query per object type, plus one per duplicate rule.

Who sees them: a snapshot counts every record, so it is shown only to those who may take
every record of that type out of the system anyway: administrators and roles whose
*export* grant on the type has the ``all`` scope (built in: Sales manager, Marketer). The
same rule allows asking for a recompute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Count, Q, Sum
from django.db.models.lookups import Lookup
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Account, Contact
from sambandh.core.audit import audit_record
from sambandh.core.errors import PermissionDenied, ValidationError
from sambandh.core.models import Action, ObjectType, Scope, User
from sambandh.core.permissions import scope_of
from sambandh.dedup.exact import EXACT_RULES
from sambandh.dedup.models import DataQualitySnapshot

STALE_DAYS = 365


@dataclass(frozen=True)
class QualitySpec:
    """What the data-quality page measures for one object type."""

    object_type: str
    model: type[models.Model]
    # field name (a column, or a foreign key's attname) -> its label on the page
    fields: tuple[tuple[str, str | Promise], ...]
    email_field: str | None


SPECS: dict[str, QualitySpec] = {
    ObjectType.CONTACT: QualitySpec(
        ObjectType.CONTACT,
        Contact,
        (
            ("email", _("Email")),
            ("phone", _("Phone")),
            ("job_title", _("Job title")),
            ("account_id", _("Company")),
            ("city", _("City")),
            ("country", _("Country")),
            ("owner_id", _("Owner")),
            ("lifecycle_stage_id", _("Lifecycle stage")),
            ("time_zone", _("Time zone")),
            ("preferred_language", _("Preferred language")),
        ),
        "email",
    ),
    ObjectType.ACCOUNT: QualitySpec(
        ObjectType.ACCOUNT,
        Account,
        (
            ("domain", _("Domain")),
            ("industry", _("Industry")),
            ("size_band", _("Size")),
            ("phone", _("Phone")),
            ("city", _("City")),
            ("country", _("Country")),
            ("owner_id", _("Owner")),
        ),
        None,
    ),
}


class Like(Lookup[str]):
    """``lhs LIKE 'pattern'`` with the pattern's wildcards kept (``contains`` escapes them).
    Only ``@``, ``.``, ``+`` and spaces are matched, so case rules of the databases agree."""

    lookup_name = "sambandh_like"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", (*lhs_params, *rhs_params)


def _like(field: str, pattern: str) -> Q:
    return Q(Like(models.F(field), pattern))


def invalid_email_q(field: str) -> Q:
    """A non-empty email that fails the syntax checks: one ``@`` with text before it, a dot
    with text on both sides after it, no spaces."""
    return ~Q(**{field: ""}) & (
        ~_like(field, "_%@_%._%") | _like(field, "%@%@%") | _like(field, "% %")
    )


def _is_set(model: type[models.Model], name: str) -> Q:
    field = model._meta.get_field(name.removesuffix("_id"))
    if field.is_relation:
        return Q(**{f"{name}__isnull": False})
    return ~Q(**{name: ""})


def compute_figures(object_type: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the page for ``object_type``, over all its records.

    One aggregate query (counts with filters: ``COUNT(...) FILTER (WHERE ...)`` or
    ``CASE`` where the database lacks it) and one per exact duplicate rule.
    """
    spec = quality_spec(object_type)
    model = spec.model
    stale_before = (now or timezone.now()) - dt.timedelta(days=STALE_DAYS)
    counts: dict[str, Any] = {"total": Count("id")}
    for name, _label in spec.fields:
        counts[f"set_{name}"] = Count("id", filter=_is_set(model, name))
    if spec.email_field:
        counts["invalid_emails"] = Count("id", filter=invalid_email_q(spec.email_field))
    counts["phones_not_e164"] = Count("id", filter=~Q(phone="") & ~_like("phone", "+%"))
    counts["stale"] = Count("id", filter=Q(updated_at__lt=stale_before))
    row = model._default_manager.order_by().aggregate(**counts)
    duplicates: dict[str, dict[str, int]] = {}
    for (rule_type, rule_name), rule in EXACT_RULES.items():
        if rule_type != object_type:
            continue
        # The same grouping as the review queue, over every record; groups and the records
        # in them, counted in the database.
        grouped = (
            rule.model._default_manager.exclude(**{rule.field: ""})
            .annotate(dedup_key=rule.key)
            .values("dedup_key")
            .annotate(size=Count("id"))
            .filter(size__gt=1)
            .order_by()
        )
        found = grouped.aggregate(groups=Count("dedup_key"), records=Sum("size"))
        duplicates[rule_name] = {
            "groups": int(found["groups"] or 0),
            "records": int(found["records"] or 0),
        }
    return {
        "total": row["total"],
        "filled": {name: row[f"set_{name}"] for name, _label in spec.fields},
        "invalid_emails": row.get("invalid_emails"),
        "phones_not_e164": row["phones_not_e164"],
        "stale": row["stale"],
        "stale_days": STALE_DAYS,
        "duplicates": duplicates,
    }


def quality_spec(object_type: str) -> QualitySpec:
    spec = SPECS.get(object_type)
    if spec is None:
        raise ValidationError({"object": [gettext("Choose contacts or companies.")]})
    return spec


def may_see_quality(actor: User, object_type: str) -> bool:
    """Administrators and roles that may export every record of the type (see module doc)."""
    return scope_of(actor, object_type, Action.EXPORT) == Scope.ALL


def quality_types(actor: User) -> list[str]:
    """The object types whose figures ``actor`` may see, in page order."""
    return [str(t) for t in (ObjectType.CONTACT, ObjectType.ACCOUNT) if may_see_quality(actor, t)]


def snapshot_latest(*, actor: User, object_type: str) -> DataQualitySnapshot | None:
    """The latest snapshot of ``object_type``, for someone allowed to see it."""
    quality_spec(object_type)
    if not may_see_quality(actor, object_type):
        raise PermissionDenied()
    return (
        DataQualitySnapshot.objects.filter(object_type=object_type)
        .order_by("-computed_at", "-id")
        .first()
    )


def snapshot_compute(*, object_type: str) -> DataQualitySnapshot:
    """Compute the figures now and store them as the newest snapshot (the task's work).
    Safe to run twice: each run adds a snapshot; the page reads the newest."""
    figures = compute_figures(object_type)
    return DataQualitySnapshot.objects.create(object_type=object_type, figures=figures)


def snapshot_recompute_requested(*, actor: User, object_type: str) -> None:
    """Check the rule, record the request in the audit trail and queue the computation
    after the commit (nothing is queued for a request that rolled back)."""
    quality_spec(object_type)
    if not may_see_quality(actor, object_type):
        raise PermissionDenied()
    from sambandh.dedup.tasks import data_quality_snapshot_task

    with transaction.atomic():
        audit_record(actor=actor, action="data_quality_recompute", object_type=object_type)
        transaction.on_commit(lambda: data_quality_snapshot_task(object_type))
