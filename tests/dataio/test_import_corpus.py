"""Broken and unusual files taken through the whole import, as a user and the worker drive it:
``import_job_create`` (the upload), ``import_job_configure``, ``import_job_start`` and
``import_run`` (or the dry run). Each file ends in one of two ways, stated exactly: a
``FileError`` at upload with its message, and nothing kept (no job, no stored file); or a job
whose report names the row, the column and the code of every problem, with the database
holding what the chosen semantics promise (valid rows, or the whole file or nothing).
"""

from __future__ import annotations

import codecs
import io
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from sambandh.contacts.models import Account, Contact, Note, Tag
from sambandh.core.exporting import neutralise
from sambandh.core.models import User
from sambandh.core.search import matching_ids
from sambandh.dataio.models import ImportJob, ImportStatus
from sambandh.dataio.problems import FileError
from sambandh.dataio.services import (
    import_check_run,
    import_dir,
    import_job_check,
    import_job_configure,
    import_job_create,
    import_job_start,
    import_run,
)

pytestmark = pytest.mark.django_db

slow = pytest.mark.skipif(
    os.environ.get("SAMBANDH_SLOW_TESTS") != "1",
    reason="a million-row file takes minutes; set SAMBANDH_SLOW_TESTS=1",
)


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"


def upload(actor: User, data: bytes, name: str = "people.csv") -> ImportJob:
    return import_job_create(
        actor=actor, object_type="contact", upload=io.BytesIO(data), filename=name
    )


def start(actor: User, job: ImportJob, **config: Any) -> ImportJob:
    job = import_job_configure(actor=actor, job=job, mapping=job.mapping, **config)
    import_job_start(actor=actor, job=job)
    import_run(job.pk)
    job.refresh_from_db()
    return job


def run(actor: User, data: bytes, name: str = "people.csv", **config: Any) -> ImportJob:
    return start(actor, upload(actor, data, name), **config)


def report(job: ImportJob, *, from_check: bool = False) -> list[tuple[Any, ...]]:
    """(row, column, code, level) of every problem, in the file's order."""
    return list(
        job.problems.filter(from_check=from_check)
        .order_by("row", "id")
        .values_list("row", "field", "code", "level")
    )


def message(job: ImportJob, code: str, language: str = "en") -> str:
    return job.problems.filter(code=code).order_by("row", "id")[0].message(language)


def counts(job: ImportJob) -> tuple[int, ...]:
    """(rows, created, updated, skipped, failed)."""
    return (
        job.processed_count,
        job.created_count,
        job.updated_count,
        job.skipped_count,
        job.failed_count,
    )


def contacts(*fields: str) -> list[tuple[Any, ...]]:
    return list(Contact.objects.order_by("id").values_list(*fields))


def stored_files() -> list[str]:
    return sorted(p.name for p in import_dir().iterdir())


# ---------------------------------------------------------------- refused at upload

NOT_TABLES = [
    pytest.param(b"", "people.csv", "empty", "The file is empty.", id="empty"),
    pytest.param(b"\r\n  \n\t\n", "people.csv", "empty", "The file is empty.", id="blank-lines"),
    pytest.param(codecs.BOM_UTF8 + b"\r\n", "people.csv", "empty", "The file is empty.", id="bom"),
    pytest.param(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        "people.csv",
        "binary",
        "This is a PNG file, not a table. Upload a CSV, XLSX or vCard file.",
        id="png-named-csv",
    ),
    pytest.param(
        bytes([0, 159, 146, 150, 7, 1, 2, 3]) * 512,
        "people.txt",
        "binary",
        "This file is not text. Upload a CSV, XLSX or vCard file.",
        id="random-bytes",
    ),
    pytest.param(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        "people.xls",
        "old_excel",
        "This is an old Excel (.xls) file. Save it as XLSX or CSV and upload that.",
        id="old-xls",
    ),
    pytest.param(
        b"PK\x03\x04" + b"not really a workbook" * 20,
        "people.xlsx",
        "bad_xlsx",
        "This file cannot be read as an XLSX workbook.",
        id="broken-xlsx",
    ),
]


@pytest.mark.parametrize(("data", "name", "code", "text"), NOT_TABLES)
def test_a_file_that_is_not_a_table_is_refused_at_upload_and_nothing_is_kept(
    owner: User, data: bytes, name: str, code: str, text: str
) -> None:
    with pytest.raises(FileError) as refused:
        upload(owner, data, name)
    assert refused.value.code == code
    assert str(refused.value.message) == text
    # A ValidationError on the "file" field: the API and the upload page answer 400 with it.
    assert [str(m) for m in refused.value.fields["file"]] == [text]
    assert ImportJob.objects.count() == 0
    assert stored_files() == []


# ---------------------------------------------------------------- header only


def test_a_file_with_only_a_header_completes_with_nothing_written(owner: User) -> None:
    job = upload(owner, b"First Name,Email\r\n\r\n\r\n")
    assert (job.headers, job.mapping) == (["First Name", "Email"], ["first_name", "email"])
    job = start(owner, job)
    assert job.status == ImportStatus.COMPLETED
    assert (job.total_rows, *counts(job)) == (0, 0, 0, 0, 0, 0)
    assert Contact.objects.count() == 0


def test_a_file_with_only_a_header_says_so_in_its_report(owner: User) -> None:
    job = run(owner, b"First Name,Email\r\n")
    assert report(job) == [(None, "", "no_rows", "warning")]


# ---------------------------------------------------------------- ragged rows

RAGGED = (
    b"First Name,Last Name,Email\n"
    b"Asha,Rao\n"  # short: padded, a warning
    b"Ravi,Kumar,ravi@example.in,extra,more\n"  # long with content: an error
    b"Sita,Devi,sita@example.in,,\n"  # long but the extra cells empty: fine
)


def test_ragged_rows_with_valid_rows_write_the_short_and_report_the_long(owner: User) -> None:
    job = run(owner, RAGGED)
    assert job.status == ImportStatus.COMPLETED
    assert counts(job) == (3, 2, 0, 0, 1)
    assert report(job) == [(2, "", "short_row", "warning"), (3, "", "long_row", "error")]
    assert message(job, "short_row") == (
        "This row has fewer cells than the header (2 of 3); the missing ones are read as empty."
    )
    assert message(job, "long_row") == (
        "This row has more cells than the header (5, not 3); the cells past the last column "
        "cannot be read."
    )
    assert contacts("first_name", "last_name", "email") == [
        ("Asha", "Rao", ""),
        ("Sita", "Devi", "sita@example.in"),
    ]


def test_ragged_rows_with_the_whole_file_write_nothing(owner: User) -> None:
    job = run(owner, RAGGED, whole_file=True)
    assert job.status == ImportStatus.FAILED
    assert job.error == "1 rows have errors, so nothing was imported (whole file or nothing)."
    assert job.check_summary == {
        "rows": 3, "created": 2, "updated": 0, "skipped": 0, "failed": 1, "companies": 0,
    }  # fmt: skip
    assert report(job, from_check=True) == [
        (2, "", "short_row", "warning"),
        (3, "", "long_row", "error"),
    ]
    assert counts(job)[1:] == (0, 0, 0, 0)
    assert Contact.objects.count() == 0


def test_a_short_row_alone_does_not_stop_the_whole_file(owner: User) -> None:
    job = run(owner, b"First Name,Last Name,Email\nAsha,Rao\n", whole_file=True)
    assert job.status == ImportStatus.COMPLETED
    assert report(job, from_check=True) == [(2, "", "short_row", "warning")]
    assert contacts("first_name", "last_name") == [("Asha", "Rao")]


# ---------------------------------------------------------------- duplicate and blank headers

TWO_EMAILS = b"Email,First Name,Email,,Notes\nasha@example.in,Asha,asha.work@example.in,zz,hello\n"


def test_a_repeated_header_is_renamed_and_mapped_to_the_other_emails(owner: User) -> None:
    job = upload(owner, TWO_EMAILS)
    assert job.headers == ["Email", "First Name", "Email (2)", "Column 4", "Notes"]
    assert job.mapping == ["email", "first_name", "other_emails", None, "note"]
    job = start(owner, job)
    assert counts(job) == (1, 1, 0, 0, 0)
    assert contacts("first_name", "email", "other_emails") == [
        ("Asha", "asha@example.in", ["asha.work@example.in"])
    ]
    assert list(Note.objects.values_list("body", flat=True)) == ["hello"]


def test_two_columns_mapped_to_one_field_are_refused(owner: User) -> None:
    from sambandh.core.errors import ValidationError

    job = upload(owner, TWO_EMAILS)
    with pytest.raises(ValidationError) as refused:
        import_job_configure(
            actor=owner, job=job, mapping=["email", "first_name", "email", None, "note"]
        )
    assert refused.value.fields["mapping"] == [
        "The columns “Email” and “Email (2)” both go to the same field; choose one."
    ]
    job.refresh_from_db()
    assert job.mapping[2] == "other_emails"


def test_renamed_and_blank_headers_are_in_the_report(owner: User) -> None:
    job = upload(owner, TWO_EMAILS)
    assert report(job) == [
        (1, "Email (2)", "duplicate_header", "warning"),
        (1, "Column 4", "blank_header", "warning"),
    ]


# ---------------------------------------------------------------- encodings

WINDOWS_1252 = "First Name,Last Name,City,Notes\nJosé,Müller,Café ‘Zürich’,€ 500 – net\n".encode(
    "cp1252"
)
UTF_16 = (
    "First Name,Last Name,Email,Country,Notes\r\n"
    'प्रिया,शर्मा,priya@example.in,भारत,"₹ 1,500 बकाया"\r\n'
    'José,Ñúñez,jose@example.in,Spain,"₹१०, café"\r\n'
).encode("utf-16")  # with its byte-order mark


@pytest.mark.parametrize("whole_file", [False, True])
def test_a_windows_1252_file_is_read_as_windows_1252(owner: User, whole_file: bool) -> None:
    job = upload(owner, WINDOWS_1252)
    assert job.encoding == "cp1252"
    job = start(owner, job, whole_file=whole_file)
    assert job.status == ImportStatus.COMPLETED
    assert report(job) == report(job, from_check=True) == []
    assert contacts("first_name", "last_name", "city") == [("José", "Müller", "Café ‘Zürich’")]
    assert list(Note.objects.values_list("body", flat=True)) == ["€ 500 – net"]


@pytest.mark.parametrize("whole_file", [False, True])
def test_a_utf16_file_with_its_byte_order_mark_is_read_whole(owner: User, whole_file: bool) -> None:
    job = upload(owner, UTF_16)
    assert (job.encoding, job.headers[0]) == ("utf-16", "First Name")
    job = start(owner, job, whole_file=whole_file)
    assert job.status == ImportStatus.COMPLETED
    assert (job.total_rows, *counts(job)) == (2, 2, 2, 0, 0, 0)
    assert contacts("first_name", "last_name", "email", "country") == [
        ("प्रिया", "शर्मा", "priya@example.in", "IN"),
        ("José", "Ñúñez", "jose@example.in", "ES"),
    ]
    assert sorted(Note.objects.values_list("body", flat=True)) == ["₹ 1,500 बकाया", "₹१०, café"]


def _late_windows_1252(good_rows: int = 4000) -> bytes:
    """A file whose first 64 KB (what the encoding is guessed from) are plain ASCII and whose
    next-to-last row was saved in Windows-1252: the guess (UTF-8) cannot read its bytes."""
    head = b"First Name,Email,City\n" + b"".join(
        b"P%d,p%d@example.in,Pune\n" % (i, i) for i in range(good_rows)
    )
    assert len(head) > 64 * 1024
    return head + "Zoë,zoë@example.in,Köln\n".encode("cp1252") + b"Last,last@example.in,Goa\n"


def test_bytes_the_guessed_encoding_cannot_read_become_replacement_characters(
    owner: User,
) -> None:
    job = run(owner, _late_windows_1252())
    assert job.status == ImportStatus.COMPLETED
    assert counts(job) == (4002, 4002, 0, 0, 0)
    # The email validator accepts U+FFFD in the local part (as a form does), so the row is
    # written; the report says what happened (the next test).
    assert contacts("first_name", "email", "city")[-2:] == [
        ("Zo\ufffd", "zo\ufffd@example.in", "K\ufffdln"),
        ("Last", "last@example.in", "Goa"),
    ]


@pytest.mark.parametrize("whole_file", [False, True])
def test_bytes_the_guessed_encoding_cannot_read_are_reported_per_cell(
    owner: User, whole_file: bool
) -> None:
    job = run(owner, _late_windows_1252(), whole_file=whole_file)
    problems = report(job, from_check=whole_file)
    assert problems == [
        (4002, "First Name", "undecodable", "warning"),
        (4002, "Email", "undecodable", "warning"),
        (4002, "City", "undecodable", "warning"),
    ]


# ---------------------------------------------------------------- a 10 MB cell, a 17 MB line

BIG_CELL = (
    b"First Name,Email,Notes\nAsha,asha@example.in,"
    + b"x" * (10 * 1024 * 1024)
    + b"\nRavi,ravi@example.in,short\n"
)


def test_a_ten_megabyte_cell_fails_its_row_and_the_others_are_written(owner: User) -> None:
    job = run(owner, BIG_CELL)
    assert job.status == ImportStatus.COMPLETED
    assert counts(job) == (2, 1, 0, 0, 1)
    assert report(job) == [(2, "Notes", "cell_too_large", "error")]
    assert message(job, "cell_too_large") == (
        "This cell holds 10,485,760 characters, more than the limit of 1,048,576; it is read "
        "as empty."
    )
    assert contacts("first_name") == [("Ravi",)]
    assert list(Note.objects.values_list("body", flat=True)) == ["short"]


def test_a_ten_megabyte_cell_stops_the_whole_file(owner: User) -> None:
    job = run(owner, BIG_CELL, whole_file=True)
    assert job.status == ImportStatus.FAILED
    assert report(job, from_check=True) == [(2, "Notes", "cell_too_large", "error")]
    assert Contact.objects.count() == Note.objects.count() == 0


def test_a_line_longer_than_the_reader_takes_fails_the_job_cleanly(owner: User) -> None:
    data = (
        b"First Name,Email,Notes\nAsha,asha@example.in,ok\nRavi,ravi@example.in,"
        + b"y" * (17 * 1024 * 1024)
        + b"\nSita,sita@example.in,fine\n"
    )
    job = run(owner, data)
    assert job.status == ImportStatus.FAILED
    assert job.error == (
        "The file could not be read to the end: A line of this file is longer than "
        "16,777,216 characters; it cannot be read."
    )
    # The line comes before the first chunk is complete: nothing was committed.
    assert counts(job) == (0, 0, 0, 0, 0)
    assert job.worker_token == ""
    assert Contact.objects.count() == 0


# ---------------------------------------------------------------- formulas

FORMULAS = (
    b"First Name,Last Name,Email,Phone,City,Company,Tags,Job Title,Notes\n"
    b'"=HYPERLINK(""http://evil.example"",""click"")",Rao,f1@example.in,,@SUM(A1:A9),'
    b"+cmd|' /C calc'!A0,vip,-2+3,=cmd\n"
    b"Asha,+91 98765 43210,f2@example.in,+cmd|' /C calc'!A0,Pune,,,-12.5,\n"
)


def test_formula_text_is_kept_as_text_with_a_warning_and_neutralised_on_export(
    owner: User,
) -> None:
    job = run(owner, FORMULAS)
    assert counts(job) == (2, 1, 0, 0, 1)
    assert report(job) == [
        (2, "First Name", "formula", "warning"),
        (2, "City", "formula", "warning"),
        (2, "Company", "formula", "warning"),
        (2, "Job Title", "formula", "warning"),
        (2, "Notes", "formula", "warning"),
        # A phone number is never text: "+cmd..." is not a number at all.
        (3, "Phone", "invalid_phone", "error"),
    ]
    assert message(job, "formula") == (
        "This text starts like a spreadsheet formula; it is kept as text and never run."
    )
    # Stored as typed (the normalisers' rule: kept as text, never run), ...
    first_name, last_name, city, job_title = contacts(
        "first_name", "last_name", "city", "job_title"
    )[0]
    assert (first_name, last_name, city, job_title) == (
        '=HYPERLINK("http://evil.example","click")',
        "Rao",
        "@SUM(A1:A9)",
        "-2+3",
    )
    assert list(Account.objects.values_list("name", flat=True)) == ["+cmd|' /C calc'!A0"]
    assert list(Note.objects.values_list("body", flat=True)) == ["=cmd"]
    # ... and every export writes it with the leading apostrophe that keeps it a text.
    assert neutralise(first_name) == "'" + first_name
    assert neutralise(city) == "'@SUM(A1:A9)"
    assert not Contact.objects.filter(first_name="Asha").exists()


def test_a_tag_that_starts_like_a_formula_is_reported_too(owner: User) -> None:
    job = run(owner, b"First Name,Tags\nAsha,=1+1;vip\n")
    assert report(job) == [(2, "Tags", "formula", "warning")]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["=1+1", "vip"]


# ---------------------------------------------------------------- Devanagari

HINDI = (
    "नाम,ईमेल,देश,शहर,मोबाइल\n"
    "प्रिया शर्मा,priya@example.in,भारत,मुंबई,९८७६५ ४३२१०\n"
    "\u095boya \u0959ान,zoya@example.in,संयुक्त राज्य अमेरिका,न्यूयॉर्क,+1 212 555 0100\n"
    "Ravi Kumar,ravi@example.in,अमेरिका,,\n"
    "Imran Khan,imran@example.in,हिंदुस्तान,,\n"
    "Élodie Martin,elodie@example.in,फ़्रांस,,\n"
    "Kaal Nemi,kaal@example.in,अटलांटिस,,\n"
).encode()


def test_devanagari_headers_names_digits_and_hindi_country_names(owner: User) -> None:
    job = upload(owner, HINDI)
    assert job.mapping == ["full_name", "email", "country", "city", "phone"]
    job = start(owner, job)
    assert counts(job) == (6, 5, 0, 0, 1)
    assert report(job) == [(7, "देश", "unknown_country", "error")]
    assert message(job, "unknown_country") == (
        "“अटलांटिस” is not a country we know; use a name or a code such as IN."
    )
    # Names are stored in NFC: the precomposed nukta letters of the file (U+095B, U+0959)
    # are composition exclusions, so NFC spells them as letter + nukta.
    zoya = unicodedata.normalize("NFC", "\u095boya")
    khan = unicodedata.normalize("NFC", "\u0959ान")
    assert zoya == "\u091c\u093coya"
    assert contacts("first_name", "last_name", "country", "city", "phone") == [
        ("प्रिया", "शर्मा", "IN", "मुंबई", "+919876543210"),
        (zoya, khan, "US", "न्यूयॉर्क", "+12125550100"),
        ("Ravi", "Kumar", "US", "", ""),
        ("Imran", "Khan", "IN", "", ""),
        ("Élodie", "Martin", "FR", "", ""),
    ]
    assert matching_ids("contact", "शर्मा", limit=5) == [
        Contact.objects.get(email="priya@example.in").pk
    ]


# ---------------------------------------------------------------- line endings


def test_mixed_line_endings_are_rows_numbered_as_a_spreadsheet_shows(owner: User) -> None:
    data = b"First Name,Email\r\nA,a@example.in\nB,b@example.in\rC,c@example.in\r\nD,bad\rE,e@x.in"
    job = run(owner, data)
    assert job.status == ImportStatus.COMPLETED
    assert (job.total_rows, *counts(job)) == (5, 5, 4, 0, 0, 1)
    assert report(job) == [(5, "Email", "invalid_email", "error")]
    assert message(job, "invalid_email") == "“bad” is not a valid email address."
    assert contacts("first_name", "email") == [
        ("A", "a@example.in"),
        ("B", "b@example.in"),
        ("C", "c@example.in"),
        ("E", "e@x.in"),
    ]


def test_a_quoted_cell_spanning_lines_is_one_row(owner: User) -> None:
    data = (
        b'First Name,Email,Notes\nA,a@example.in,"line one\nline two\r\nline three"\nB,bad-email,\n'
    )
    job = run(owner, data)
    assert (job.total_rows, *counts(job)) == (2, 2, 1, 0, 0, 1)
    assert report(job) == [(3, "Email", "invalid_email", "error")]
    assert list(Note.objects.values_list("body", flat=True)) == ["line one\nline two\r\nline three"]


# ---------------------------------------------------------------- rows that write nothing


def test_a_row_that_is_not_written_creates_no_company(owner: User) -> None:
    data = (
        b"First Name,Email,Phone,Company\n"
        b"Asha,asha@example.in,,Acme\n"
        b",,98765 43210,Ghost Co\n"  # neither a name nor an email: fails
        b"Dup,ASHA@example.in,,Dup Co\n"  # the same email: skipped
    )
    job = run(owner, data)
    assert counts(job) == (3, 1, 0, 1, 1)
    assert report(job) == [(3, "", "no_identity", "error"), (4, "Email", "duplicate", "warning")]
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme"]


# ---------------------------------------------------------------- a million rows


@slow
def test_a_million_row_file_is_checked_with_exact_row_numbers(owner: User, tmp_path: Path) -> None:
    rows = 1_000_000
    path = tmp_path / "million.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("First Name,Email,City\n")
        for i in range(rows):
            number = i + 2  # as a spreadsheet numbers it
            if number == 2:
                out.write("Bad,not-an-email,Pune\n")
            elif number == 500_001:
                out.write("Again,P1@EXAMPLE.IN,Pune\n")  # row 3's email, other case
            elif number == rows + 1:
                out.write(",,Pune\n")
            else:
                out.write(f"P{i},p{i}@example.in,Pune\n")
    with open(path, "rb") as file:
        job = import_job_create(
            actor=owner, object_type="contact", upload=file, filename="million.csv"
        )
    import_job_check(actor=owner, job=job)
    import_check_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert job.check_summary == {
        "rows": rows, "created": rows - 3, "updated": 0, "skipped": 1, "failed": 2, "companies": 0,
    }  # fmt: skip
    assert report(job, from_check=True) == [
        (2, "Email", "invalid_email", "error"),
        (500_001, "Email", "duplicate", "warning"),
        (rows + 1, "", "no_identity", "error"),
    ]
    assert message(job, "duplicate") == "“p1@example.in” is already in row 3 of this file."
    assert Contact.objects.count() == 0
