"""Background exports: a selection larger than the threshold becomes a job that a worker
writes to a file (the worker is played by calling the task's body), found on /exports/ and
at /api/v1/exports/{id}; a small one still streams. Scope, audit, refusals and housekeeping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from sambandh.contacts.models import Contact
from sambandh.core.models import AuditEntry, Grant, User
from sambandh.dataio.exports.models import ExportJob, ExportStatus
from sambandh.dataio.exports.services import (
    STALE_AFTER,
    export_dir,
    export_job_run,
    exports_purge,
    exports_resume,
    job_path,
)
from tests.api.conftest import client_for as api_client_for
from tests.exports import body as _body
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

THRESHOLD = 2


@pytest.fixture(autouse=True)
def _settings(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    settings.SAMBANDH_EXPORT_BACKGROUND_ROWS = THRESHOLD


@pytest.fixture
def people(owner: User, teammate: User, admin: User) -> dict[str, Contact]:
    return {
        "asha": make_contact(owner, first_name="Asha", last_name="Rao", city="Pune"),
        "ravi": make_contact(owner, first_name="Ravi", last_name="Kumar", city="Pune"),
        "meena": make_contact(
            owner, first_name="Meena", last_name="Iyer", city="Pune", job_title="=1+2"
        ),
        "team": make_contact(teammate, first_name="Tara", last_name="Sen", city="Pune"),
        "admin": make_contact(admin, first_name="Anil", last_name="Das", city="Delhi"),
    }


def _page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _exports() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="export").order_by("seq"))


def _rows(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _queue(user: User, query: str = "", fmt: str = "csv") -> ExportJob:
    response = _page(user).post(f"/contacts/export/{query}", {"format": fmt})
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == "/exports/"
    return ExportJob.objects.latest("id")


def _run(job: ExportJob) -> ExportJob:
    """The worker: the task's body, called directly."""
    done = export_job_run(job.pk)
    assert done is not None
    return done


# ---------------------------------------------------------------- the threshold


def test_a_selection_within_the_threshold_still_streams(
    admin: User, people: dict[str, Contact]
) -> None:
    response = _page(admin).post("/contacts/export/?city=Delhi", {"format": "csv"})
    assert response.status_code == 200
    assert [r["first_name"] for r in _rows(_body(response))] == ["Anil"]
    assert ExportJob.objects.count() == 0
    assert len(_exports()) == 1


def test_a_larger_selection_is_queued_with_its_selection_and_audited_once(
    owner: User, people: dict[str, Contact]
) -> None:
    client = _page(owner)
    response = client.post("/contacts/export/?city=Pune&sort=-name&q=a", {"format": "csv"})
    assert response.status_code == 302
    assert response["Location"] == "/exports/"
    job = ExportJob.objects.get()
    assert (job.created_by, job.object_type, job.file_format, job.status) == (
        owner,
        "contact",
        "csv",
        ExportStatus.QUEUED,
    )
    assert job.selection == {"filters": {"city": "Pune"}, "q": "a", "tag": None, "sort": "-name"}
    # Dated in the user's own time zone (India is 5:30 ahead of UTC: a different day at night).
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(owner.time_zone))
    assert job.file_name == f"contacts-{today.isoformat()}.csv"
    assert not job_path(job).exists()
    [entry] = _exports()
    assert (entry.actor, entry.object_type) == (owner, "contact")
    assert entry.changes["selection"] == {
        "format": "csv",
        "filters": {"city": "Pune"},
        "q": "a",
        "tag": None,
        "sort": "-name",
        "export_job_id": job.pk,
    }
    page = client.get("/exports/").content.decode()
    assert "in the background" in page  # the message that came with the redirect


def test_the_count_is_bounded(admin: User, people: dict[str, Contact]) -> None:
    with CaptureQueriesContext(connection) as queries:
        _queue(admin)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all(f"LIMIT {THRESHOLD + 1}" in sql for sql in counts)


# ---------------------------------------------------------------- the worker


def test_the_worker_writes_the_file_through_the_creators_export_scope(
    owner: User, people: dict[str, Contact]
) -> None:
    # A Sales rep reads the team's contacts but exports only their own.
    job = _queue(owner, "?city=Pune&sort=name")
    job = _run(job)
    assert job.status == ExportStatus.COMPLETED
    assert job.rows_written == 3
    assert job.error == ""
    assert job.finished_at is not None
    data = job_path(job).read_bytes()
    assert job.file_size == len(data)
    rows = _rows(data)
    assert [(r["first_name"], r["last_name"]) for r in rows] == [
        ("Meena", "Iyer"),
        ("Ravi", "Kumar"),
        ("Asha", "Rao"),
    ]
    assert rows[0]["job_title"] == "'=1+2"  # neutralised, as in a streamed export
    assert list(export_dir().glob("*.part")) == []
    # Downloaded as it was written, under the job's file name.
    response = _page(owner).get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert _body(response) == data
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{job.file_name}"' in response["Content-Disposition"]
    assert len(_exports()) == 1  # the download is not another export


def test_running_the_task_twice_writes_once(owner: User, people: dict[str, Contact]) -> None:
    job = _queue(owner)
    _run(job)
    first = ExportJob.objects.get(pk=job.pk)
    written = job_path(first).read_bytes()
    make_contact(owner, first_name="Late", city="Pune")
    again = _run(job)
    assert (again.status, again.rows_written, again.finished_at) == (
        ExportStatus.COMPLETED,
        3,
        first.finished_at,
    )
    assert job_path(again).read_bytes() == written
    assert len(_exports()) == 1


def test_an_xlsx_job_keeps_formulas_as_text(admin: User, people: dict[str, Contact]) -> None:
    job = _run(_queue(admin, "?city=Pune", fmt="xlsx"))
    assert job.status == ExportStatus.COMPLETED
    assert job.file_name.endswith(".xlsx")
    sheet = load_workbook(job_path(job)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert len(rows) == 1 + 4
    titles = [r[header.index("job_title")] for r in rows[1:]]
    assert "=1+2" in titles
    row = 2 + [r[header.index("job_title")] for r in rows[1:]].index("=1+2")
    assert sheet.cell(row=row, column=header.index("job_title") + 1).data_type == "s"


def test_a_vcard_job(admin: User, people: dict[str, Contact]) -> None:
    job = _run(_queue(admin, "?city=Pune", fmt="vcf"))
    assert job.status == ExportStatus.COMPLETED
    text = job_path(job).read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 4
    assert "FN:Meena Iyer" in text


def test_a_grant_taken_away_before_the_run_fails_the_job_and_writes_nothing(
    owner: User, people: dict[str, Contact]
) -> None:
    job = _queue(owner)
    Grant.objects.filter(role=owner.role, object_type="contact", action="export").delete()
    job = _run(job)
    assert (job.status, job.error, job.rows_written) == (ExportStatus.FAILED, "permission", 0)
    assert not job_path(job).exists()
    assert list(export_dir().iterdir()) == []
    page = _page(owner).get("/exports/").content.decode()
    assert "You may no longer export these records." in page
    assert f"/exports/{job.pk}/download/" not in page


def test_a_filter_no_longer_valid_fails_the_job(admin: User, people: dict[str, Contact]) -> None:
    job = _queue(admin)
    job.selection = {"filters": {"shoe_size": "9"}}
    job.save()
    job = _run(job)
    assert (job.status, job.error) == (ExportStatus.FAILED, "invalid")
    assert list(export_dir().iterdir()) == []


def test_a_running_job_is_left_alone_until_its_worker_is_taken_for_dead(
    admin: User, people: dict[str, Contact]
) -> None:
    job = _queue(admin)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now, worker_token="alive"
    )
    assert _run(job).status == ExportStatus.RUNNING
    assert exports_resume() == []
    gone = now - STALE_AFTER - dt.timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=gone)
    assert exports_resume() == [job.pk]
    job = _run(job)
    assert (job.status, job.rows_written) == (ExportStatus.COMPLETED, 5)
    assert job.worker_token != "alive"


def test_a_queued_job_whose_wake_up_was_lost_is_woken(
    admin: User, people: dict[str, Contact]
) -> None:
    job = _queue(admin)
    assert exports_resume() == []
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - 2 * STALE_AFTER)
    assert exports_resume() == [job.pk]


# ---------------------------------------------------------------- refusals


def test_a_bad_format_is_a_400_with_no_job_and_no_audit(
    admin: User, people: dict[str, Contact]
) -> None:
    response = _page(admin).post("/accounts/export/", {"format": "vcf"})
    assert response.status_code == 400
    response = api_client_for(admin).get("/contacts/export?format=pdf")
    assert response.status_code == 400
    assert "format" in response.json()["fields"]
    assert ExportJob.objects.count() == 0
    assert _exports() == []


def test_without_the_export_grant_a_large_selection_is_refused_too(
    reader: User, people: dict[str, Contact]
) -> None:
    # The reader sees all five contacts, more than the threshold, and may export none.
    response = _page(reader).post("/contacts/export/", {"format": "csv"})
    assert response.status_code == 403
    response = api_client_for(reader).get("/contacts/export")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert ExportJob.objects.count() == 0
    assert _exports() == []
    assert not export_dir().exists() or list(export_dir().iterdir()) == []


def test_someone_elses_export_is_not_found(
    owner: User, teammate: User, admin: User, people: dict[str, Contact]
) -> None:
    job = _run(_queue(owner))
    assert job.status == ExportStatus.COMPLETED
    for other in (teammate, admin):
        assert _page(other).get(f"/exports/{job.pk}/download/").status_code == 404
        api = api_client_for(other)
        assert api.get(f"/exports/{job.pk}").status_code == 404
        response = api.get(f"/exports/{job.pk}/file")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert job.file_name not in _page(other).get("/exports/").content.decode()
    assert _page(owner).get("/exports/999999999/download/").status_code == 404


def test_an_unfinished_export_has_no_file_yet(owner: User, people: dict[str, Contact]) -> None:
    job = _queue(owner)
    response = api_client_for(owner).get(f"/exports/{job.pk}/file")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert _page(owner).get(f"/exports/{job.pk}/download/").status_code == 409


def test_a_download_is_a_get_only(owner: User, people: dict[str, Contact]) -> None:
    job = _run(_queue(owner))
    assert _page(owner).post(f"/exports/{job.pk}/download/").status_code == 405
    assert Client().get(f"/exports/{job.pk}/download/").status_code == 302


# ---------------------------------------------------------------- the API


def test_the_api_answers_202_with_the_job_and_its_location(
    admin: User, people: dict[str, Contact]
) -> None:
    api = api_client_for(admin)
    response = api.get("/contacts/export?format=json&city=Pune")
    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert response["Location"] == f"/api/v1/exports/{job.pk}"
    body = response.json()
    assert (body["id"], body["status"], body["format"], body["object_type"]) == (
        job.pk,
        "queued",
        "json",
        "contact",
    )
    assert body["file_url"] is None
    assert body["selection"]["filters"] == {"city": "Pune"}
    _run(job)
    status = api.get(f"/exports/{job.pk}").json()
    assert (status["status"], status["rows_written"], status["error"]) == ("completed", 4, None)
    assert status["file_url"] == f"/api/v1/exports/{job.pk}/file"
    file = api.get(f"/exports/{job.pk}/file")
    assert file.status_code == 200
    assert file["Content-Type"] == "application/json"
    records = json.loads(_body(file))
    assert sorted(r["first_name"] for r in records) == ["Asha", "Meena", "Ravi", "Tara"]
    listed = api.get("/exports").json()
    assert [item["id"] for item in listed["items"]] == [job.pk]
    assert listed["next_cursor"] is None


def test_the_api_lists_only_ones_own_exports_newest_first(
    owner: User, admin: User, people: dict[str, Contact]
) -> None:
    first = _queue(owner)
    second = _queue(owner, "?city=Pune")
    _queue(admin)
    listed = api_client_for(owner).get("/exports?limit=1").json()
    assert [item["id"] for item in listed["items"]] == [second.pk]
    more = api_client_for(owner).get(f"/exports?limit=1&cursor={listed['next_cursor']}")
    assert [item["id"] for item in more.json()["items"]] == [first.pk]


# ---------------------------------------------------------------- the page


def test_the_exports_page_lists_ones_own_jobs_newest_first(
    owner: User, admin: User, people: dict[str, Contact]
) -> None:
    older = _run(_queue(owner))
    newer = _queue(owner, "?city=Pune")
    theirs = _queue(admin)
    page = _page(owner).get("/exports/").content.decode()
    assert page.index(f'data-id="{newer.pk}"') < page.index(f'data-id="{older.pk}"')
    assert f'data-id="{theirs.pk}"' not in page
    assert f'href="/exports/{older.pk}/download/"' in page
    assert f'href="/exports/{newer.pk}/download/"' not in page
    # A job still being written makes the rows poll themselves.
    assert 'data-testid="exports-polling"' in page
    _run(newer)
    page = _page(owner).get("/exports/").content.decode()
    assert 'data-testid="exports-polling"' not in page


def test_the_exports_page_refreshes_its_rows_for_htmx(
    owner: User, people: dict[str, Contact]
) -> None:
    job = _queue(owner)
    response = _page(owner).get("/exports/", HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert text.lstrip().startswith('<tbody id="export-rows"')
    assert f'data-id="{job.pk}"' in text


def test_the_exports_page_says_when_there_are_none(owner: User) -> None:
    page = _page(owner).get("/exports/").content.decode()
    assert 'data-testid="exports-empty"' in page


def test_the_contacts_export_menu_links_to_ones_exports(admin: User) -> None:
    page = _page(admin).get("/contacts/").content.decode()
    assert 'href="/exports/"' in page


# ---------------------------------------------------------------- housekeeping


def test_the_purge_removes_exports_finished_a_week_ago_with_their_files(
    owner: User, people: dict[str, Contact]
) -> None:
    old = _run(_queue(owner))
    recent = _run(_queue(owner, "?city=Pune"))
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    ExportJob.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - dt.timedelta(days=6))
    stale_part = export_dir() / "abandoned.csv.token.part"
    stale_part.write_bytes(b"half")
    week_ago = (timezone.now() - dt.timedelta(days=8)).timestamp()
    os.utime(stale_part, (week_ago, week_ago))
    fresh_part = export_dir() / "writing.csv.token.part"
    fresh_part.write_bytes(b"half")
    assert exports_purge() == {"jobs": 1, "parts": 1}
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not job_path(old).exists()
    assert job_path(recent).exists()
    assert fresh_part.exists()
    assert not stale_part.exists()
    assert len(_exports()) == 2  # the audit trail keeps the record


def test_every_export_documents_its_json_file_as_an_array_of_records() -> None:
    """A JSON export is a JSON document: described as a binary string, a client (and the
    schemathesis run) would find the answer off its own schema."""
    from sambandh.api import api

    paths = api.get_openapi_schema()["paths"]
    exports = {p: v for p, v in paths.items() if p.endswith("/export") or p.endswith("/file")}
    assert len(exports) >= 6
    for path, operations in exports.items():
        content = operations["get"]["responses"]["200"]["content"]
        assert content["application/json"]["schema"]["type"] == "array", path
        assert content["text/csv"]["schema"]["format"] == "binary", path
