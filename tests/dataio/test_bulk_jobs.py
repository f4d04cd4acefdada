"""Bulk jobs: JSON records loaded asynchronously as an import, end to end over the API, with
the worker played by calling ``import_run`` as the task would."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sambandh.contacts.models import Account, Contact
from sambandh.core.models import AuditEntry, IdempotencyRecord, User
from sambandh.core.services import custom_field_create
from sambandh.dataio.bulk import BULK_MAX, bulk_job_create
from sambandh.dataio.models import ImportJob, ImportStatus
from sambandh.dataio.services import import_run, import_undo_run, job_path
from tests.api.conftest import ApiClient, client_for
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def as_owner(owner: User) -> ApiClient:
    return client_for(owner)


RECORDS = [
    {
        "first_name": "Asha",
        "last_name": "Rao",
        "email": "ASHA@example.in",
        "phone": "98765 43210",
        "tags": ["vip", "hindi"],
        "other_emails": ["asha.rao@example.com"],
        "account_name": "Acme Pvt Ltd",
        "city": "Pune",
    },
    {"first_name": "Ravi", "email": "ravi@example.in", "do_not_contact": True, "city": None},
    {"first_name": "Bad", "email": "not-an-email"},
]


def _post(client: ApiClient, path: str = "/contacts/bulk-jobs", **body: Any) -> Any:
    return client.post(path, body)


def test_records_are_queued_as_an_import_and_written_by_the_worker(
    as_owner: ApiClient, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as queued:
        response = _post(as_owner, records=RECORDS)
    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == f"/api/v1/imports/{body['id']}"
    assert (body["status"], body["object_type"], body["file_name"]) == (
        "queued",
        "contact",
        "bulk-contacts.csv",
    )
    assert body["headers"] == body["mapping"] == [
        "first_name", "last_name", "email", "phone", "tags", "other_emails", "account_name",
        "city", "do_not_contact",
    ]  # fmt: skip
    assert len(queued) == 1  # the worker is woken once the job is committed
    assert Contact.objects.count() == 0

    import_run(body["id"])
    job = as_owner.get(f"/imports/{body['id']}").json()
    assert job["status"] == "completed"
    assert (job["created_count"], job["failed_count"], job["percent"]) == (2, 1, 100)
    asha = Contact.objects.get(first_name="Asha")
    assert (asha.email, asha.phone, asha.city, asha.other_emails) == (
        "asha@example.in", "+919876543210", "Pune", ["asha.rao@example.com"],
    )  # fmt: skip
    assert sorted(t.name for t in asha.tags.all()) == ["hindi", "vip"]
    assert asha.account is not None and asha.account.name == "Acme Pvt Ltd"
    ravi = Contact.objects.get(first_name="Ravi")
    assert (ravi.do_not_contact, ravi.city) == (True, "")
    assert asha.owner_id == ravi.owner_id == owner.pk


def test_a_bad_record_is_reported_at_its_row(as_owner: ApiClient) -> None:
    job_id = _post(as_owner, records=RECORDS).json()["id"]
    import_run(job_id)
    problems = as_owner.get(f"/imports/{job_id}/problems").json()
    # Record 2 (0-based) is row 4: the header is row 1.
    assert problems == {
        "items": [
            {
                "row": 4,
                "field": "email",
                "code": "invalid_email",
                "level": "error",
                "message": "“not-an-email” is not a valid email address.",
            }
        ],
        "next_cursor": None,
    }
    assert not Contact.objects.filter(first_name="Bad").exists()


def test_undo_removes_what_a_bulk_job_created(as_owner: ApiClient) -> None:
    job_id = _post(as_owner, records=RECORDS[:2]).json()["id"]
    import_run(job_id)
    assert Contact.objects.count() == 2
    response = as_owner.post(f"/imports/{job_id}/undo")
    assert (response.status_code, response.json()["status"]) == (202, "undoing")
    import_undo_run(job_id)
    assert as_owner.get(f"/imports/{job_id}").json()["status"] == "undone"
    assert Contact.objects.count() == Account.objects.count() == 0


def test_all_or_nothing_writes_nothing_when_a_record_is_bad(as_owner: ApiClient) -> None:
    job_id = _post(as_owner, records=RECORDS, all_or_nothing=True).json()["id"]
    import_run(job_id)
    job = as_owner.get(f"/imports/{job_id}").json()
    assert (job["status"], job["whole_file"], job["check_summary"]["failed"]) == (
        "failed",
        True,
        1,
    )
    assert Contact.objects.count() == 0


def test_upsert_by_email_updates_and_creates(admin: User) -> None:
    as_admin = client_for(admin)
    job_id = _post(as_admin, records=[{"first_name": "Old", "email": "asha@example.in"}]).json()[
        "id"
    ]
    import_run(job_id)
    records = [
        {"email": "asha@example.in", "last_name": "Rao"},
        {"email": "new@example.in", "first_name": "New"},
    ]
    body = _post(as_admin, records=records, mode="upsert", match_on="email").json()
    assert (body["mode"], body["match_on"]) == ("upsert", "email")
    import_run(body["id"])
    asha = Contact.objects.get(email="asha@example.in")
    assert (asha.first_name, asha.last_name) == ("Old", "Rao")
    assert Contact.objects.filter(email="new@example.in").exists()


def test_companies_load_with_custom_fields(admin: User) -> None:
    custom_field_create(
        actor=admin,
        data={"object_type": "account", "key": "tier", "label_en": "Tier", "field_type": "text"},
    )
    group = make_account(admin, name="Acme Group")
    records = [
        {"name": "Acme Retail", "domain": "retail.acme.in", "cf.tier": "gold"},
        {"name": "Acme Foods", "parent": "Acme Group", "annual_revenue": 1250000.5},
    ]
    body = _post(client_for(admin), "/accounts/bulk-jobs", records=records).json()
    assert body["object_type"] == "account"
    import_run(body["id"])
    retail = Account.objects.get(name="Acme Retail")
    foods = Account.objects.get(name="Acme Foods")
    assert (retail.domain, retail.custom) == ("retail.acme.in", {"tier": "gold"})
    assert foods.parent_id == group.pk
    assert str(foods.annual_revenue) == "1250000.50"


def test_unknown_keys_are_a_400_naming_them(as_owner: ApiClient) -> None:
    response = _post(
        as_owner, records=[{"first_name": "A", "shoe_size": 42}, {"hobby": "x", "email": "a@b.in"}]
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"records": ["Unknown fields: shoe_size, hobby."]}
    assert ImportJob.objects.count() == 0


def test_values_that_cannot_be_cells_are_a_400_at_their_record(as_owner: ApiClient) -> None:
    response = _post(
        as_owner,
        records=[
            {"first_name": "A", "email": ["a@b.in"]},
            {"first_name": "B", "tags": ["one;two"]},
            {"first_name": "C", "city": {"name": "Pune"}},
        ],
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "records.0.email": ["Enter text, a number, true or false."],
        "records.1.tags": ["Enter a list of texts without “;”."],
        "records.2.city": ["Enter text, a number, true or false."],
    }
    assert ImportJob.objects.count() == 0


def test_records_without_a_name_or_email_are_refused(as_owner: ApiClient) -> None:
    response = _post(as_owner, records=[{"city": "Pune"}])
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "records": ["Give each record a name or an email, so that it can be recognised."]
    }


def test_an_empty_list_and_a_bad_mode_are_refused(as_owner: ApiClient) -> None:
    empty = _post(as_owner, records=[])
    assert empty.json()["fields"] == {"records": ["Send at least one record."]}
    bad_mode = _post(as_owner, records=[{"first_name": "A"}], mode="merge")
    assert bad_mode.status_code == 400
    assert bad_mode.json()["fields"]["mode"] == ["Choose one of the offered values."]
    assert ImportJob.objects.count() == 0


def test_too_many_records_are_a_400(owner: User) -> None:
    from sambandh.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        bulk_job_create(
            actor=owner,
            object_type="contact",
            records=[{"first_name": "A"}] * (BULK_MAX + 1),
        )
    assert caught.value.fields == {"records": ["Send at most 100,000 records in one job."]}
    assert ImportJob.objects.count() == 0


def test_a_body_over_the_bulk_limit_is_a_413(as_owner: ApiClient) -> None:
    from sambandh.dataio import api as dataio_api

    response = as_owner.client.post(
        "/api/v1/contacts/bulk-jobs",
        data=b"x",
        content_type="application/json",
        headers=as_owner.headers,
        CONTENT_LENGTH=str(dataio_api.BULK_MAX_BODY_BYTES + 1),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_body_larger_than_djangos_limit_is_accepted(as_owner: ApiClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    records = [{"first_name": f"Person {i}", "email": f"p{i}@example.in"} for i in range(100)]
    response = _post(as_owner, records=records)
    assert response.status_code == 202
    import_run(response.json()["id"])
    assert Contact.objects.count() == 100


def test_malformed_json_is_a_400(as_owner: ApiClient) -> None:
    response = as_owner.post("/contacts/bulk-jobs", "{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    schema = as_owner.post("/contacts/bulk-jobs", {"records": "nope", "extra": 1})
    assert schema.status_code == 400
    assert set(schema.json()["fields"]) == {"records", "extra"}


def test_a_reader_may_not_load_and_nothing_is_kept(reader: User, settings: Any) -> None:
    response = _post(client_for(reader), records=[{"first_name": "A"}])
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0
    assert not (settings.DATA_DIR / "imports").exists() or not any(
        (settings.DATA_DIR / "imports").iterdir()
    )


def test_a_marketer_may_not_load_companies(marketer: User) -> None:
    # A marketer creates contacts, not companies.
    response = _post(client_for(marketer), "/accounts/bulk-jobs", records=[{"name": "X"}])
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_a_refused_configuration_leaves_no_job_and_no_file(owner: User, settings: Any) -> None:
    from sambandh.core.errors import ValidationError

    with pytest.raises(ValidationError):
        bulk_job_create(
            actor=owner, object_type="contact", records=[{"first_name": "A"}], match_on="phone"
        )
    assert ImportJob.objects.count() == 0
    assert list((settings.DATA_DIR / "imports").iterdir()) == []


def test_the_file_is_utf8_csv_with_lists_joined(owner: User) -> None:
    job = bulk_job_create(
        actor=owner,
        object_type="contact",
        records=[
            {"full_name": "अनीता शर्मा", "tags": ["ग्राहक", "vip"]},
            {"email": "x@y.in", "note": "line one\nline two; with a semicolon"},
        ],
    )
    rows = list(csv.reader(io.StringIO(job_path(job).read_text(encoding="utf-8"))))
    assert rows == [
        ["full_name", "tags", "email", "note"],
        ["अनीता शर्मा", "ग्राहक; vip", "", ""],
        ["", "", "x@y.in", "line one\nline two; with a semicolon"],
    ]
    assert (job.status, job.encoding, job.file_format) == (ImportStatus.QUEUED, "utf-8", "csv")
    import_run(job.pk)
    anita = Contact.objects.get(first_name="अनीता")
    assert sorted(t.name for t in anita.tags.all()) == ["vip", "ग्राहक"]


def test_a_repeat_with_an_idempotency_key_queues_one_job(as_owner: ApiClient) -> None:
    headers = {"Idempotency-Key": "bulk-1"}
    first = as_owner.post("/contacts/bulk-jobs", {"records": RECORDS}, **headers)
    audit = AuditEntry.objects.count()
    again = as_owner.post("/contacts/bulk-jobs", {"records": RECORDS}, **headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert ImportJob.objects.count() == 1
    assert AuditEntry.objects.count() == audit
    assert IdempotencyRecord.objects.get().status_code == 202
