"""Uploaded files as tables: CSV, XLSX and vCard, read a row at a time.

``open_table(file, filename=...)`` looks at the file (name and first bytes), picks a reader,
reads the header and returns a ``Table``. ``table.rows()`` then streams ``Row(number, cells,
problems)``: memory stays flat however long the file is (a row, a sample and a bounded list of
problems). Nothing here raises on bad data inside a readable file: ragged rows, duplicate or
blank headers, oversized cells and undecodable bytes become ``Problem``s with the row number
the user sees. Only a file that is not a table at all (empty, binary, corrupt) raises
``FileError``.

Row numbers are what a spreadsheet shows: a CSV or XLSX header is row 1, the first record row 2
(a quoted cell spanning lines is still one row). Cards in a vCard file are numbered from 1.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import enum
import io
import os
import quopri
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from types import TracebackType
from typing import IO, Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from sambandh.dataio.problems import FileError, Level, Problem

Cell = str | int | float | Decimal | bool | dt.datetime | dt.date | dt.time | None

DEFAULT_MAX_CELL = 1024 * 1024  # characters; a longer cell is reported and read as empty
DEFAULT_MAX_PROBLEMS = 1000  # kept on the table; every row still carries its own
SAMPLE_BYTES = 64 * 1024  # looked at to choose the format, the encoding and the delimiter
DELIMITERS = (",", ";", "\t")


class FileFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    VCARD = "vcf"


class Row(NamedTuple):
    """One record: its number as the user sees it, one cell per header, and what is wrong."""

    number: int
    cells: list[Cell]
    problems: tuple[Problem, ...] = ()


Source = str | os.PathLike[str] | IO[bytes]


# --- the common interface -----------------------------------------------------------------


class Table:
    """A readable table. ``headers`` are unique and non-blank (see ``source_headers`` for the
    file's own text); every row has exactly ``len(headers)`` cells.

    ``problems`` collects the file's and the rows' problems (the first ``max_problems``;
    ``problem_count`` counts all). It grows while ``rows()`` is read. Use the table as a
    context manager, or call ``close()``: it may hold the file open."""

    format: FileFormat
    _text_cells = True  # every cell a str (CSV, vCard); XLSX has typed cells

    def __init__(
        self,
        *,
        stream: IO[bytes],
        owns_stream: bool,
        max_cell: int,
        max_problems: int,
    ) -> None:
        self._stream = stream
        self._owns_stream = owns_stream
        self.max_cell = max_cell
        self.max_problems = max_problems
        self.headers: list[str] = []
        self.source_headers: list[str] = []
        self.encoding: str | None = None
        self.delimiter: str | None = None
        self.sheet_name: str | None = None
        self.sheet_names: list[str] = []
        self.problems: list[Problem] = []
        self.problem_count = 0
        self.row_count = 0  # rows yielded so far (all of them once rows() is exhausted)
        self._started = False

    # Subclasses fill headers in __init__ and implement _records.
    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        raise NotImplementedError

    def rows(self) -> Iterator[Row]:
        """The records after the header, each padded or cut to the header's width. Fully blank
        rows are skipped (their numbers are not reused). Can be read once."""
        if self._started:
            raise RuntimeError("Table.rows() can be read only once; open the file again.")
        self._started = True
        width = len(self.headers)
        guessed = self._guessed_encoding()
        for number, raw in self._records():
            # The common case (a clean row of text) is checked at C speed, cell by cell only
            # when something may be wrong.
            texts = raw if self._text_cells else [c for c in raw if isinstance(c, str)]
            joined = "".join(texts)  # type: ignore[arg-type]
            if not joined.strip() and (self._text_cells or not any(_present(c) for c in raw)):
                continue
            found: list[Problem] = []
            cells = raw
            if len(cells) != width:
                cells = self._fit(number, cells, width, found)
            if len(joined) > self.max_cell or (guessed and "\ufffd" in joined):
                self._check_cells(number, cells, found)
            for problem in found:
                self._note(problem)
            self.row_count += 1
            yield Row(number, cells, tuple(found))
        if self.row_count == 0:
            self._note(
                Problem.make(
                    "no_rows", _("The file has a header but no rows."), level=Level.WARNING
                )
            )

    def _fit(self, number: int, cells: list[Cell], width: int, found: list[Problem]) -> list[Cell]:
        if len(cells) < width:
            found.append(
                Problem.make(
                    "short_row",
                    _(
                        "This row has fewer cells than the header (%(found)d of %(expected)d); the missing ones are read as empty."
                    ),
                    row=number,
                    level=Level.WARNING,
                    found=len(cells),
                    expected=width,
                )
            )
            return [*cells, *([""] * (width - len(cells)))]
        if any(_present(c) for c in cells[width:]):
            found.append(
                Problem.make(
                    "long_row",
                    _(
                        "This row has more cells than the header (%(found)d, not %(expected)d); the cells past the last column cannot be read."
                    ),
                    row=number,
                    found=len(cells),
                    expected=width,
                )
            )
        return cells[:width]

    def _check_cells(self, number: int, cells: list[Cell], found: list[Problem]) -> None:
        """Oversized cells become empty; replacement characters from a guessed encoding are
        reported (the file may not be in the encoding we chose)."""
        guessed = self._guessed_encoding()
        for index, value in enumerate(cells):
            if not isinstance(value, str):
                continue
            if len(value) > self.max_cell:
                found.append(
                    Problem.make(
                        "cell_too_large",
                        _(
                            "This cell holds %(size)s characters, more than the limit of %(limit)s; it is read as empty."
                        ),
                        row=number,
                        field=self.headers[index],
                        size=f"{len(value):,}",
                        limit=f"{self.max_cell:,}",
                    )
                )
                cells[index] = ""
            elif guessed and "\ufffd" in value:
                found.append(
                    Problem.make(
                        "undecodable",
                        _(
                            "Some characters in this cell could not be read as %(encoding)s and were replaced."
                        ),
                        row=number,
                        field=self.headers[index],
                        level=Level.WARNING,
                        encoding=self.encoding or "",
                    )
                )

    def _guessed_encoding(self) -> bool:
        return False

    def _note(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)

    def _set_headers(self, raw: Sequence[Cell], *, row: int | None) -> None:
        """Unique, non-blank names: a blank header becomes "Column 3", a repeated one
        "Email (2)"; both are reported. Trailing blank header cells are dropped."""
        texts = ["" if c is None else str(c).replace("\ufeff", "").strip() for c in raw]
        while texts and not texts[-1]:
            texts.pop()
        self.source_headers = texts
        seen: set[str] = set()
        headers: list[str] = []
        for index, text in enumerate(texts, start=1):
            name = text
            if not name:
                # A stable key, not translated: saved mappings refer to it in any language.
                name = f"Column {index}"
                self._note(
                    Problem.make(
                        "blank_header",
                        _("Column %(n)d has no header; it is called “%(name)s”."),
                        row=row,
                        field=name,
                        level=Level.WARNING,
                        n=index,
                        name=name,
                    )
                )
            if name.casefold() in seen:
                base, n = name, 2
                while f"{base} ({n})".casefold() in seen:
                    n += 1
                name = f"{base} ({n})"
                self._note(
                    Problem.make(
                        "duplicate_header",
                        _(
                            "The header “%(header)s” appears more than once; column %(n)d is called “%(name)s”."
                        ),
                        row=row,
                        field=name,
                        level=Level.WARNING,
                        header=base,
                        n=index,
                        name=name,
                    )
                )
            seen.add(name.casefold())
            headers.append(name)
        self.headers = headers

    def close(self) -> None:
        if self._owns_stream:
            self._stream.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _present(value: Cell) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# --- format and encoding detection --------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows executable"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls / .doc
_ZIP = b"PK\x03\x04"
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_EXTENSIONS = {
    ".csv": FileFormat.CSV,
    ".tsv": FileFormat.CSV,
    ".txt": FileFormat.CSV,
    ".xlsx": FileFormat.XLSX,
    ".xlsm": FileFormat.XLSX,
    ".vcf": FileFormat.VCARD,
    ".vcard": FileFormat.VCARD,
}
_CONTENT_TYPES = {
    "text/csv": FileFormat.CSV,
    "text/tab-separated-values": FileFormat.CSV,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": FileFormat.XLSX,
    "text/vcard": FileFormat.VCARD,
    "text/x-vcard": FileFormat.VCARD,
}


def _bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte; which half says the byte order."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def _check_not_binary(head: bytes) -> None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise FileError(
                "binary",
                _("This is a %(kind)s file, not a table. Upload a CSV, XLSX or vCard file."),
                kind=kind,
            )
    if head.startswith(_OLE2):
        raise FileError(
            "old_excel",
            _("This is an old Excel (.xls) file. Save it as XLSX or CSV and upload that."),
        )
    if _bom_encoding(head) or _utf16_without_bom(head):
        return
    sample = head[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or (sample and controls / len(sample) > 0.05):
        raise FileError(
            "binary",
            _("This file is not text. Upload a CSV, XLSX or vCard file."),
        )


def _looks_like_vcard(head: bytes) -> bool:
    encoding = _bom_encoding(head) or _utf16_without_bom(head)
    text = head[:4096].decode(encoding or "latin-1", "ignore")
    return text.lstrip("\ufeff \t\r\n").upper().startswith("BEGIN:VCARD")


def sniff_format(head: bytes, *, filename: str = "", content_type: str | None = None) -> FileFormat:
    """The format of a file from its first bytes, then its name, then its declared type.

    Content wins over the name (an XLSX renamed ``.csv`` is read as XLSX). A binary file that
    is none of the three, or an old ``.xls``, raises ``FileError``; any other text is CSV."""
    if head.startswith(_ZIP):
        return FileFormat.XLSX
    _check_not_binary(head)
    if _looks_like_vcard(head):
        return FileFormat.VCARD
    extension = os.path.splitext(filename.lower())[1]
    if extension in _EXTENSIONS and _EXTENSIONS[extension] != FileFormat.XLSX:
        return _EXTENSIONS[extension]
    base_type = (content_type or "").split(";")[0].strip().lower()
    if _CONTENT_TYPES.get(base_type) == FileFormat.VCARD:
        return FileFormat.VCARD
    return FileFormat.CSV


def detect_encoding(head: bytes) -> tuple[str, bool]:
    """The text encoding of a file from its first bytes, and whether it was a guess.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); then NUL-patterned UTF-16 without one;
    then valid UTF-8. Otherwise the text is in a legacy 8-bit code page. Western text (Excel's
    "CSV" on Windows) has few bytes above 127: Windows-1252, or Latin-1 if the bytes are not
    valid Windows-1252. Only when most of the text is such bytes (Cyrillic, Greek, CJK) is
    charset-normalizer asked which code page it is."""
    encoding = _bom_encoding(head)
    if encoding:
        return encoding, False
    encoding = _utf16_without_bom(head)
    if encoding:
        return encoding, True
    try:
        # final=False: a character cut at the sample's end is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", True
    letters = [b for b in head if b >= 0x41 and b not in (0x7F,)]
    high = sum(1 for b in letters if b >= 0x80)
    if letters and high / len(letters) > 0.3:
        import charset_normalizer

        best = charset_normalizer.from_bytes(head).best()
        if best is not None and best.encoding:
            return str(best.encoding), True
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1", True
    return "cp1252", True


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: csv.Sniffer on whole lines of the sample; if it cannot tell,
    the candidate that appears most often in the first line (outside quotes), else comma."""
    cut = max(text.rfind("\n"), text.rfind("\r"))
    sample = text[:cut] if cut > 0 else text
    try:
        found = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        found = ""
    if found in DELIMITERS:
        return found
    first = re.sub(r'"[^"]*"', "", sample.splitlines()[0] if sample else "")
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- CSV ----------------------------------------------------------------------------------


class CsvTable(Table):
    format = FileFormat.CSV

    def __init__(
        self,
        *,
        stream: IO[bytes],
        owns_stream: bool,
        max_cell: int,
        max_problems: int,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        super().__init__(
            stream=stream, owns_stream=owns_stream, max_cell=max_cell, max_problems=max_problems
        )
        head = stream.read(SAMPLE_BYTES)
        stream.seek(0)
        if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE):
            raise FileError("empty", _("The file is empty."))
        _check_not_binary(head)
        if encoding:
            self.encoding, self._guessed = encoding, False
        else:
            self.encoding, self._guessed = detect_encoding(head)
        try:
            sample = codecs.getincrementaldecoder(self.encoding)("replace").decode(head)
        except LookupError as exc:
            raise FileError(
                "unknown_encoding",
                _("“%(encoding)s” is not an encoding this server knows."),
                encoding=self.encoding,
            ) from exc
        self.delimiter = delimiter or _sniff_delimiter(sample.lstrip("\ufeff"))
        # The line limit guards memory against a file with no line breaks at all.
        self._line_limit = max(4 * max_cell, 16 * 1024 * 1024)
        if csv.field_size_limit() < self._line_limit:
            # Process-wide, but only ever raised: we check each cell's size ourselves.
            csv.field_size_limit(self._line_limit)
        self._text = io.TextIOWrapper(stream, encoding=self.encoding, errors="replace", newline="")
        self._reader = csv.reader(self._lines(), delimiter=self.delimiter)
        self._iter = self._numbered()
        for number, cells in self._iter:
            if any(c.strip() for c in cells):
                self._set_headers(cells, row=number)
                break
        if not self.headers:
            raise FileError("empty", _("The file is empty."))

    def _guessed_encoding(self) -> bool:
        return self._guessed

    def _lines(self) -> Iterator[str]:
        while True:
            line = self._text.readline(self._line_limit)
            if not line:
                return
            if len(line) >= self._line_limit and not line.endswith(("\n", "\r")):
                raise FileError(
                    "line_too_long",
                    _(
                        "A line of this file is longer than %(limit)s characters; it cannot be read."
                    ),
                    limit=f"{self._line_limit:,}",
                )
            yield line

    def _numbered(self) -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for cells in self._reader:
                number += 1
                yield number, cells
        except csv.Error as exc:
            raise FileError(
                "malformed",
                _("Row %(row)d of this file cannot be read as CSV."),
                row=number + 1,
            ) from exc

    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        for number, cells in self._iter:
            yield number, list(cells)

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self._text.detach()  # the caller's stream stays usable; ours is closed below
        super().close()


# --- XLSX ---------------------------------------------------------------------------------


class XlsxTable(Table):
    """The first sheet (or the one named), through openpyxl's read-only mode: rows are read
    from the zip as they are asked for. Formulas give their cached value (``None`` if the
    file was never opened in a spreadsheet program); dates come as ``datetime``."""

    format = FileFormat.XLSX
    _text_cells = False

    def __init__(
        self,
        *,
        stream: IO[bytes],
        owns_stream: bool,
        max_cell: int,
        max_problems: int,
        sheet: str | None = None,
    ) -> None:
        super().__init__(
            stream=stream, owns_stream=owns_stream, max_cell=max_cell, max_problems=max_problems
        )
        import zipfile

        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self._book = load_workbook(stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise FileError("bad_xlsx", _("This file cannot be read as an XLSX workbook.")) from exc
        self.sheet_names = list(self._book.sheetnames)
        if sheet is not None and sheet not in self.sheet_names:
            self._book.close()
            raise FileError(
                "no_sheet",
                _("The workbook has no sheet “%(sheet)s”; its sheets are: %(sheets)s."),
                sheet=sheet,
                sheets=", ".join(self.sheet_names),
            )
        if not self.sheet_names:
            self._book.close()
            raise FileError("empty", _("The file is empty."))
        self.sheet_name = sheet or self.sheet_names[0]
        worksheet = self._book[self.sheet_name]
        # Some writers record a wrong size for the sheet; without it openpyxl reads to the end.
        reset = getattr(worksheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        self._rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        for number, values in self._rows:
            cells = [_xlsx_cell(v) for v in values]
            if any(_present(c) for c in cells):
                self._set_headers(cells, row=number)
                break
        if not self.headers:
            self._book.close()
            raise FileError("empty", _("The file is empty."))

    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        for number, values in self._rows:
            yield number, [_xlsx_cell(v) for v in values]

    def close(self) -> None:
        self._book.close()
        super().close()


def _xlsx_cell(value: Any) -> Cell:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        return value  # type: ignore[no-any-return]
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


# --- vCard --------------------------------------------------------------------------------

VCARD_HEADERS = (
    "full_name",
    "salutation",
    "first_name",
    "last_name",
    "email",
    "other_emails",
    "phone",
    "other_phones",
    "account_name",
    "job_title",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "birthday",
    "anniversary",
    "note",
    "preferred_language",
    "time_zone",
    "tags",
    "website",
    "external_id",
)
MULTI_SEPARATOR = "; "  # several values in one cell (other emails, tags), as exports write them

_PROPERTY_RE = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$", re.DOTALL)


def _split_unescaped(value: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    return re.sub(
        r"\\(.)",
        lambda m: "\n" if m.group(1) in "nN" else m.group(1),
        value,
    ).strip()


def _params(text: str) -> tuple[set[str], dict[str, str]]:
    """``;TYPE=work,pref;PREF=1`` (3.0/4.0) or ``;WORK;PREF`` (2.1): the types and the rest."""
    types: set[str] = set()
    named: dict[str, str] = {}
    for part in _split_unescaped(text, ";")[1:] if text else []:
        if "=" in part:
            key, value = part.split("=", 1)
            key = key.strip().upper()
            value = value.strip().strip('"')
            if key == "TYPE":
                types.update(v.strip().lower() for v in value.split(","))
            else:
                named[key] = value
        elif part.strip():
            types.add(part.strip().lower())
    return types, named


class VcardTable(Table):
    """Each card is a row with the columns of ``VCARD_HEADERS`` (our field names, so mapping
    them is exact). vCard 2.1, 3.0 and 4.0; folded lines, escapes, quoted-printable (2.1).
    The preferred EMAIL and TEL go to ``email``/``phone``, the others to ``other_*``."""

    format = FileFormat.VCARD

    def __init__(
        self,
        *,
        stream: IO[bytes],
        owns_stream: bool,
        max_cell: int,
        max_problems: int,
        encoding: str | None = None,
    ) -> None:
        super().__init__(
            stream=stream, owns_stream=owns_stream, max_cell=max_cell, max_problems=max_problems
        )
        head = stream.read(SAMPLE_BYTES)
        stream.seek(0)
        if not head.strip():
            raise FileError("empty", _("The file is empty."))
        if encoding:
            self.encoding, self._guessed = encoding, False
        else:
            self.encoding, self._guessed = detect_encoding(head)
        self._text = io.TextIOWrapper(stream, encoding=self.encoding, errors="replace", newline="")
        self._set_headers(list(VCARD_HEADERS), row=None)

    def _guessed_encoding(self) -> bool:
        return self._guessed

    def _logical_lines(self) -> Iterator[str]:
        """Unfolded lines: a line starting with a space or tab continues the one before; a
        quoted-printable line ending in "=" continues on the next."""
        current: str | None = None
        limit = max(4 * self.max_cell, 16 * 1024 * 1024)
        for raw in self._text:
            line = raw.rstrip("\r\n")
            if current is not None and line[:1] in (" ", "\t"):
                current += line[1:]
            elif (
                current is not None
                and current.endswith("=")
                and "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper()
            ):
                current = current[:-1] + line
            else:
                if current is not None:
                    yield current
                current = line.lstrip("\ufeff")
            if current is not None and len(current) > limit:
                raise FileError(
                    "line_too_long",
                    _(
                        "A line of this file is longer than %(limit)s characters; it cannot be read."
                    ),
                    limit=f"{limit:,}",
                )
        if current is not None:
            yield current

    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        number = 0
        card: list[tuple[str, set[str], dict[str, str], str]] | None = None
        seen_card = False
        for line in self._logical_lines():
            if not line.strip():
                continue
            match = _PROPERTY_RE.match(line)
            if match is None:
                continue
            name = match.group(1).upper()
            value = match.group(3)
            if name == "BEGIN" and value.strip().upper() == "VCARD":
                card = []
                seen_card = True
                continue
            if card is None:
                continue
            if name == "END" and value.strip().upper() == "VCARD":
                number += 1
                yield number, self._card_cells(card)
                card = None
                continue
            types, named = _params(match.group(2))
            if (
                named.get("ENCODING", "").upper() in ("QUOTED-PRINTABLE", "QP")
                or "quoted-printable" in types
            ):
                charset = named.get("CHARSET", "utf-8")
                try:
                    value = quopri.decodestring(value.encode("latin-1", "replace")).decode(
                        charset, "replace"
                    )
                except LookupError:
                    value = quopri.decodestring(value.encode("latin-1", "replace")).decode(
                        "utf-8", "replace"
                    )
            card.append((name, types, named, value))
        if card is not None:
            number += 1
            self._note(
                Problem.make(
                    "unterminated_card",
                    _("The last card has no END:VCARD line; it is read as far as it goes."),
                    row=number,
                    level=Level.WARNING,
                )
            )
            yield number, self._card_cells(card)
        if not seen_card:
            raise FileError("not_vcard", _("This file holds no vCard (BEGIN:VCARD)."))

    def _card_cells(self, card: Iterable[tuple[str, set[str], dict[str, str], str]]) -> list[Cell]:
        values: dict[str, str] = {}
        emails: list[tuple[bool, str]] = []
        phones: list[tuple[bool, str]] = []
        tags: list[str] = []
        for name, types, named, raw in card:
            preferred = "pref" in types or named.get("PREF", "") not in ("", "0")
            if name == "FN":
                values["full_name"] = _unescape(raw)
            elif name == "N":
                parts = [_unescape(p) for p in _split_unescaped(raw, ";")] + [""] * 5
                family, given, additional, prefix = parts[0], parts[1], parts[2], parts[3]
                values["last_name"] = family
                values["first_name"] = " ".join(p for p in (given, additional) if p)
                values["salutation"] = prefix
            elif name == "EMAIL":
                text = _unescape(raw).removeprefix("mailto:")
                if text:
                    emails.append((preferred, text))
            elif name == "TEL":
                text = _unescape(raw)
                text = text[4:] if text.lower().startswith("tel:") else text
                if text:
                    phones.append((preferred, text))
            elif name == "ORG":
                values.setdefault("account_name", _unescape(_split_unescaped(raw, ";")[0]))
            elif name == "TITLE":
                values.setdefault("job_title", _unescape(raw))
            elif name == "ADR" and "street" not in values:
                parts = [_unescape(p) for p in _split_unescaped(raw, ";")] + [""] * 7
                # PO box; extended address; street; locality; region; postal code; country
                values["street"] = ", ".join(p for p in (parts[1], parts[2]) if p)
                values["city"] = parts[3]
                values["state"] = parts[4]
                values["postal_code"] = parts[5]
                values["country"] = parts[6]
            elif name == "BDAY":
                values.setdefault("birthday", _unescape(raw))
            elif name == "ANNIVERSARY":
                values.setdefault("anniversary", _unescape(raw))
            elif name == "NOTE":
                note = _unescape(raw)
                values["note"] = f"{values['note']}\n{note}" if values.get("note") else note
            elif name == "LANG":
                values.setdefault("preferred_language", _unescape(raw))
            elif name == "TZ":
                text = _unescape(raw)
                values.setdefault("time_zone", text.removeprefix("VALUE=text:"))
            elif name == "CATEGORIES":
                tags += [_unescape(t) for t in _split_unescaped(raw, ",") if t.strip()]
            elif name == "URL":
                values.setdefault("website", _unescape(raw))
            elif name == "UID":
                values.setdefault("external_id", _unescape(raw))
        for key, found in (("email", emails), ("phone", phones)):
            # The preferred one first; otherwise the file's order.
            ordered = [v for p, v in found if p] + [v for p, v in found if not p]
            if ordered:
                values[key] = ordered[0]
                values[f"other_{key}s"] = MULTI_SEPARATOR.join(ordered[1:])
        if tags:
            values["tags"] = MULTI_SEPARATOR.join(tags)
        return [values.get(h, "") for h in VCARD_HEADERS]

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self._text.detach()
        super().close()


# --- opening ------------------------------------------------------------------------------


def _seekable(file: IO[bytes]) -> tuple[IO[bytes], bool]:
    """The stream itself if it can seek, else a spooled copy (ours to close)."""
    try:
        if file.seekable():
            return file, False
    except (AttributeError, ValueError):
        pass
    copy = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the table closes it
    shutil.copyfileobj(file, copy)
    copy.seek(0)
    return copy, True  # type: ignore[return-value]


def open_table(
    file: Source,
    *,
    filename: str = "",
    content_type: str | None = None,
    file_format: FileFormat | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_cell: int = DEFAULT_MAX_CELL,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> Table:
    """Open an uploaded file as a table.

    ``file`` is a path or a binary file object (a Django ``UploadedFile`` works; it is read
    from its current start and not closed). ``filename`` and ``content_type`` help choose the
    format when the content does not decide it; ``file_format``, ``encoding`` and
    ``delimiter`` override the detection (for a user who knows better). ``sheet`` picks an
    XLSX sheet by name (default: the first). Raises ``FileError`` for a file that is not a
    table; everything else is reported in ``table.problems`` and on each row."""
    if isinstance(file, str | os.PathLike):
        filename = filename or os.fspath(file)
        stream: IO[bytes] = open(file, "rb")  # noqa: SIM115 - the table closes it
        owns = True
    else:
        stream, owns = _seekable(file)
        if not owns:
            stream.seek(0)
    try:
        head = stream.read(SAMPLE_BYTES)
        stream.seek(0)
        if file_format is None:
            if not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
                raise FileError("empty", _("The file is empty."))
            file_format = sniff_format(head, filename=filename, content_type=content_type)
        common: dict[str, Any] = {
            "stream": stream,
            "owns_stream": owns,
            "max_cell": max_cell,
            "max_problems": max_problems,
        }
        if file_format == FileFormat.XLSX:
            return XlsxTable(**common, sheet=sheet)
        if file_format == FileFormat.VCARD:
            return VcardTable(**common, encoding=encoding)
        return CsvTable(**common, encoding=encoding, delimiter=delimiter)
    except BaseException:
        if owns:
            stream.close()
        raise
