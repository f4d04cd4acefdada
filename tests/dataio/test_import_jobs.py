"""Import jobs end to end through the services and the task bodies: upload, mapping, check,
run, resume and undo, on contacts and companies."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.contacts.services import contact_create
from sambandh.core.errors import NotFound, ValidationError
from sambandh.core.models import AuditEntry, OutboxEvent, User
from sambandh.core.search import matching_ids
from sambandh.dataio.models import ImportChange, ImportJob, ImportStatus
from sambandh.dataio.services import (
    import_check_run,
    import_job_check,
    import_job_configure,
    import_job_create,
    import_job_get,
    import_job_start,
    import_job_undo,
    import_run,
    import_undo_run,
    imports_resume,
)

pytestmark = pytest.mark.django_db

CSV = (
    "First Name,Last Name,Email,Phone,Country,Company,Contact owner,Tags,Birthday,Notes\n"
    "Asha,Rao,ASHA@Example.IN,98765 43210,भारत,Acme Pvt Ltd,OWNER,vip; hindi,31/12/1990,Met at expo\n"
    "Ravi,Kumar,ravi@example.in,,India,acme pvt ltd,,,,\n"
    "Bad,Email,not-an-email,,,,,,,\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def upload(
    actor: User, text: str, *, object_type: str = "contact", name: str = "people.csv"
) -> ImportJob:
    return import_job_create(
        actor=actor, object_type=object_type, upload=io.BytesIO(text.encode()), filename=name
    )


def run(actor: User, text: str, **config: Any) -> ImportJob:
    job = upload(actor, text, object_type=config.pop("object_type", "contact"))
    job = import_job_configure(
        actor=actor, job=job, mapping=config.pop("mapping", job.mapping), **config
    )
    import_job_start(actor=actor, job=job)
    import_run(job.pk)
    job.refresh_from_db()
    return job


def test_upload_proposes_a_mapping_from_the_headers(owner: User) -> None:
    job = upload(owner, CSV)
    assert job.status == ImportStatus.NEW
    assert job.headers[:3] == ["First Name", "Last Name", "Email"]
    assert job.mapping == [
        "first_name", "last_name", "email", "phone", "country", "account_name", "owner",
        "tags", "birthday", "note",
    ]  # fmt: skip


def test_an_import_creates_contacts_with_normalised_values_and_related_records(owner: User) -> None:
    owner.email = "owner@example.com"
    owner.save()
    job = run(owner, CSV)
    assert job.status == ImportStatus.COMPLETED
    assert (job.created_count, job.updated_count, job.skipped_count, job.failed_count) == (
        2,
        0,
        0,
        1,
    )
    asha = Contact.objects.get(first_name="Asha")
    assert (asha.email, asha.phone, asha.country, asha.birthday) == (
        "asha@example.in", "+919876543210", "IN", date(1990, 12, 31),
    )  # fmt: skip
    assert asha.owner_id == owner.pk
    assert sorted(t.name for t in asha.tags.all()) == ["hindi", "vip"]
    assert Note.objects.get(contact=asha).body == "Met at expo"
    # Both rows name the same company, in different case: one company is created.
    ravi = Contact.objects.get(first_name="Ravi")
    assert Account.objects.count() == 1
    assert asha.account_id == ravi.account_id == Account.objects.get().pk
    assert matching_ids("contact", "asha", limit=5) == [asha.pk]
    # One audit entry for the chunk, one event per record.
    entry = AuditEntry.objects.get(action="import")
    assert entry.changes["created"] == [asha.pk, ravi.pk]
    assert entry.changes["rows"] == [2, 4]
    assert OutboxEvent.objects.filter(name="contact.created").count() == 2
    assert OutboxEvent.objects.filter(name="account.created").count() == 1


def test_a_bad_row_is_reported_in_both_languages_and_the_others_are_written(owner: User) -> None:
    job = run(owner, CSV)
    problem = job.problems.get(from_check=False, level="error")
    assert (problem.row, problem.field, problem.code) == (4, "Email", "invalid_email")
    assert problem.messages["en"] == "“not-an-email” is not a valid email address."
    assert (
        "not-an-email" in problem.messages["hi"]
        and problem.messages["hi"] != problem.messages["en"]
    )
    assert not Contact.objects.filter(first_name="Bad").exists()


def test_whole_file_or_nothing_writes_nothing_when_a_row_is_bad(owner: User) -> None:
    job = run(owner, CSV, whole_file=True)
    assert job.status == ImportStatus.FAILED
    assert job.check_summary["failed"] == 1
    assert "nothing was imported" in job.error
    assert Contact.objects.count() == 0 and Account.objects.count() == 0
    assert job.problems.filter(from_check=True, row=4).exists()


def test_whole_file_imports_everything_when_every_row_is_good(owner: User) -> None:
    job = run(owner, CSV.rsplit("Bad,", 1)[0], whole_file=True)
    assert job.status == ImportStatus.COMPLETED
    assert Contact.objects.count() == 2


def test_the_check_counts_without_writing(owner: User) -> None:
    job = upload(owner, CSV)
    import_job_check(actor=owner, job=job)
    import_check_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert job.check_summary == {
        "rows": 3, "created": 2, "updated": 0, "skipped": 0, "failed": 1, "companies": 1,
    }  # fmt: skip
    assert (
        Contact.objects.count() == 0 and Account.objects.count() == 0 and Tag.objects.count() == 0
    )
    assert job.problems.filter(from_check=True).count() == 1


def test_create_mode_skips_a_contact_that_exists_and_a_repeated_row(owner: User) -> None:
    contact_create(actor=owner, data={"first_name": "Old", "email": "asha@example.in"})
    text = (
        "Name,Email\nAsha Rao,asha@example.in\nNew One,new@example.in\nNew Again,NEW@example.in\n"
    )
    job = run(owner, text)
    assert (job.created_count, job.skipped_count, job.failed_count) == (1, 2, 0)
    assert Contact.objects.filter(email="asha@example.in").get().first_name == "Old"
    codes = list(job.problems.values_list("row", "code", "level"))
    assert codes == [(2, "duplicate", "warning"), (4, "duplicate", "warning")]


def test_create_mode_can_report_duplicates_as_errors(owner: User) -> None:
    contact_create(actor=owner, data={"first_name": "Old", "email": "asha@example.in"})
    job = run(owner, "Name,Email\nAsha Rao,asha@example.in\n", duplicates="error")
    assert (job.created_count, job.failed_count) == (0, 1)


def test_upsert_updates_by_email_keeps_blank_cells_and_undo_restores(owner: User) -> None:
    old = contact_create(
        actor=owner,
        data={"first_name": "Asha", "last_name": "R", "email": "asha@example.in", "city": "Pune"},
    )
    text = "First Name,Last Name,Email,City\nAsha,Rao,asha@example.in,\nNew,Person,new@example.in,Delhi\n"
    job = run(owner, text, mode="upsert")
    assert (job.created_count, job.updated_count) == (1, 1)
    old.refresh_from_db()
    assert (old.last_name, old.city, old.version) == ("Rao", "Pune", 2)
    import_job_undo(actor=owner, job=job)
    import_undo_run(job.pk)
    job.refresh_from_db()
    old.refresh_from_db()
    assert job.status == ImportStatus.UNDONE
    assert (old.last_name, old.city) == ("R", "Pune")
    assert list(Contact.objects.values_list("email", flat=True)) == ["asha@example.in"]
    assert ImportChange.objects.filter(job=job).count() == 0
    assert AuditEntry.objects.filter(action="import_undo").count() == 1


@pytest.mark.parametrize("mode", ["upsert", "update"])
def test_two_rows_for_one_existing_record_make_one_update_the_later_row_winning(
    owner: User, mode: str
) -> None:
    old = contact_create(
        actor=owner,
        data={"first_name": "Asha", "last_name": "R", "email": "asha@example.in", "city": "Pune"},
    )
    text = (
        "First Name,Last Name,Email,City,Job Title,Tags\n"
        "Asha,Rao,asha@example.in,Delhi,,vip\n"
        ",,ASHA@example.in,Mumbai,Buyer,partner\n"
    )
    job = run(owner, text, mode=mode)
    assert (job.status, job.updated_count, job.failed_count) == (ImportStatus.COMPLETED, 2, 0)
    old.refresh_from_db()
    # The later row's city wins; the earlier row's name and the later row's job title both
    # land; both rows' tags; one new version.
    assert (old.last_name, old.city, old.job_title, old.version) == ("Rao", "Mumbai", "Buyer", 2)
    assert sorted(old.tags.values_list("name", flat=True)) == ["partner", "vip"]
    assert matching_ids("contact", "Mumbai", limit=5) == [old.pk]
    assert Contact.objects.count() == 1
    # Undo restores the record as it was before the import.
    import_job_undo(actor=owner, job=job)
    import_undo_run(job.pk)
    old.refresh_from_db()
    assert (old.last_name, old.city, old.job_title) == ("R", "Pune", "")


def _tagged_upsert_queries(owner: User, count: int) -> tuple[int, list[list[str]]]:
    """Queries of an upsert that tags ``count`` existing contacts (each already has "vip"),
    and each contact's tags after it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    vip = Tag.objects.get_or_create(name="vip")[0]
    Tag.objects.get_or_create(name="partner")  # both runs find their tags: no creation
    people = []
    for n in range(count):
        person = contact_create(actor=owner, data={"first_name": f"P{n}", "email": f"p{n}@ex.in"})
        person.tags.add(vip)
        people.append(person)
    lines = [f"p{n}@ex.in,vip;partner" for n in range(count)]
    job = upload(owner, "Email,Tags\n" + "\n".join(lines) + "\n")
    job = import_job_configure(actor=owner, job=job, mapping=job.mapping, mode="upsert")
    import_job_start(actor=owner, job=job)
    with CaptureQueriesContext(connection) as queries:
        import_run(job.pk)
    job.refresh_from_db()
    assert (job.updated_count, job.failed_count) == (count, 0)
    tags = [sorted(p.tags.values_list("name", flat=True)) for p in people]
    Contact.objects.filter(pk__in=[p.pk for p in people]).delete()
    return len(queries), tags


def test_updating_tags_adds_only_the_missing_ones_in_queries_that_do_not_grow(
    owner: User,
) -> None:
    few, few_tags = _tagged_upsert_queries(owner, 2)
    many, many_tags = _tagged_upsert_queries(owner, 12)
    assert few_tags == [["partner", "vip"]] * 2
    assert many_tags == [["partner", "vip"]] * 12
    assert many == few


def test_an_update_rewrites_the_search_text_only_when_the_text_changes(owner: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    old = contact_create(
        actor=owner, data={"first_name": "Asha", "email": "asha@example.in", "city": "Pune"}
    )
    with CaptureQueriesContext(connection) as queries:
        job = run(owner, "Email,Lifecycle Stage\nasha@example.in,customer\n", mode="upsert")
    old.refresh_from_db()
    stage = old.lifecycle_stage.key if old.lifecycle_stage else None
    assert (job.updated_count, stage, old.version) == (1, "customer", 2)
    # The stage is not in the search text: the record's document is left as it was.
    assert [q["sql"] for q in queries.captured_queries if "core_search" in q["sql"]] == []
    assert matching_ids("contact", "Pune", limit=5) == [old.pk]

    with CaptureQueriesContext(connection) as queries:
        run(owner, "Email,City\nasha@example.in,Nagpur\n", mode="upsert")
    assert [q for q in queries.captured_queries if "core_search" in q["sql"]] != []
    assert matching_ids("contact", "Nagpur", limit=5) == [old.pk]
    assert matching_ids("contact", "Pune", limit=5) == []


def test_update_mode_reports_rows_with_no_record(owner: User) -> None:
    text = "Email,City\nnobody@example.in,Pune\n"
    job = run(owner, text, mode="update")
    assert (job.updated_count, job.failed_count) == (0, 1)
    assert job.problems.get().code == "not_found"


def test_undo_removes_what_the_import_created_with_its_companies_and_notes(owner: User) -> None:
    job = run(owner, CSV)
    import_job_undo(actor=owner, job=job)
    import_undo_run(job.pk)
    assert Contact.objects.count() == Account.objects.count() == Note.objects.count() == 0
    assert matching_ids("contact", "asha", limit=5) == []


def test_a_killed_worker_is_resumed_from_its_checkpoint_without_duplicates(owner: User) -> None:
    rows = "".join(f"Person{i},p{i}@example.in\n" for i in range(2500))
    job = upload(owner, "Name,Email\n" + rows)
    job = import_job_start(actor=owner, job=job)
    # The state a worker killed after its first chunk leaves: that chunk committed with the
    # checkpoint, the job still RUNNING under the dead worker's token, its heartbeat old.
    from sambandh.dataio import services

    claimed = services._claim(job.pk, (ImportStatus.QUEUED,))
    assert claimed is not None
    from sambandh.dataio.engine import Importer

    first_run = Importer(claimed[0], owner, write=True)
    with services._open(claimed[0]) as table:
        chunk = next(services._chunks(table.rows(), 0))
    first_run.chunk(chunk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        processed_row=chunk[-1].number,
        processed_count=len(chunk),
        created_count=len(chunk),
        total_rows=2500,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    # A second worker woken while the first seemed alive would do nothing:
    assert imports_resume() == [job.pk]
    import_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    assert (job.processed_count, job.created_count) == (2500, 2500)
    assert Contact.objects.count() == 2500
    assert Contact.objects.values("email").distinct().count() == 2500


@pytest.mark.parametrize(
    ("most_rows", "most_seconds", "checkpoints"),
    [
        (2000, 60.0, [2000, 4000, 4500]),  # two chunks of 1,000 rows to a transaction
        (2000, 0.0, [1000, 2000, 3000, 4000, 4500]),  # out of time after every chunk
        (1, 60.0, [1000, 2000, 3000, 4000, 4500]),
    ],
)
def test_chunks_are_committed_in_transactions_with_the_checkpoint(
    owner: User, settings: Any, most_rows: int, most_seconds: float, checkpoints: list[int]
) -> None:
    from django.db.models.signals import post_save

    settings.SAMBANDH_IMPORT_TRANSACTION_ROWS = most_rows
    settings.SAMBANDH_IMPORT_TRANSACTION_SECONDS = most_seconds
    saved: list[int] = []

    def checkpoint(sender: Any, instance: ImportJob, **kwargs: Any) -> None:
        if instance.status == ImportStatus.RUNNING and instance.processed_count:
            saved.append(instance.processed_count)

    post_save.connect(checkpoint, sender=ImportJob)
    try:
        rows = "".join(f"Person{i},p{i}@example.in\n" for i in range(4500))
        job = run(owner, "Name,Email\n" + rows)
    finally:
        post_save.disconnect(checkpoint, sender=ImportJob)
    assert saved == checkpoints
    assert (job.status, job.processed_count, job.created_count) == (
        ImportStatus.COMPLETED,
        4500,
        4500,
    )
    assert Contact.objects.count() == 4500


def test_search_documents_are_written_once_a_transaction_and_no_chunk_takes_a_savepoint(
    owner: User, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SAMBANDH_IMPORT_TRANSACTION_ROWS = 50_000
    settings.SAMBANDH_IMPORT_TRANSACTION_SECONDS = 60.0
    runs = []
    for prefix, count in (("one", 1000), ("five", 4500)):  # one chunk; five chunks
        # A company a row: each chunk makes companies, whose documents sort below its contacts'.
        rows = "".join(
            f"{prefix}{i},{prefix}{i}@example.in,Firm{prefix}{i}\n" for i in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            job = run(owner, "Name,Email,Company\n" + rows)
        assert (job.status, job.created_count) == (ImportStatus.COMPLETED, count)
        runs.append([q["sql"] for q in queries.captured_queries])
    # A savepoint makes SQLite's search index write its pending changes out as a segment:
    # the chunks take none (the services around them do, as many for one chunk as for five).
    savepoints = [len([s for s in r if s.upper().startswith("SAVEPOINT")]) for r in runs]
    assert savepoints[0] == savepoints[1]
    if connection.vendor == "sqlite":  # (PostgreSQL's COPY does not pass the query log)
        inserts = [s for s in runs[1] if 'INSERT INTO "core_search_fts"' in s]
        assert len(inserts) == 1  # the five chunks' contacts and companies, in one statement
    assert matching_ids("contact", "five4499", limit=5) == [
        Contact.objects.get(email="five4499@example.in").pk
    ]
    assert matching_ids("account", "Firmfive4499", limit=5) == [
        Account.objects.get(name="Firmfive4499").pk
    ]


def test_a_row_that_updates_a_contact_made_earlier_in_its_transaction_indexes_its_last_text(
    owner: User, settings: Any
) -> None:
    settings.SAMBANDH_IMPORT_TRANSACTION_ROWS = 50_000
    rows = [f"Person{i},p{i}@example.in,Pune" for i in range(1500)]
    rows[1200] = "Renamed,p5@example.in,Nagpur"  # the second chunk updates row 5's contact
    job = run(owner, "Name,Email,City\n" + "\n".join(rows) + "\n", mode="upsert")
    assert (job.status, job.created_count, job.updated_count) == (
        ImportStatus.COMPLETED,
        1499,
        1,
    )
    renamed = Contact.objects.get(email="p5@example.in")
    assert (renamed.first_name, renamed.city) == ("Renamed", "Nagpur")
    assert matching_ids("contact", "Nagpur", limit=5) == [renamed.pk]
    assert renamed.pk not in (matching_ids("contact", "Pune", limit=2000) or [])


def test_an_import_that_grows_a_table_refreshes_the_planners_statistics_of_it(
    owner: User, settings: Any
) -> None:
    """Without statistics PostgreSQL matched each chunk's emails by scanning the whole table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SAMBANDH_IMPORT_TRANSACTION_ROWS = 1000
    settings.SAMBANDH_ANALYZE_MIN_ROWS = 500
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "contacts_contact"')  # empty: its statistics count 0 rows
    rows = "".join(f"Person{i},p{i}@example.in\n" for i in range(4500))
    with CaptureQueriesContext(connection) as queries:
        job = run(owner, "Name,Email\n" + rows)
    assert (job.status, job.created_count) == (ImportStatus.COMPLETED, 4500)
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "sqlite":
        assert analyzed == []  # its planner takes the index without statistics
        return
    # Transactions of 1,000 rows: analyzed after 1,000 (of 0 counted), 2,000 and 3,000; not
    # after 4,000 (1,000 written is less than half of 3,000); again after the last 500.
    assert analyzed == ['ANALYZE "contacts_contact"'] * 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'contacts_contact'")
        assert cursor.fetchone()[0] == 4500  # the transaction's own new rows counted


def test_a_live_worker_keeps_its_job(owner: User) -> None:
    job = upload(owner, "Name\nA\n")
    import_job_start(actor=owner, job=job)
    from sambandh.dataio import services

    assert services._claim(job.pk, (ImportStatus.QUEUED,)) is not None
    assert import_run(job.pk) is None  # claimed a moment ago by another worker
    assert Contact.objects.count() == 0


def test_another_users_import_does_not_exist_for_them(owner: User, outsider: User) -> None:
    job = upload(owner, CSV)
    with pytest.raises(NotFound):
        import_job_get(actor=outsider, pk=job.pk)
    with pytest.raises(NotFound):
        import_job_start(actor=outsider, job=job)


def test_a_reader_may_not_import(reader: User) -> None:
    with pytest.raises(Exception) as caught:
        upload(reader, CSV)
    assert caught.type.__name__ == "PermissionDenied"
    assert ImportJob.objects.count() == 0


def test_a_mapping_without_a_name_or_email_is_refused(owner: User) -> None:
    job = upload(owner, CSV)
    with pytest.raises(ValidationError) as caught:
        import_job_configure(actor=owner, job=job, mapping=[None] * 3 + ["phone"] + [None] * 6)
    assert "mapping" in caught.value.fields
    job.refresh_from_db()
    assert job.mapping[0] == "first_name"


def test_companies_import_by_domain_with_parent_by_name(owner: User) -> None:
    text = "Company,Domain,Parent company\nAcme Group,acme.in,\nAcme Retail,retail.acme.in,Acme Group\n"
    first = run(
        owner, text.split("\n", 2)[0] + "\n" + text.split("\n")[1] + "\n", object_type="account"
    )
    assert first.created_count == 1
    job = run(owner, text, object_type="account", mode="upsert", match_on="domain")
    assert (job.created_count, job.updated_count) == (1, 1)
    retail = Account.objects.get(name="Acme Retail")
    assert retail.parent_id == Account.objects.get(name="Acme Group").pk


def test_a_failed_row_keeps_its_cells_and_can_be_fixed_into_the_same_import(owner: User) -> None:
    from sambandh.dataio.services import import_job_fix_row

    job = run(owner, CSV)
    problem = job.problems.get(row=4)
    assert problem.cells == ["Bad", "Email", "not-an-email", "", "", "", "", "", "", ""]
    cells = list(problem.cells)
    with pytest.raises(ValidationError) as caught:
        import_job_fix_row(actor=owner, job=job, row=4, cells=cells)
    assert caught.value.fields == {"Email": ["“not-an-email” is not a valid email address."]}
    assert Contact.objects.count() == 2
    cells[2] = "bad@example.in"
    import_job_fix_row(actor=owner, job=job, row=4, cells=cells)
    job.refresh_from_db()
    assert (job.created_count, job.failed_count) == (3, 0)
    assert not job.problems.filter(row=4).exists()
    fixed = Contact.objects.get(email="bad@example.in")
    # The fixed row belongs to the import: undo removes it too.
    import_job_undo(actor=owner, job=job)
    import_undo_run(job.pk)
    assert not Contact.objects.filter(pk=fixed.pk).exists()


def test_a_row_that_did_not_fail_cannot_be_fixed(owner: User) -> None:
    from sambandh.dataio.services import import_job_fix_row

    job = run(owner, CSV)
    with pytest.raises(NotFound):
        import_job_fix_row(actor=owner, job=job, row=2, cells=[""] * 10)


def test_a_big_file_is_read_by_a_second_process_with_the_same_result(
    owner: User, settings: Any
) -> None:
    settings.SAMBANDH_IMPORT_PIPELINE_MIN_ROWS = 1000
    settings.SAMBANDH_IMPORT_PIPELINE_HEAD_CHUNKS = 0  # every chunk from the second process
    rows = "".join(f"Person{i},p{i}@example.in,98765{i:05d}\n" for i in range(2500))
    rows += "Broken,not-an-email,\n"
    job = run(owner, "Name,Email,Phone\n" + rows)
    assert job.status == ImportStatus.COMPLETED
    assert (job.created_count, job.failed_count) == (2500, 1)
    assert job.problems.get().row == 2502
    assert Contact.objects.get(email="p7@example.in").phone == "+919876500007"


def test_whole_file_undoes_what_it_wrote_when_a_later_row_fails_at_write_time(owner: User) -> None:
    rows = "".join(f"Person{i},p{i}@example.in\n" for i in range(1500))
    job = upload(owner, "Name,Email\n" + rows)
    job = import_job_configure(
        actor=owner, job=job, mapping=job.mapping, whole_file=True, duplicates="error"
    )
    import_job_check(actor=owner, job=job)
    import_check_run(job.pk)
    job.refresh_from_db()
    assert job.check_summary["failed"] == 0
    # Between the check and the run, someone creates a contact that row 1,402 repeats.
    contact_create(actor=owner, data={"first_name": "Early", "email": "p1400@example.in"})
    import_job_start(actor=owner, job=job)
    import_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "undone" in job.error
    # The first chunk (1,000 rows) had been written; it is gone again.
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Early"]
    assert job.problems.get(from_check=False).row == 1402


def test_the_row_estimate_counts_every_kind_of_line_break(owner: User) -> None:
    from sambandh.dataio.services import _count_rows

    job = upload(owner, "Name,Email\r\nA,a@example.in\rB,b@example.in\nC,c@example.in")
    assert _count_rows(job) == 3


def test_old_files_and_uploads_never_started_are_purged(owner: User) -> None:
    from sambandh.dataio.services import imports_purge, job_path

    done = run(owner, CSV)
    fresh = upload(owner, CSV)
    stale = upload(owner, CSV)
    done_file, stale_file = job_path(done), job_path(stale)
    ImportJob.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert imports_purge() == {"files": 0, "jobs": 1}
    assert not stale_file.exists() and not ImportJob.objects.filter(pk=stale.pk).exists()
    assert done_file.exists() and job_path(fresh).exists()
    assert imports_purge(now=timezone.now() + timedelta(days=31)) == {"files": 1, "jobs": 1}
    assert not done_file.exists()
    done.refresh_from_db()
    # The finished import keeps its report and its undo.
    assert done.stored_name == "" and done.problems.count() == 1
    import_job_undo(actor=owner, job=done)
    import_undo_run(done.pk)
    assert Contact.objects.count() == 0


def test_a_vcard_file_is_imported_with_its_company_and_address(owner: User) -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Asha Rao\r\nN:Rao;Asha;;;\r\n"
        "EMAIL;TYPE=work:Asha@Example.in\r\nTEL;TYPE=cell:+91 98765 43210\r\nORG:Acme Pvt Ltd\r\n"
        "TITLE:Director\r\nADR;TYPE=work:;;MG Road;Pune;MH;411001;India\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:रवि कुमार\r\nEMAIL:ravi@example.in\r\nEND:VCARD\r\n"
    )
    job = import_job_create(
        actor=owner, object_type="contact", upload=io.BytesIO(card.encode()), filename="people.vcf"
    )
    assert job.file_format == "vcf"
    import_job_start(actor=owner, job=job)
    import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.failed_count) == (ImportStatus.COMPLETED, 2, 0)
    asha = Contact.objects.get(email="asha@example.in")
    assert (asha.first_name, asha.last_name, asha.job_title, asha.phone) == (
        "Asha", "Rao", "Director", "+919876543210",
    )  # fmt: skip
    assert (asha.street, asha.city, asha.postal_code, asha.country) == (
        "MG Road",
        "Pune",
        "411001",
        "IN",
    )
    assert asha.account is not None and asha.account.name == "Acme Pvt Ltd"
    ravi = Contact.objects.get(email="ravi@example.in")
    assert (ravi.first_name, ravi.last_name) == ("रवि", "कुमार")


def test_a_row_cannot_be_fixed_by_someone_who_may_no_longer_create(owner: User) -> None:
    from sambandh.core.errors import PermissionDenied
    from sambandh.core.models import Role
    from sambandh.core.permissions import forget_grants
    from sambandh.dataio.services import import_job_fix_row

    job = run(owner, CSV)
    cells = list(job.problems.get(row=4).cells)
    cells[2] = "bad@example.in"
    owner.role = Role.objects.get(name="Read-only")
    owner.save()
    forget_grants(owner)
    with pytest.raises(PermissionDenied):
        import_job_fix_row(actor=owner, job=job, row=4, cells=cells)
    assert not Contact.objects.filter(email="bad@example.in").exists()
    assert job.problems.filter(row=4).exists()
