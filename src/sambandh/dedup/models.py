"""Tables of dedup: where merged records went (old ids keep resolving to the survivor) and
the data-quality snapshots."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sambandh.core.models import ObjectType


class MergedRecord(models.Model):
    """One record that a merge removed, pointing to the record that absorbed it."""

    object_type = models.CharField(_("object type"), max_length=40)
    old_id = models.BigIntegerField(_("old id"))
    survivor_id = models.BigIntegerField(_("survivor id"))
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merged record")
        verbose_name_plural = _("merged records")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "old_id"], name="merged_record_unique")
        ]
        indexes = [
            models.Index(fields=["object_type", "survivor_id"], name="merged_record_survivor_idx")
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.old_id} -> {self.survivor_id}"


class DataQualitySnapshot(models.Model):
    """Org-wide data-quality figures of one object type at one moment.

    Computed by a Huey task (the aggregates cost seconds at a million rows) and read by the
    data-quality page, which shows the latest one. ``figures`` has the shape
    ``sambandh.dedup.quality.compute_figures`` returns.
    """

    # Only the two object types that have figures: the full ObjectType list would put a new
    # migration here every time another app adds a type.
    object_type = models.CharField(
        _("object type"),
        max_length=40,
        choices=[(ObjectType.CONTACT, _("Contact")), (ObjectType.ACCOUNT, _("Company"))],
    )
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    figures: models.JSONField[Any, Any] = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("data-quality snapshot")
        verbose_name_plural = _("data-quality snapshots")
        indexes = [
            models.Index(fields=["object_type", "-computed_at"], name="dq_snapshot_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.computed_at:%Y-%m-%d %H:%M}"
