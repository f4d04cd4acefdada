"""Tables of imports: the job (its file, mapping, choices, progress and checkpoint), the
problems it found, the changes it made (for undo) and saved mappings.

The job row is the truth: a worker reads the file from ``processed_row`` on, and each chunk of
rows commits its records, its ``ImportChange`` rows, its audit entry and the new checkpoint in
one transaction. A killed worker therefore leaves either a whole chunk or none, and the next
worker starts after the last committed one: no row is written twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Export jobs have their own module; importing them here registers them with this app.
from sambandh.dataio.exports.models import ExportJob as ExportJob


class ImportStatus(models.TextChoices):
    NEW = "new", _("Mapping columns")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new records only")
    UPDATE = "update", _("Update existing records only")
    UPSERT = "upsert", _("Create new and update existing records")


class DuplicateHandling(models.TextChoices):
    SKIP = "skip", _("Skip the row and keep the existing record")
    ERROR = "error", _("Report the row as an error")


class ImportJob(models.Model):
    """One file being imported into contacts or companies."""

    object_type = models.CharField(_("object type"), max_length=40)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.NEW
    )
    file_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(max_length=100, editable=False)  # under DATA_DIR/imports
    file_size = models.BigIntegerField(_("file size"), default=0)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    headers: models.JSONField[Any, Any] = models.JSONField(default=list)
    # One target (or null) per column, in the file's order.
    mapping: models.JSONField[Any, Any] = models.JSONField(default=list)
    mode = models.CharField(
        _("mode"), max_length=10, choices=ImportMode.choices, default=ImportMode.CREATE
    )
    match_on = models.CharField(_("match on"), max_length=20, default="email")
    duplicates = models.CharField(
        _("duplicates"),
        max_length=10,
        choices=DuplicateHandling.choices,
        default=DuplicateHandling.SKIP,
    )
    whole_file = models.BooleanField(_("whole file or nothing"), default=False)
    default_country = models.CharField(_("default country"), max_length=2, default="IN")
    day_first = models.BooleanField(_("day before month"), default=True)
    # Progress. ``processed_row``: the last row number (as the user sees it) whose chunk has
    # committed; the checkpoint a resumed worker starts after.
    total_rows = models.BigIntegerField(_("rows"), null=True, blank=True)
    processed_row = models.BigIntegerField(default=0)
    processed_count = models.BigIntegerField(default=0)
    created_count = models.BigIntegerField(_("created"), default=0)
    updated_count = models.BigIntegerField(_("updated"), default=0)
    skipped_count = models.BigIntegerField(_("skipped"), default=0)
    failed_count = models.BigIntegerField(_("failed"), default=0)
    checked_config = models.CharField(max_length=64, blank=True)  # what the last check ran with
    # What the dry run found: rows, create, update, skip, fail, companies (new companies).
    check_summary: models.JSONField[Any, Any] = models.JSONField(default=dict)
    error = models.TextField(_("error"), blank=True)
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
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["created_by", "-id"], name="import_job_creator_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="import_job_status_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in (
            ImportStatus.CHECKING,
            ImportStatus.QUEUED,
            ImportStatus.RUNNING,
            ImportStatus.UNDOING,
        )

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_count * 100 / self.total_rows))


class ImportProblem(models.Model):
    """One problem of a row (or of the file, ``row`` null), in every UI language: a worker
    finds it, people in English and Hindi read it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    row = models.BigIntegerField(null=True)
    field = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=40)
    level = models.CharField(max_length=10)
    messages: models.JSONField[Any, Any] = models.JSONField(default=dict)  # language -> text
    from_check = models.BooleanField(default=False)  # found by the dry run, not the real run
    # The row's cells as text, on the first problem of a row that failed in a real run: the
    # user fixes them on the page and imports that row alone.
    cells: models.JSONField[Any, Any] = models.JSONField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "from_check", "row", "id"], name="import_problem_idx")
        ]

    def __str__(self) -> str:
        return f"{self.row}: {self.code}"

    def message(self, language: str) -> str:
        text = self.messages.get(language) or self.messages.get("en") or ""
        return str(text)


class ImportChange(models.Model):
    """What an import did to one record, so that undo can reverse it: a record it created
    (removed by undo) or one it updated (``before`` holds the values it replaced)."""

    # import_change_job_idx (job, id) serves the key: no one-column index of its own.
    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10)  # created, updated
    row = models.BigIntegerField(null=True)
    before: models.JSONField[Any, Any] = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["job", "id"], name="import_change_job_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class ImportMapping(models.Model):
    """A mapping saved under a name: column header (normalised) -> target, reused when a file
    with the same columns comes again (a monthly export from another system)."""

    object_type = models.CharField(_("object type"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    columns: models.JSONField[Any, Any] = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="import_mapping_unique")
        ]

    def __str__(self) -> str:
        return self.name
