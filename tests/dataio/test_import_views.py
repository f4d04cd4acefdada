"""The import pages: upload, mapping, check, run, fix a row, undo, progress and the report.

The worker is played by calling the ``*_run`` functions, as ``test_import_jobs.py`` does: the
services queue the Huey tasks with ``transaction.on_commit``, which a test transaction never
reaches."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import Grant, Role, User
from sambandh.dataio import views
from sambandh.dataio.models import ImportJob, ImportMapping, ImportProblem, ImportStatus
from sambandh.dataio.services import (
    import_check_run,
    import_job_create,
    import_job_start,
    import_run,
    import_undo_run,
)
from tests.factories import make_user
from tests.web import conftest as web_fixtures

pytestmark = pytest.mark.django_db
client_for = web_fixtures.client_for  # the signed-in client fixture of the web tests
HTMX = web_fixtures.HTMX

CSV = (
    "First Name,Last Name,Email,Phone,Company\n"
    "Asha,Rao,ASHA@Example.IN,98765 43210,Acme Pvt Ltd\n"
    "Ravi,Kumar,ravi@example.in,,acme pvt ltd\n"
    "Bad,Email,not-an-email,,\n"
)
MAPPING = ["first_name", "last_name", "email", "phone", "account_name"]


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def upload(actor: User, text: str = CSV, *, kind: str = "contact") -> ImportJob:
    return import_job_create(
        actor=actor, object_type=kind, upload=io.BytesIO(text.encode()), filename="people.csv"
    )


def form(job: ImportJob, action: str = "check", **changes: Any) -> dict[str, Any]:
    """The mapping form as the page posts it, with the job's current choices."""
    data: dict[str, Any] = {f"mapping-{i}": t or "" for i, t in enumerate(job.mapping)}
    data.update(
        mode=job.mode,
        match_on=job.match_on,
        duplicates=job.duplicates,
        whole_file="1" if job.whole_file else "0",
        default_country=job.default_country,
        day_first="1",
        save_as="",
        action=action,
    )
    data.update(changes)
    return data


def completed(actor: User) -> ImportJob:
    job = upload(actor)
    import_job_start(actor=actor, job=job)
    import_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    return job


def ids_of(page: str, prefix: str) -> list[str]:
    return re.findall(rf'data-testid="({re.escape(prefix)}[^"]*)"', page)


def text_of(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', page)
    assert match is not None, testid
    return match.group(1).strip()


# ---------------------------------------------------------------- upload and mapping


def test_an_upload_goes_to_its_mapping_page_with_the_suggestions(owner, client_for) -> None:
    client = client_for(owner)
    response = client.post(
        "/imports/new/",
        {"kind": "contact", "file": SimpleUploadedFile("people.csv", CSV.encode(), "text/csv")},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (job.created_by, job.object_type, job.file_name) == (owner, "contact", "people.csv")
    page = client.get(response["Location"]).content.decode()
    assert re.findall(r'data-testid="(mapping-\d)"', page) == [f"mapping-{i}" for i in range(5)]
    for index, target in enumerate(MAPPING):
        select = page[page.index(f'data-testid="mapping-{index}"') :]
        select = select[: select.index("</select>")]
        assert re.findall(r'<option value="([^"]*)" selected>', select) == [target]
    assert re.findall(r'data-hint="(\w+)"', page) == ["suggested"] * 5
    # Samples are the file's own text; the preview shows the values as they will be imported.
    assert '<span class="import-sample">ASHA@Example.IN</span>' in page
    assert '<span class="import-sample">acme pvt ltd</span>' in page
    assert page.count('data-testid="preview-row"') == 3
    assert "<td>asha@example.in</td>" in page
    assert "<td>+919876543210</td>" in page
    assert "“not-an-email” is not a valid email address." in page
    assert 'data-testid="import-check"' in page and 'data-testid="import-start"' in page


def test_a_misspelt_header_is_marked_to_check(owner, client_for) -> None:
    job = upload(owner, "Emial,Frist Name\nasha@example.in,Asha\n")
    page = client_for(owner).get(f"/imports/{job.pk}/").content.decode()
    assert job.mapping == ["email", "first_name"]
    assert re.findall(r'data-hint="(\w+)"', page) == ["check", "check"]


def test_a_file_that_is_not_a_table_shows_the_readers_message_and_keeps_nothing(
    owner, client_for, tmp_path
) -> None:
    response = client_for(owner).post(
        "/imports/new/", {"kind": "contact", "file": SimpleUploadedFile("empty.csv", b"")}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="upload-errors">\n    <p>The file is empty.</p>' in page
    assert ImportJob.objects.count() == 0
    assert list((tmp_path / "imports").iterdir()) == []


def test_an_upload_without_a_file_is_refused(owner, client_for) -> None:
    response = client_for(owner).post("/imports/new/", {"kind": "account"})
    assert response.status_code == 400
    assert "Choose a file to import." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_the_upload_form_offers_the_kinds_the_user_may_create(marketer, client_for) -> None:
    # A marketer creates contacts and activities, but not companies.
    client = client_for(marketer)
    page = client.get("/imports/new/").content.decode()
    assert ids_of(page, "upload-") == [
        "upload-form", "upload-kind-contact", "upload-kind-activity", "upload-file", "upload-submit",
    ]  # fmt: skip
    assert client.get("/imports/new/?kind=account").status_code == 403


def test_a_reader_may_not_import(reader, client_for) -> None:
    client = client_for(reader)
    assert client.get("/imports/new/").status_code == 403
    assert client.get("/imports/new/?kind=contact").status_code == 403
    response = client.post(
        "/imports/new/", {"kind": "contact", "file": SimpleUploadedFile("p.csv", CSV.encode())}
    )
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_the_lists_link_to_an_import_for_those_who_may_create(
    owner, reader, marketer, client_for
) -> None:
    assert (
        'href="/imports/new/?kind=contact"' in client_for(owner).get("/contacts/").content.decode()
    )
    assert (
        'href="/imports/new/?kind=account"' in client_for(owner).get("/accounts/").content.decode()
    )
    assert "/imports/new/" not in client_for(reader).get("/contacts/").content.decode()
    assert "/imports/new/" not in client_for(marketer).get("/accounts/").content.decode()


def test_a_bad_mapping_is_refused_with_its_message_and_nothing_changes(owner, client_for) -> None:
    job = upload(owner)
    response = client_for(owner).post(
        f"/imports/{job.pk}/",
        form(job, **{"mapping-0": "", "mapping-1": "", "mapping-2": "", "save_as": "Mine"}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<ul class="errors" id="mapping-errors" data-testid="mapping-errors"><li>'
        "Map a column to the name or the email, so each row can be recognised.</li></ul>" in page
    )
    # The form keeps what was posted.
    select = page[page.index('data-testid="mapping-0"') :]
    assert '<option value="" selected>' in select[: select.index("</select>")]
    job.refresh_from_db()
    assert (job.status, job.mapping) == (ImportStatus.NEW, MAPPING)
    assert ImportMapping.objects.count() == 0


def test_option_errors_are_shown_next_to_their_fields(owner, client_for) -> None:
    job = upload(owner)
    response = client_for(owner).post(
        f"/imports/{job.pk}/",
        form(job, mode="update", match_on="external_id", default_country="XX"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert ids_of(page, "errors-") == ["errors-match_on", "errors-default_country"]
    assert "Map a column to the field that finds existing records." in page
    assert "Choose a country." in page
    job.refresh_from_db()
    assert (job.mode, job.match_on, job.default_country) == ("create", "email", "IN")


def test_only_a_user_who_may_update_is_offered_the_update_modes(owner, client_for) -> None:
    job = upload(owner)
    page = client_for(owner).get(f"/imports/{job.pk}/").content.decode()
    assert ids_of(page, "mode-") == ["mode-create", "mode-update", "mode-upsert"]
    role = Role.objects.create(name="Importer")
    for action in ("read", "create"):
        Grant.objects.create(role=role, object_type="contact", action=action, scope="own")
    importer = make_user("importer", "Importer")
    job = upload(importer)
    client = client_for(importer)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert ids_of(page, "mode-") == ["mode-create"]
    response = client.post(f"/imports/{job.pk}/", form(job, "start", mode="upsert"))
    assert response.status_code == 403
    job.refresh_from_db()
    assert (job.status, job.mode) == (ImportStatus.NEW, "create")


def test_check_queues_the_dry_run_and_then_shows_what_an_import_would_do(owner, client_for) -> None:
    job = upload(owner)
    client = client_for(owner)
    response = client.post(f"/imports/{job.pk}/", form(job, "check", save_as="Monthly"))
    assert (response.status_code, response["Location"]) == (302, f"/imports/{job.pk}/")
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING
    assert ImportMapping.objects.get().name == "Monthly"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'data-testid="mapping-form"' not in page
    import_check_run(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert [
        text_of(page, f"check-{n}")
        for n in ("rows", "created", "updated", "skipped", "failed", "companies")
    ] == ["3", "2", "0", "0", "1", "1"]
    assert page.count('data-testid="problem-row"') == 1
    assert 'data-row="4" data-level="error"' in page
    assert f'href="/imports/{job.pk}/report.csv?run=check"' in page
    assert 'data-testid="mapping-form"' in page  # still editable: check again or import
    assert Contact.objects.count() == 0


# ---------------------------------------------------------------- run, result, fix


def test_import_then_the_completed_page_shows_the_counts_and_the_bad_row(owner, client_for) -> None:
    job = upload(owner)
    client = client_for(owner)
    response = client.post(f"/imports/{job.pk}/", form(job, "start"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    import_run(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert [
        text_of(page, f"count-{n}") for n in ("rows", "created", "updated", "skipped", "failed")
    ] == ["3", "2", "0", "0", "1"]
    assert text_of(page, "import-status") == "Completed"
    rows = re.findall(r'<tr data-testid="problem-row".*?</tr>', page, re.S)
    assert len(rows) == 1
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)
    assert cells[:3] == ["4", "Email", "“not-an-email” is not a valid email address."]
    assert ">Error</span>" in cells[3]
    assert f'href="/imports/{job.pk}/rows/4/" data-testid="fix-row-4"' in cells[4]
    assert f'href="/imports/{job.pk}/undo/" data-testid="undo-import"' in page
    assert Contact.objects.count() == 2


def test_a_failed_row_is_fixed_on_its_page_and_joins_the_import(owner, client_for) -> None:
    job = completed(owner)
    client = client_for(owner)
    url = f"/imports/{job.pk}/rows/4/"
    page = client.get(url).content.decode()
    values = re.findall(r'<input id="cell-(\d)" name="cell-\d" value="([^"]*)"', page)
    assert values == [("0", "Bad"), ("1", "Email"), ("2", "not-an-email"), ("3", ""), ("4", "")]
    assert '<label for="cell-2">Email</label>' in page
    assert ids_of(page, "fix-errors-") == ["fix-errors-2"]
    cells = {f"cell-{i}": v for i, v in values}
    response = client.post(url, {**cells, "cell-2": "still wrong"})
    assert response.status_code == 400
    page = response.content.decode()
    assert ids_of(page, "fix-errors-") == ["fix-errors-2"]
    assert "“still wrong” is not a valid email address." in page
    assert 'value="still wrong"' in page
    assert Contact.objects.count() == 2
    response = client.post(url, {**cells, "cell-2": "bad@example.in"})
    assert (response.status_code, response["Location"]) == (302, f"/imports/{job.pk}/")
    assert Contact.objects.get(email="bad@example.in").first_name == "Bad"
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Row 4 was imported." in page
    assert [text_of(page, "count-created"), text_of(page, "count-failed")] == ["3", "0"]
    assert 'data-testid="no-problems"' in page
    assert client.get(url).status_code == 404  # nothing left to fix


def test_a_row_that_did_not_fail_has_no_fix_page(owner, client_for) -> None:
    job = completed(owner)
    assert client_for(owner).get(f"/imports/{job.pk}/rows/2/").status_code == 404


def test_the_report_is_a_csv_of_every_problem_in_the_users_language(owner, client_for) -> None:
    job = completed(owner)
    ImportProblem.objects.create(
        job=job,
        row=None,
        field="",
        code="formula",
        level="warning",
        messages={"en": "=HYPERLINK(1)", "hi": "=हिन्दी"},
    )
    client = client_for(owner)
    response = client.get(f"/imports/{job.pk}/report.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="import-{job.pk}-import-problems.csv"'
    )
    body = b"".join(response.streaming_content).decode()
    assert body == (
        "\ufeffrow,column,level,code,problem\r\n"
        ",,warning,formula,'=HYPERLINK(1)\r\n"
        "4,Email,error,invalid_email,“not-an-email” is not a valid email address.\r\n"
    )
    owner.language = "hi"
    owner.save()
    body = b"".join(client.get(f"/imports/{job.pk}/report.csv").streaming_content).decode()
    assert ",,warning,formula,'=हिन्दी\r\n" in body
    assert "4,Email,error,invalid_email,“not-an-email” मान्य ईमेल पता नहीं है।\r\n" in body


def test_the_report_reads_problems_a_batch_at_a_time_in_row_order(
    owner, client_for, monkeypatch
) -> None:
    job = upload(owner)
    ImportProblem.objects.bulk_create(
        ImportProblem(job=job, row=row, field="Email", code=f"c{row}", level="error")
        for row in (9, 3, 7, 3)
    )
    ImportProblem.objects.create(job=job, row=5, code="checked", level="error", from_check=True)
    monkeypatch.setattr(views, "REPORT_BATCH", 1)
    response = client_for(owner).get(f"/imports/{job.pk}/report.csv?run=import")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["3", "Email", "error", "c3"],
        ["3", "Email", "error", "c3"],
        ["7", "Email", "error", "c7"],
        ["9", "Email", "error", "c9"],
    ]
    check = client_for(owner).get(f"/imports/{job.pk}/report.csv?run=check")
    assert b"".join(check.streaming_content).decode().splitlines()[1] == "5,,error,checked,"
    assert client_for(owner).get(f"/imports/{job.pk}/report.csv?run=x").status_code == 400


# ---------------------------------------------------------------- undo, progress


def test_undo_is_confirmed_on_its_own_page_and_removes_what_the_import_created(
    owner, client_for
) -> None:
    job = completed(owner)
    client = client_for(owner)
    page = client.get(f"/imports/{job.pk}/undo/").content.decode()
    assert 'data-testid="undo-confirm"' in page
    assert "The 2 records this import created are deleted" in page
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED  # GET never writes
    response = client.post(f"/imports/{job.pk}/undo/")
    assert (response.status_code, response["Location"]) == (302, f"/imports/{job.pk}/")
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDOING
    assert 'hx-trigger="every 1s"' in client.get(f"/imports/{job.pk}/").content.decode()
    import_undo_run(job.pk)
    assert Contact.objects.count() == 0 and Account.objects.count() == 0
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert text_of(page, "import-status") == "Undone"
    assert 'data-testid="undo-import"' not in page
    assert (
        'data-testid="undo-confirm"' not in client.get(f"/imports/{job.pk}/undo/").content.decode()
    )
    assert client.post(f"/imports/{job.pk}/undo/").status_code == 400


def test_the_progress_fragment_polls_while_running_and_stops_once_done(owner, client_for) -> None:
    job = upload(owner)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total_rows=3, processed_count=1
    )
    client = client_for(owner)
    url = f"/imports/{job.pk}/progress"
    fragment = client.get(url, **HTMX).content.decode()
    assert fragment.strip().startswith('<div id="import-progress"')
    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in fragment
    assert (
        '<progress id="import-progress-bar" value="1" max="3" data-testid="progress-bar">'
        in fragment
    )
    assert '<label for="import-progress-bar">Importing</label>' in fragment
    assert text_of(fragment, "progress-text") == "33% · 1 of 3 rows"
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMPLETED, processed_count=3)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    plain = client.get(url).content.decode()
    assert "hx-trigger" not in plain
    assert f'href="/imports/{job.pk}/" data-testid="progress-done"' in plain


# ---------------------------------------------------------------- history, access, Hindi


def test_the_history_lists_the_users_imports_newest_first_with_more(
    owner, teammate, admin, client_for, monkeypatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first, second, third = upload(owner), completed(owner), upload(owner)
    theirs = upload(teammate)
    client = client_for(owner)
    page = client.get("/imports/").content.decode()
    ids = re.findall(r'data-testid="import-row" data-id="(\d+)"', page)
    assert ids == [str(third.pk), str(second.pk)]
    row = re.search(rf'data-id="{second.pk}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells[:7] == ["people.csv", "Contacts", "Completed", "2", "0", "0", "1"]
    assert cells[8] == "Asha Rao"
    more = re.search(r'href="(/imports/\?cursor=[^"]+)"', page)
    assert more is not None
    rest = client.get(more.group(1), **HTMX).content.decode()
    assert re.findall(r'data-testid="import-row" data-id="(\d+)"', rest) == [str(first.pk)]
    assert 'data-testid="imports-more"' not in rest
    everyone = client_for(admin).get("/imports/").content.decode()
    assert f'data-id="{theirs.pk}"' in everyone


def test_someone_elses_import_is_not_found_on_every_page(owner, outsider, client_for) -> None:
    job = completed(owner)
    client = client_for(outsider)
    for path in ("", "progress", "report.csv", "rows/4/", "undo/"):
        assert client.get(f"/imports/{job.pk}/{path}").status_code == 404, path
    for path, data in (
        ("", form(job, "start")),
        ("rows/4/", {f"cell-{i}": "x@example.in" for i in range(5)}),
        ("undo/", {}),
    ):
        assert client.post(f"/imports/{job.pk}/{path}", data).status_code == 404, path
    job.refresh_from_db()
    assert (job.status, job.created_count, job.failed_count) == ("completed", 2, 1)
    assert f'data-id="{job.pk}"' not in client.get("/imports/").content.decode()
    assert client.get("/imports/999999/").status_code == 404


def test_a_finished_import_cannot_be_configured_again(owner, client_for) -> None:
    job = completed(owner)
    response = client_for(owner).post(f"/imports/{job.pk}/", form(job, "start"))
    assert response.status_code == 400
    assert (
        "This import has started; its settings can no longer change." in response.content.decode()
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED


def test_the_pages_speak_hindi(owner, client_for) -> None:
    owner.language = "hi"
    owner.save()
    job = completed(owner)
    client = client_for(owner)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert '<html lang="hi">' in page
    assert '<th scope="col" class="import-num">पंक्ति</th>' in page
    assert '<th scope="col">समस्या</th>' in page
    assert "“not-an-email” मान्य ईमेल पता नहीं है।" in page
    history = client.get("/imports/").content.decode()
    assert '<th scope="col">स्थिति</th>' in history
    assert "<td>संपर्क</td>" in history
