"""The table of background exports: one row per large export, from queued to its file.

A job keeps the selection as the list gave it (filters, search, tag, sort) and is run as its
creator: the worker reads through the creator's export scope, as the request would have.
Its file lives under ``DATA_DIR/exports`` for ``FILE_KEEP_DAYS`` days.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Writing the file")
    COMPLETED = "completed", _("Ready")
    FAILED = "failed", _("Failed")


class ExportError(models.TextChoices):
    """Why a job failed; the page and the API show the label in the reader's language."""

    PERMISSION = "permission", _("You may no longer export these records.")
    INVALID = "invalid", _("The list's filters are no longer valid; export it again.")
    FAILED = "failed", _("The file could not be written. Please try again.")


class ExportJob(models.Model):
    """A large export: who asked for which selection of which records, in what format, and
    where the worker has got to."""

    object_type = models.CharField(_("object type"), max_length=40)
    file_format = models.CharField(_("format"), max_length=10)
    # {"filters": {...}, "q": ..., "tag": ..., "sort": ...}: the list's selection.
    selection: models.JSONField[Any, Any] = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_written = models.BigIntegerField(_("rows"), default=0)
    file_name = models.CharField(_("file name"), max_length=255)  # what the download is called
    stored_name = models.CharField(max_length=100, editable=False)  # under DATA_DIR/exports
    file_size = models.BigIntegerField(_("file size"), default=0)
    error = models.CharField(_("error"), max_length=20, choices=ExportError.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker_token = models.CharField(max_length=32, blank=True)  # the worker that holds the job

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["created_by", "-id"], name="export_job_creator_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="export_job_status_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
