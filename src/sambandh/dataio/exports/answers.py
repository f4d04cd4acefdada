"""How the pages and the API answer an export: the file itself, or, for a large selection
queued for a worker, a redirect to the user's exports (pages) or a 202 with the job (API).
Shared by every list's export, so the contacts, sales and activities views stay thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from sambandh.dataio.exports.models import ExportError, ExportJob, ExportStatus

Outcome = StreamingHttpResponse | FileResponse | ExportJob


def job_out(job: ExportJob) -> dict[str, Any]:
    """An export job as the API shows it (``ExportJobOut``)."""
    errors = dict(ExportError.choices)
    return {
        "id": job.pk,
        "object_type": job.object_type,
        "format": job.file_format,
        "status": job.status,
        "selection": job.selection,
        "rows_written": job.rows_written,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "error": job.error or None,
        "error_message": str(errors[job.error]) if job.error in errors else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "file_url": f"/api/v1/exports/{job.pk}/file"
        if job.status == ExportStatus.COMPLETED
        else None,
    }


def page_answer(request: HttpRequest, outcome: Outcome) -> HttpResponseBase:
    """The download, or the user's exports with a word on the one just queued."""
    if isinstance(outcome, ExportJob):
        messages.info(
            request,
            _(
                "This export is large, so it is being written in the background. It will be "
                "ready to download here in a few minutes."
            ),
        )
        return redirect("web:exports")
    return outcome


def api_answer(request: HttpRequest, outcome: Outcome) -> HttpResponseBase:
    """The download, or 202 with the queued job and ``Location`` where its status is read."""
    if isinstance(outcome, ExportJob):
        from sambandh.api import api

        response = api.create_response(request, job_out(outcome), status=202)
        response["Location"] = f"/api/v1/exports/{outcome.pk}"
        return response
    return outcome
