"""Reading uploaded lead files: CSV (utf-8, utf-8 with BOM, Windows-1251) and XLSX.

Every problem a person can fix (broken encoding, empty file, no header row, an old .xls) is an
`ImportFileError` with a message that says what to do. Rows come out as lists of strings with
their spreadsheet row number (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed

MAX_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 5
CSV_DELIMITERS = ";,\t|"
_SAMPLE = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the binary .xls of Excel 97-2003
# Characters a real Windows-1251 text is made of (beyond ASCII): Cyrillic letters and the usual
# typography. Bytes of another encoding read as cp1251 come out as the rarer symbols (Ђ, ‰, ў…).
_CP1251_COMMON = frozenset(
    "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюяЁё«»—–№…“”„’\xa0"
)
_CP1251_MAX_RARE = 0.2

csv.field_size_limit(1024 * 1024)


class ImportFileError(ValidationFailed):
    """A file that cannot be imported as it is; the message tells the person what to do."""

    default_code = "invalid_file"


@dataclass
class Sheet:
    """What the upload step learns about a file."""

    format: str
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    preview: list[list[str]] = field(default_factory=list)


# --- format ---------------------------------------------------------------------------------


def detect_format(name: str, head: bytes) -> str:
    """csv or xlsx, from the name and the first bytes; anything else is refused clearly."""
    lower = (name or "").lower()
    if head.startswith(_OLE_MAGIC) or lower.endswith(".xls"):
        raise ImportFileError(
            _("Old Excel files (.xls) are not supported: save the file as .xlsx or CSV."),
            code="unsupported_format",
        )
    if lower.endswith(".xlsx") or (head.startswith(_ZIP_MAGIC) and not lower.endswith(".csv")):
        return "xlsx"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    raise ImportFileError(
        _("Unsupported file type: upload a CSV (.csv) or an Excel workbook (.xlsx)."),
        code="unsupported_format",
    )


# --- encodings ------------------------------------------------------------------------------


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _broken(line: int) -> ImportFileError:
    return ImportFileError(
        _(
            "The file's encoding is broken near line %(line)s: it is neither UTF-8 nor "
            "Windows-1251. In Excel choose “Save as → CSV UTF-8” and upload it again."
        )
        % {"line": line},
        code="broken_encoding",
    )


def _looks_like_cp1251(text: str) -> bool:
    other = [ch for ch in text if ord(ch) > 127]
    if not other:
        return True
    rare = sum(1 for ch in other if ch not in _CP1251_COMMON)
    return rare / len(other) <= _CP1251_MAX_RARE


def detect_encoding(data: bytes) -> str:
    """utf-8-sig, utf-8 or cp1251 — or ImportFileError when the bytes are none of them."""
    if b"\x00" in data[:_SAMPLE]:
        raise _broken(_line_of(data, data.index(b"\x00")))  # UTF-16 or a binary file
    if data.startswith(codecs.BOM_UTF8):
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _broken(_line_of(data, exc.start)) from None
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        return "utf-8"
    # Mostly valid UTF-8 with a few bad bytes is a damaged UTF-8 file, not a cp1251 one.
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    good = sum(1 for ch in replaced if ord(ch) > 127) - bad
    if good >= bad:
        raise _broken(_line_of(data, first_bad))
    if not _looks_like_cp1251(data.decode("cp1251", errors="replace")):
        raise _broken(_line_of(data, first_bad))
    return "cp1251"


# --- CSV --------------------------------------------------------------------------------------


def detect_delimiter(text: str) -> str:
    """The header line decides when it holds one candidate (column names rarely contain
    delimiters; Russian Excel writes ;); otherwise csv.Sniffer looks at more lines."""
    sample = text[:_SAMPLE]
    first_line = sample.split("\n", 1)[0]
    present = [d for d in CSV_DELIMITERS if d in first_line]
    if len(present) == 1:
        return present[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        if not present:
            return ","
        return max(present, key=first_line.count)


def _clean_headers(raw: list[str]) -> list[str]:
    headers = []
    for index, value in enumerate(raw, start=1):
        value = (value or "").strip().lstrip("\ufeff")
        headers.append(value or _("Column %(number)s") % {"number": index})
    return headers


def _no_header() -> ImportFileError:
    return ImportFileError(
        _("The first row must hold the column names (e-mail, phone, name…)."),
        code="missing_columns",
    )


def _empty() -> ImportFileError:
    return ImportFileError(_("The file is empty: there are no rows to import."), code="empty_file")


def _no_rows() -> ImportFileError:
    return ImportFileError(_("The file has column names but no rows to import."), code="empty_file")


def _csv_rows(text_stream: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every non-blank record; the header is record 1."""
    reader = csv.reader(text_stream, delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            yield number, cells


def inspect_csv(data: bytes) -> Sheet:
    if not data.strip():
        raise _empty()
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    delimiter = detect_delimiter(text)
    rows = _csv_rows(io.StringIO(text, newline=""), delimiter)
    try:
        first = next(rows, None)
        if first is None:
            raise _empty()
        number, header = first
        if number != 1 or not any(cell.strip() for cell in header):
            raise _no_header()
        preview = [cells for _number, cells in _take(rows, PREVIEW_ROWS)]
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file is malformed: %(problem)s.") % {"problem": exc}, code="malformed_csv"
        ) from None
    if not preview:
        raise _no_rows()
    return Sheet("csv", _clean_headers(header), encoding, delimiter, preview)


def _take(rows, count: int) -> list:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= count:
            break
    return out


# --- XLSX -------------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A spreadsheet cell as the text a person would type (phones stay digits, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# What a damaged workbook raises, on opening or later while its sheet is read lazily (a
# truncated file opens fine and breaks on the first missing block).
_BROKEN_XLSX = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ParseError,
    KeyError,
    OSError,
    ValueError,
    TypeError,
)


def _malformed_xlsx(exc: Exception) -> ImportFileError:
    problem = str(exc) or exc.__class__.__name__
    return ImportFileError(
        _("The file is not a valid Excel workbook (.xlsx): %(problem)s.") % {"problem": problem},
        code="malformed_xlsx",
    )


def _open_workbook(source):
    from openpyxl import load_workbook

    try:
        return load_workbook(source, read_only=True, data_only=True)
    except _BROKEN_XLSX as exc:
        raise _malformed_xlsx(exc) from None


def _xlsx_rows(workbook) -> Iterator[tuple[int, list[str]]]:
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        return
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            if any(cells):
                yield number, cells
    except _BROKEN_XLSX as exc:
        raise _malformed_xlsx(exc) from None


def inspect_xlsx(data: bytes) -> Sheet:
    if not data:
        raise _empty()
    workbook = _open_workbook(io.BytesIO(data))
    try:
        rows = _xlsx_rows(workbook)
        first = next(rows, None)
        if first is None:
            raise _empty()
        number, header = first
        if number != 1:
            raise _no_header()
        preview = [cells for _number, cells in _take(rows, PREVIEW_ROWS)]
    finally:
        workbook.close()
    if not preview:
        raise _no_rows()
    return Sheet("xlsx", _clean_headers(header), preview=preview)


# --- for the task -------------------------------------------------------------------------


def inspect(name: str, data: bytes) -> Sheet:
    """Check an uploaded file and read its header and first rows."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is too large: at most %(size)s MB.") % {"size": MAX_BYTES // 1024 // 1024},
            code="file_too_large",
        )
    fmt = detect_format(name, data[:8])
    return inspect_csv(data) if fmt == "csv" else inspect_xlsx(data)


def iter_data_rows(
    stream: IO[bytes], fmt: str, *, encoding: str = "utf-8", delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every data row of a stored file (the header skipped)."""
    if fmt == "csv":
        text = io.TextIOWrapper(stream, encoding=encoding or "utf-8", newline="")
        rows = _csv_rows(text, delimiter or ",")
        next(rows, None)
        yield from rows
        return
    workbook = _open_workbook(stream)
    try:
        rows = _xlsx_rows(workbook)
        next(rows, None)
        yield from rows
    finally:
        workbook.close()
