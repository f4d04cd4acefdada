"""Reading uploaded files: the corpus of broken files from issue 4, each written by the test."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook

from sambandh.dataio.problems import FileError, Level
from sambandh.dataio.readers import (
    VCARD_HEADERS,
    FileFormat,
    Table,
    detect_encoding,
    open_table,
    sniff_format,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(table: Table) -> list[tuple[int, list[Any]]]:
    return [(row.number, row.cells) for row in table.rows()]


def codes(table: Table) -> list[tuple[str, int | None, str]]:
    return [(p.code, p.row, p.field) for p in table.problems]


# --- files that are not tables ------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n,,\n"]
)
def test_an_empty_file_is_a_clear_error(tmp_path, data):
    with pytest.raises(FileError) as caught:
        open_table(write(tmp_path, "empty.csv", data))
    assert caught.value.code == "empty"
    assert str(caught.value.message) == "The file is empty."


def test_a_binary_file_is_a_clear_error_not_a_crash(tmp_path):
    data = bytes(range(256)) * 40
    with pytest.raises(FileError) as caught:
        open_table(write(tmp_path, "contacts.csv", data))
    assert caught.value.code == "binary"
    assert str(caught.value.message) == "This file is not text. Upload a CSV, XLSX or vCard file."


def test_a_pdf_named_csv_is_called_a_pdf(tmp_path):
    with pytest.raises(FileError) as caught:
        open_table(write(tmp_path, "contacts.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"))
    assert caught.value.code == "binary"
    assert caught.value.params == {"kind": "PDF"}


def test_an_old_xls_file_asks_for_xlsx_or_csv(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    with pytest.raises(FileError) as caught:
        open_table(write(tmp_path, "contacts.xls", data))
    assert caught.value.code == "old_excel"


def test_a_broken_zip_is_reported_as_an_unreadable_workbook(tmp_path):
    with pytest.raises(FileError) as caught:
        open_table(write(tmp_path, "contacts.xlsx", b"PK\x03\x04" + b"garbage" * 50))
    assert caught.value.code == "bad_xlsx"


def test_a_file_error_message_is_translated_when_shown(tmp_path):
    with pytest.raises(FileError) as caught:
        open_table(write(tmp_path, "empty.csv", b""))
    with translation.override("hi"):
        assert str(caught.value.message) == "फ़ाइल ख़ाली है।"
    assert caught.value.status == 400


# --- headers ------------------------------------------------------------------------------


def test_a_header_only_file_has_headers_no_rows_and_says_so(tmp_path):
    with open_table(write(tmp_path, "h.csv", b"First Name,Email\r\n")) as table:
        assert table.headers == ["First Name", "Email"]
        assert read_all(table) == []
        assert codes(table) == [("no_rows", None, "")]
        assert table.problems[0].level == Level.WARNING


def test_duplicate_headers_are_renamed_and_reported(tmp_path):
    data = b"Email,Name,email,Email\na@x.in,A,b@x.in,c@x.in\n"
    with open_table(write(tmp_path, "d.csv", data)) as table:
        assert table.headers == ["Email", "Name", "email (2)", "Email (3)"]
        assert table.source_headers == ["Email", "Name", "email", "Email"]
        assert codes(table) == [
            ("duplicate_header", 1, "email (2)"),
            ("duplicate_header", 1, "Email (3)"),
        ]
        assert str(table.problems[1].message) == (
            "The header “Email” appears more than once; column 4 is called “Email (3)”."
        )
        assert read_all(table) == [(2, ["a@x.in", "A", "b@x.in", "c@x.in"])]


def test_blank_header_cells_get_a_stable_name_and_trailing_ones_are_dropped(tmp_path):
    with open_table(write(tmp_path, "b.csv", b"Name,,City,,\nA,x,Pune,,\n")) as table:
        assert table.headers == ["Name", "Column 2", "City"]
        assert codes(table) == [("blank_header", 1, "Column 2")]
        assert read_all(table) == [(2, ["A", "x", "Pune"])]


def test_blank_lines_before_the_header_and_between_rows_are_skipped_keeping_numbers(tmp_path):
    with open_table(write(tmp_path, "b.csv", b"\n\nName,City\n\nA,Pune\n , \nB,Delhi\n")) as table:
        assert table.headers == ["Name", "City"]
        assert read_all(table) == [(5, ["A", "Pune"]), (7, ["B", "Delhi"])]
        assert table.problems == []


# --- rows ---------------------------------------------------------------------------------


def test_ragged_rows_short_ones_padded_long_ones_reported(tmp_path):
    data = b"Name,Email,City\nA,a@x.in\nB,b@x.in,Pune,extra\nC,c@x.in,Delhi,,\n"
    with open_table(write(tmp_path, "r.csv", data)) as table:
        rows = list(table.rows())
    assert [(r.number, r.cells) for r in rows] == [
        (2, ["A", "a@x.in", ""]),
        (3, ["B", "b@x.in", "Pune"]),
        (4, ["C", "c@x.in", "Delhi"]),
    ]
    assert [(p.code, p.level) for p in rows[0].problems] == [("short_row", Level.WARNING)]
    assert [(p.code, p.level) for p in rows[1].problems] == [("long_row", Level.ERROR)]
    assert str(rows[1].problems[0].message) == (
        "This row has more cells than the header (4, not 3); the cells past the last column "
        "cannot be read."
    )
    assert rows[2].problems == ()  # trailing empty cells are not a problem
    assert [(p.code, p.row) for p in table.problems] == [("short_row", 2), ("long_row", 3)]


def test_a_10_mb_cell_is_reported_and_read_as_empty_and_the_next_rows_still_come(tmp_path):
    big = b"x" * (10 * 1024 * 1024)
    data = b"Name,Note\nA," + big + b"\nB,short\n"
    with open_table(write(tmp_path, "big.csv", data)) as table:
        rows = list(table.rows())
    assert [(r.number, r.cells) for r in rows] == [(2, ["A", ""]), (3, ["B", "short"])]
    assert [(p.code, p.field) for p in rows[0].problems] == [("cell_too_large", "Note")]
    assert str(rows[0].problems[0].message) == (
        "This cell holds 10,485,760 characters, more than the limit of 1,048,576; "
        "it is read as empty."
    )


def test_the_cell_limit_is_configurable(tmp_path):
    with open_table(write(tmp_path, "c.csv", b"Name\nabcdef\nabc\n"), max_cell=4) as table:
        rows = list(table.rows())
    assert [r.cells for r in rows] == [[""], ["abc"]]
    assert [p.code for p in table.problems] == ["cell_too_large"]


def test_a_file_with_no_line_breaks_beyond_the_line_limit_is_refused(tmp_path):
    data = b"Name\n" + b"y" * (17 * 1024 * 1024)
    with (
        open_table(write(tmp_path, "long.csv", data), max_cell=1024) as table,
        pytest.raises(FileError) as caught,
    ):
        list(table.rows())
    assert caught.value.code == "line_too_long"


def test_formula_cells_are_read_as_text(tmp_path):
    data = b'Name,Score\n=HYPERLINK("http://evil"),@SUM(A1)\n+1,-2\n'
    with open_table(write(tmp_path, "f.csv", data)) as table:
        assert read_all(table) == [
            (2, ['=HYPERLINK("http://evil")', "@SUM(A1)"]),
            (3, ["+1", "-2"]),
        ]


def test_quoted_newlines_and_mixed_line_endings(tmp_path):
    data = b'Name,Note\r\nA,"two\r\nlines"\nB,"one\rmore"\rC,plain\r\n'
    with open_table(write(tmp_path, "m.csv", data)) as table:
        assert read_all(table) == [
            (2, ["A", "two\r\nlines"]),
            (3, ["B", "one\rmore"]),
            (4, ["C", "plain"]),
        ]


def test_devanagari_names_in_utf8_without_bom(tmp_path):
    data = "नाम,शहर\nराम कुमार,पुणे\nसीता,दिल्ली\n".encode()
    with open_table(write(tmp_path, "hi.csv", data)) as table:
        assert (table.encoding, table.headers) == ("utf-8", ["नाम", "शहर"])
        assert read_all(table) == [(2, ["राम कुमार", "पुणे"]), (3, ["सीता", "दिल्ली"])]


# --- encodings and delimiters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-be-bom", "utf-16"),
        ("cp1252", "cp1252"),
    ],
)
def test_encodings_are_detected(tmp_path, codec, expected):
    text = "Name;City\nJosé “Pepe”;Zürich\nनाम नहीं;Pune\n" if codec != "cp1252" else None
    if codec == "cp1252":
        data = "Name;City\nJosé “Pepe”;Zürich\nRenée;Pune\n".encode("cp1252")
    elif codec == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + (text or "").encode("utf-16-be")
    else:
        data = (text or "").encode(codec)
    with open_table(write(tmp_path, "e.csv", data)) as table:
        assert table.encoding == expected
        assert table.delimiter == ";"
        rows = read_all(table)
    assert rows[0] == (2, ["José “Pepe”", "Zürich"])
    assert table.problems == []


def test_latin1_bytes_undefined_in_cp1252_still_decode(tmp_path):
    data = "Name\nCafé\n".encode("latin-1") + b"\x81x\n"
    encoding, guessed = detect_encoding(data)
    assert guessed is True
    assert encoding == "latin-1"
    with open_table(write(tmp_path, "l.csv", data)) as table:
        assert [r.cells[0] for r in table.rows()][0] == "Café"


def test_a_legacy_non_latin_code_page_is_left_to_charset_normalizer(tmp_path):
    text = "Имя,Город\nАнна Иванова,Москва\nПётр Смирнов,Санкт-Петербург\n" * 20
    with open_table(write(tmp_path, "ru.csv", text.encode("cp1251"))) as table:
        assert table.encoding == "cp1251"
        assert table.headers == ["Имя", "Город"]


def test_utf16_without_a_bom_is_recognised(tmp_path):
    data = "Name,City\nAsha,Pune\n".encode("utf-16-le")
    with open_table(write(tmp_path, "u.csv", data)) as table:
        assert table.encoding == "utf-16-le"
        assert read_all(table) == [(2, ["Asha", "Pune"])]


def test_bytes_that_are_not_utf8_late_in_a_utf8_file_are_replaced_and_reported(tmp_path):
    head = "Name,City\n" + "Asha,Pune\n" * 8000  # past the sample
    data = head.encode() + b"Ren\xe9e,Delhi\n"
    with open_table(write(tmp_path, "late.csv", data)) as table:
        rows = list(table.rows())
    assert rows[-1].cells == ["Ren\ufffde", "Delhi"]
    assert [(p.code, p.field) for p in rows[-1].problems] == [("undecodable", "Name")]
    assert rows[-1].problems[0].level == Level.WARNING


def test_an_explicit_encoding_and_delimiter_override_detection(tmp_path):
    data = "a|b\nné|x\n".encode("latin-1")
    with open_table(write(tmp_path, "o.csv", data), encoding="latin-1", delimiter="|") as table:
        assert (table.headers, read_all(table)) == (["a", "b"], [(2, ["né", "x"])])


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        (b"Name\tEmail\tCity\nA\ta@x.in\tPune\n", "\t"),
        (b"Name;Email;City\nA;a@x.in;Pune\nB;b@x.in;Delhi\n", ";"),
        (b'Name,Note\n"Kumar; Ram","a; b; c"\n', ","),
        (b"Name;Amount\nA;1,5\nB;2,75\n", ";"),
        (b"Name\nAsha\nRavi\n", ","),
    ],
)
def test_delimiters_are_detected(tmp_path, data, delimiter):
    with open_table(write(tmp_path, "d.csv", data)) as table:
        assert table.delimiter == delimiter


def test_a_file_object_is_read_and_left_open(tmp_path):
    handle = io.BytesIO(b"Name\nAsha\n")
    with open_table(handle, filename="upload.csv", content_type="text/csv") as table:
        assert read_all(table) == [(2, ["Asha"])]
    assert not handle.closed


def test_rows_can_be_read_only_once(tmp_path):
    with open_table(write(tmp_path, "o.csv", b"Name\nAsha\n")) as table:
        list(table.rows())
        with pytest.raises(RuntimeError):
            list(table.rows())


def test_problems_kept_on_the_table_are_bounded_but_all_are_counted(tmp_path):
    data = b"A,B\n" + b"x\n" * 50
    with open_table(write(tmp_path, "p.csv", data), max_problems=10) as table:
        rows = list(table.rows())
    assert all(len(r.problems) == 1 for r in rows)
    assert (len(table.problems), table.problem_count) == (10, 50)


def test_a_million_rows_stream_with_bounded_memory(tmp_path):
    path = tmp_path / "million.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("First Name,Last Name,Email,Phone,City\r\n")
        line = "Asha{0},कुमार,asha{0}@example.com,+91987650{1:04d},Pune\r\n"
        out.writelines(line.format(i, i % 10000) for i in range(1_000_000))
    assert path.stat().st_size > 60_000_000
    tracemalloc.start()
    try:
        count = 0
        last = None
        with open_table(path) as table:
            for row in table.rows():
                count += 1
                last = row
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1_000_000
    assert last is not None and last.number == 1_000_001
    assert last.cells == ["Asha999999", "कुमार", "asha999999@example.com", "+919876509999", "Pune"]
    assert peak < 5 * 1024 * 1024  # the file is over 60 MB


# --- XLSX ---------------------------------------------------------------------------------


def make_xlsx(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


def test_xlsx_first_sheet_with_typed_cells(tmp_path):
    path = make_xlsx(
        tmp_path,
        {
            "Contacts": [
                ["Name", "Born", "Score", "Active", "Formula"],
                ["राम", dt.date(1990, 5, 17), 42, True, "=1+2"],
                [None, None, None],
                ["Sita", dt.datetime(2001, 1, 2, 10, 30), 2.5, False, None, "extra"],  # noqa: DTZ001
            ],
            "Other": [["X"], ["y"]],
        },
    )
    with open_table(path) as table:
        assert table.format == FileFormat.XLSX
        assert (table.sheet_name, table.sheet_names) == ("Contacts", ["Contacts", "Other"])
        assert table.headers == ["Name", "Born", "Score", "Active", "Formula"]
        rows = list(table.rows())
    assert [(r.number, r.cells) for r in rows] == [
        # A formula written by openpyxl has no cached value: None, never the formula text.
        # XLSX has no time zones: its datetimes are naive.
        (2, ["राम", dt.datetime(1990, 5, 17), 42, True, None]),  # noqa: DTZ001
        (4, ["Sita", dt.datetime(2001, 1, 2, 10, 30), 2.5, False, None]),  # noqa: DTZ001
    ]
    assert [p.code for p in rows[1].problems] == ["long_row"]


def test_xlsx_named_sheet_and_a_missing_one(tmp_path):
    path = make_xlsx(tmp_path, {"A": [["x"], ["1"]], "B": [["Email"], ["b@x.in"]]})
    with open_table(path, sheet="B") as table:
        assert read_all(table) == [(2, ["b@x.in"])]
    with pytest.raises(FileError) as caught:
        open_table(path, sheet="C")
    assert caught.value.code == "no_sheet"
    assert str(caught.value.message) == "The workbook has no sheet “C”; its sheets are: A, B."


def test_an_empty_xlsx_is_the_same_clear_error(tmp_path):
    with pytest.raises(FileError) as caught:
        open_table(make_xlsx(tmp_path, {"Empty": []}))
    assert caught.value.code == "empty"


def test_an_xlsx_uploaded_with_a_csv_name_is_read_as_xlsx(tmp_path):
    path = make_xlsx(tmp_path, {"S": [["Name"], ["Asha"]]})
    with open_table(io.BytesIO(path.read_bytes()), filename="contacts.csv") as table:
        assert table.format == FileFormat.XLSX
        assert read_all(table) == [(2, ["Asha"])]


# --- vCard --------------------------------------------------------------------------------

VCARD_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Shri Ram Kumar\r\n"
    "N:Kumar;Ram;Prasad;Shri;\r\n"
    "EMAIL;TYPE=INTERNET,HOME:ram.home@example.in\r\n"
    "EMAIL;TYPE=INTERNET,WORK,pref:Ram@Example.in\r\n"
    "TEL;TYPE=CELL:+91 98765 43210\r\n"
    "item1.TEL:022 2345 6789\r\n"
    "ORG:Acme\\, India;Sales\r\n"
    "TITLE:Manager\r\n"
    "ADR;TYPE=WORK:;Floor 2;12 MG Road;Pune;Maharashtra;411001;India\r\n"
    "BDAY:1985-04-12\r\n"
    "NOTE:Met at the fair\\nLikes tea\\; not coffee. This line is folded over\r\n"
    "  two lines.\r\n"
    "CATEGORIES:vip,pune\r\n"
    "UID:abc-123\r\n"
    "END:VCARD\r\n"
)
VCARD_40 = (
    "BEGIN:VCARD\n"
    "VERSION:4.0\n"
    "FN:सीता देवी\n"
    "N:देवी;सीता;;;\n"
    "EMAIL;PREF=1:sita@example.in\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+91-99999-00000\n"
    "LANG;PREF=1:hi\n"
    "TZ:Asia/Kolkata\n"
    "BDAY:--0412\n"
    "ANNIVERSARY:20100101\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:2.1\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9;Ana;;;\n"
    "TEL;WORK;PREF:+1 415 555 0100\n"
)


def test_vcard_30_maps_to_flat_columns(tmp_path):
    with open_table(write(tmp_path, "c.vcf", VCARD_30.encode())) as table:
        assert table.format == FileFormat.VCARD
        assert tuple(table.headers) == VCARD_HEADERS
        rows = list(table.rows())
    assert len(rows) == 1
    card = dict(zip(table.headers, rows[0].cells, strict=True))
    assert card == {
        "full_name": "Shri Ram Kumar",
        "salutation": "Shri",
        "first_name": "Ram Prasad",
        "last_name": "Kumar",
        "email": "Ram@Example.in",
        "other_emails": "ram.home@example.in",
        "phone": "+91 98765 43210",
        "other_phones": "022 2345 6789",
        "account_name": "Acme, India",
        "job_title": "Manager",
        "street": "Floor 2, 12 MG Road",
        "city": "Pune",
        "state": "Maharashtra",
        "postal_code": "411001",
        "country": "India",
        "birthday": "1985-04-12",
        "anniversary": "",
        "note": "Met at the fair\nLikes tea; not coffee. This line is folded over two lines.",
        "preferred_language": "",
        "time_zone": "",
        "tags": "vip; pune",
        "website": "",
        "external_id": "abc-123",
    }
    assert rows[0].number == 1


def test_vcard_40_and_21_and_an_unterminated_last_card(tmp_path):
    with open_table(write(tmp_path, "c.vcf", VCARD_40.encode())) as table:
        rows = list(table.rows())
    first = dict(zip(table.headers, rows[0].cells, strict=True))
    assert (first["full_name"], first["first_name"], first["last_name"]) == (
        "सीता देवी",
        "सीता",
        "देवी",
    )
    assert (first["email"], first["phone"]) == ("sita@example.in", "+91-99999-00000")
    assert (first["preferred_language"], first["time_zone"]) == ("hi", "Asia/Kolkata")
    assert (first["birthday"], first["anniversary"]) == ("--0412", "20100101")
    second = dict(zip(table.headers, rows[1].cells, strict=True))
    assert (second["last_name"], second["first_name"], second["phone"]) == (
        "José",
        "Ana",
        "+1 415 555 0100",
    )
    assert [(p.code, p.row) for p in table.problems] == [("unterminated_card", 2)]


def test_a_vcf_file_without_cards_is_a_clear_error(tmp_path):
    with (
        open_table(write(tmp_path, "c.vcf", b"VERSION:3.0\nFN:nobody\n")) as table,
        pytest.raises(FileError) as caught,
    ):
        list(table.rows())
    assert caught.value.code == "not_vcard"


# --- format sniffing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "filename", "content_type", "expected"),
    [
        (b"PK\x03\x04rest", "contacts.csv", None, FileFormat.XLSX),
        (b"\r\nbegin:vcard\r\nVERSION:3.0", "contacts.txt", None, FileFormat.VCARD),
        (codecs.BOM_UTF16_LE + "BEGIN:VCARD".encode("utf-16-le"), "", None, FileFormat.VCARD),
        (b"Name,Email\n", "contacts.vcf", None, FileFormat.VCARD),
        (b"Name,Email\n", "contacts.tsv", None, FileFormat.CSV),
        (b"Name,Email\n", "upload", "text/x-vcard", FileFormat.VCARD),
        (b"Name,Email\n", "upload", None, FileFormat.CSV),
    ],
)
def test_sniff_format_prefers_content_then_name_then_type(head, filename, content_type, expected):
    assert sniff_format(head, filename=filename, content_type=content_type) == expected
