"""The imports API over HTTP: upload, settings, check, start, undo, problems and lists, each
job visible to its creator and administrators only. The worker is played by calling the
``*_run`` functions, as the tasks would."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sambandh.contacts.models import Contact
from sambandh.core.models import IdempotencyRecord, User
from sambandh.dataio.models import ImportJob, ImportProblem
from sambandh.dataio.services import import_check_run, import_run, import_undo_run
from tests.api.conftest import BASE, ApiClient, client_for

pytestmark = pytest.mark.django_db

CSV = (
    "First Name,Last Name,Email,City\n"
    "Asha,Rao,asha@example.in,Pune\n"
    "Ravi,Kumar,ravi@example.in,\n"
    "Bad,Email,not-an-email,\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def as_owner(owner: User) -> ApiClient:
    return client_for(owner)


def upload(
    client: ApiClient,
    text: str = CSV,
    *,
    object_type: str = "contact",
    name: str = "people.csv",
    **headers: str,
) -> Any:
    """A multipart upload, as a browser or ``curl -F`` sends it."""
    return client.client.post(
        f"{BASE}/imports",
        {"file": SimpleUploadedFile(name, text.encode()), "object_type": object_type},
        headers={**client.headers, **headers},
    )


def put_settings(client: ApiClient, job_id: int, body: dict[str, Any]) -> Any:
    return client.call("put", f"/imports/{job_id}/settings", body)


def test_an_upload_answers_the_job_with_its_proposed_mapping(
    as_owner: ApiClient, owner: User
) -> None:
    response = upload(as_owner)
    assert response.status_code == 201
    job = response.json()
    assert {k: job[k] for k in ("object_type", "status", "status_label", "file_name")} == {
        "object_type": "contact",
        "status": "new",
        "status_label": "Mapping columns",
        "file_name": "people.csv",
    }
    assert job["headers"] == ["First Name", "Last Name", "Email", "City"]
    assert job["mapping"] == ["first_name", "last_name", "email", "city"]
    assert {"name": "first_name", "label": "First name"} in job["targets"]
    assert {"name": "account_name", "label": "Company name"} in job["targets"]
    assert (job["mode"], job["match_on"], job["duplicates"]) == ("create", "email", "skip")
    assert (job["whole_file"], job["default_country"], job["day_first"]) == (False, "IN", True)
    counts = ("total_rows", "processed_count", "percent", "created_count", "failed_count")
    assert [job[k] for k in counts] == [None, 0, 0, 0, 0]
    assert (job["check_summary"], job["error"], job["started_at"]) == ({}, "", None)
    assert job["created_by_id"] == owner.pk
    assert ImportJob.objects.get().pk == job["id"]


def test_the_json_form_of_an_upload(as_owner: ApiClient) -> None:
    response = as_owner.post(
        "/imports", {"object_type": "account", "file_name": "firms.csv", "text": "Company\nAcme\n"}
    )
    assert response.status_code == 201
    job = response.json()
    assert (job["object_type"], job["file_name"], job["mapping"]) == (
        "account",
        "firms.csv",
        ["name"],
    )


def test_a_file_that_is_not_a_table_is_a_400_with_the_readers_message(
    as_owner: ApiClient, settings: Any
) -> None:
    response = upload(as_owner, "   \n")
    assert response.status_code == 400
    assert response.json() == {
        "code": "empty",
        "message": "The file is empty.",
        "fields": {"file": ["The file is empty."]},
    }
    assert ImportJob.objects.count() == 0
    assert list((settings.DATA_DIR / "imports").iterdir()) == []


def test_an_upload_needs_a_kind_and_a_file(as_owner: ApiClient) -> None:
    response = upload(as_owner, object_type="ticket")  # deals, orders and activities import
    assert response.status_code == 400
    assert response.json()["fields"] == {"object_type": ["Choose the kind of records to import."]}
    no_file = as_owner.client.post(
        f"{BASE}/imports", {"object_type": "contact"}, headers=as_owner.headers
    )
    assert no_file.json()["fields"] == {"file": ["Choose a file."]}
    plain = as_owner.client.post(
        f"{BASE}/imports", CSV, content_type="text/csv", headers=as_owner.headers
    )
    assert plain.status_code == 400
    assert plain.json()["fields"] == {"file": ["Send the file as multipart/form-data or as JSON."]}
    extra = as_owner.post("/imports", {"object_type": "contact", "text": "A\n", "x": 1})
    assert extra.json()["fields"] == {"x": ["Unknown field."]}
    assert ImportJob.objects.count() == 0


def test_a_reader_may_not_upload_and_nothing_is_kept(reader: User, settings: Any) -> None:
    response = upload(client_for(reader))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert ImportJob.objects.count() == 0
    assert not (settings.DATA_DIR / "imports").exists() or not any(
        (settings.DATA_DIR / "imports").iterdir()
    )


def test_a_job_is_seen_by_its_creator_and_admins_only(
    as_owner: ApiClient, outsider: User, admin: User
) -> None:
    job_id = upload(as_owner).json()["id"]
    assert as_owner.get(f"/imports/{job_id}").status_code == 200
    assert client_for(admin).get(f"/imports/{job_id}").status_code == 200
    as_outsider = client_for(outsider)
    assert as_outsider.get(f"/imports/{job_id}").json()["code"] == "not_found"
    assert as_outsider.get(f"/imports/{job_id}/problems").status_code == 404
    assert put_settings(as_outsider, job_id, {"mode": "upsert"}).status_code == 404
    for action in ("check", "start", "undo"):
        assert as_outsider.post(f"/imports/{job_id}/{action}").status_code == 404
    job = ImportJob.objects.get()
    assert (job.status, job.mode) == ("new", "create")


def test_the_list_shows_my_jobs_newest_first_with_a_cursor(
    as_owner: ApiClient, outsider: User, admin: User
) -> None:
    first = upload(as_owner, name="a.csv").json()["id"]
    upload(client_for(outsider), name="theirs.csv")
    second = upload(as_owner, name="b.csv").json()["id"]
    page = as_owner.get("/imports?limit=1").json()
    assert [j["id"] for j in page["items"]] == [second]
    rest = as_owner.get(f"/imports?limit=1&cursor={page['next_cursor']}").json()
    assert ([j["id"] for j in rest["items"]], rest["next_cursor"]) == ([first], None)
    everyone = client_for(admin).get("/imports").json()
    assert [j["file_name"] for j in everyone["items"]] == ["b.csv", "theirs.csv", "a.csv"]
    assert as_owner.get("/imports?cursor=bogus").status_code == 400


def test_settings_change_the_mapping_and_choices(as_owner: ApiClient) -> None:
    job_id = upload(as_owner).json()["id"]
    response = put_settings(
        as_owner,
        job_id,
        {
            "mapping": ["first_name", "last_name", "email", None],
            "duplicates": "error",
            "whole_file": True,
            "day_first": False,
            "save_as": "Monthly export",
        },
    )
    assert response.status_code == 200
    job = response.json()
    assert job["mapping"] == ["first_name", "last_name", "email", None]
    assert (job["duplicates"], job["whole_file"], job["day_first"], job["mode"]) == (
        "error",
        True,
        False,
        "create",
    )
    # A second file with the same columns gets the saved mapping.
    assert upload(as_owner).json()["mapping"] == ["first_name", "last_name", "email", None]


def test_bad_settings_are_a_400_naming_each_field_and_change_nothing(as_owner: ApiClient) -> None:
    job_id = upload(as_owner).json()["id"]
    response = put_settings(
        as_owner,
        job_id,
        {
            "mapping": ["shoe_size", None, None, None],
            "duplicates": "maybe",
            "default_country": "XX",
        },
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["mapping"][0] == "“shoe_size” is not a field that can be imported."
    assert fields["duplicates"] == ["Choose one of the offered values."]
    assert fields["default_country"] == ["Choose a country."]
    short = put_settings(as_owner, job_id, {"mapping": ["first_name"]})
    assert short.json()["fields"] == {"mapping": ["Choose a field (or none) for every column."]}
    job = ImportJob.objects.get()
    assert (job.mapping, job.duplicates) == (["first_name", "last_name", "email", "city"], "skip")


def test_check_then_start_then_undo(as_owner: ApiClient) -> None:
    job_id = upload(as_owner).json()["id"]
    checking = as_owner.post(f"/imports/{job_id}/check")
    assert (checking.status_code, checking.json()["status"]) == (202, "checking")
    import_check_run(job_id)
    checked = as_owner.get(f"/imports/{job_id}").json()
    assert checked["status"] == "checked"
    assert checked["check_summary"] == {
        "rows": 3, "created": 2, "updated": 0, "skipped": 0, "failed": 1, "companies": 0,
    }  # fmt: skip
    assert Contact.objects.count() == 0
    check_problems = as_owner.get(f"/imports/{job_id}/problems?run=check").json()["items"]
    assert [(p["row"], p["field"], p["code"]) for p in check_problems] == [
        (4, "Email", "invalid_email")
    ]
    assert as_owner.get(f"/imports/{job_id}/problems").json()["items"] == []

    started = as_owner.post(f"/imports/{job_id}/start")
    assert (started.status_code, started.json()["status"]) == (202, "queued")
    import_run(job_id)
    done = as_owner.get(f"/imports/{job_id}").json()
    assert (done["status"], done["created_count"], done["failed_count"], done["percent"]) == (
        "completed",
        2,
        1,
        100,
    )
    assert done["finished_at"] is not None
    assert as_owner.post(f"/imports/{job_id}/start").status_code == 400

    undoing = as_owner.post(f"/imports/{job_id}/undo")
    assert (undoing.status_code, undoing.json()["status"]) == (202, "undoing")
    import_undo_run(job_id)
    undone = as_owner.get(f"/imports/{job_id}").json()
    assert (undone["status"], undone["undone_at"] is not None) == ("undone", True)
    assert Contact.objects.count() == 0


def test_an_unfinished_import_cannot_be_undone(as_owner: ApiClient) -> None:
    job_id = upload(as_owner).json()["id"]
    response = as_owner.post(f"/imports/{job_id}/undo")
    assert response.status_code == 400
    assert response.json()["message"] == "This import cannot do that now."
    assert ImportJob.objects.get().status == "new"


def test_problems_come_a_hundred_a_page_in_the_requests_language(as_owner: ApiClient) -> None:
    rows = "".join(f"P{i},bad{i}\n" for i in range(150))
    job_id = upload(as_owner, "Name,Email\n" + rows).json()["id"]
    as_owner.post(f"/imports/{job_id}/start")
    import_run(job_id)
    first = as_owner.get(f"/imports/{job_id}/problems").json()
    assert len(first["items"]) == 100
    assert first["items"][0] == {
        "row": 2,
        "field": "Email",
        "code": "invalid_email",
        "level": "error",
        "message": "“bad0” is not a valid email address.",
    }
    second = as_owner.get(f"/imports/{job_id}/problems?cursor={first['next_cursor']}").json()
    assert [p["row"] for p in second["items"]] == list(range(102, 152))
    assert second["next_cursor"] is None
    hindi = as_owner.get(f"/imports/{job_id}/problems", **{"Accept-Language": "hi"}).json()
    stored = ImportProblem.objects.filter(job_id=job_id).order_by("id").first()
    assert stored is not None
    assert hindi["items"][0]["message"] == stored.messages["hi"]
    assert hindi["items"][0]["message"] != first["items"][0]["message"]


def test_problems_reject_an_unknown_run(as_owner: ApiClient) -> None:
    job_id = upload(as_owner).json()["id"]
    response = as_owner.get(f"/imports/{job_id}/problems?run=later")
    assert response.status_code == 400
    assert response.json()["fields"] == {"run": ["Choose one of the offered values."]}


def test_a_retried_upload_with_an_idempotency_key_makes_one_job(as_owner: ApiClient) -> None:
    first = upload(as_owner, **{"Idempotency-Key": "upload-1"})
    again = upload(as_owner, **{"Idempotency-Key": "upload-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.count() == 1
    other_file = upload(
        as_owner, CSV + "New,One,new@example.in,\n", **{"Idempotency-Key": "upload-1"}
    )
    assert other_file.status_code == 422
    assert ImportJob.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_the_list_costs_the_same_queries_for_one_job_or_many(as_owner: ApiClient) -> None:
    upload(as_owner)
    as_owner.get("/imports")  # warm: the first request loads the URL configuration
    with CaptureQueriesContext(connection) as one:
        assert len(as_owner.get("/imports").json()["items"]) == 1
    for _ in range(4):
        upload(as_owner)
    with CaptureQueriesContext(connection) as five:
        assert len(as_owner.get("/imports").json()["items"]) == 5
    assert len(five) == len(one)
