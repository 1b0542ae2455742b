"""Reading a vendor's catalog file: from bytes to rows keyed by our column names.

Two passes, both streaming, so memory stays flat whatever the file's size:
`scan_file` checks the whole file's structure (and counts its rows) before anything is written,
so a broken file fails as a whole and the upload's row count is known up front; `read_rows` then
reads it again and yields the rows for the pipeline.

What a human would call a valid file is accepted: UTF-8 (with or without BOM), UTF-16 with BOM or
Windows-1252; `,` `;` tab or `|` as delimiter (found on the header line); CRLF, LF or CR line ends;
header names in any case, with spaces or underscores, or a known alias; `.csv.gz` and `.xlsx`.
Everything else is rejected with a code and a sentence the vendor can act on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, BinaryIO

from onboarding.domain.columns import REQUIRED_COLUMNS, canonical_column, normalize_header
from onboarding.domain.errors import ErrorCode, FileRejected, RowError

OpenStream = Callable[[], BinaryIO]
"""Opens the file again from its start (each pass reads it once)."""

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", _ZIP_MAGIC, b"\xd0\xcf\x11\xe0", b"\x7fELF")
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252 (cp1252)"}
_XLSX = "xlsx"
_CSV_DEFAULT_FIELD_LIMIT = 131_072


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_rows: int
    max_cell_chars: int


@dataclass(frozen=True)
class FileLayout:
    """How the file is written, as found by `scan_file`."""

    kind: str  # "csv" or "xlsx"
    compression: str | None  # "gzip" or None
    encoding: str
    delimiter: str
    header: tuple[str, ...]  # the vendor's header cells, as written (trimmed)
    columns: tuple[str | None, ...]  # our column for each header cell; None = ignored

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        return tuple(h for h, c in zip(self.header, self.columns, strict=True) if c is None and h)


@dataclass(frozen=True)
class FileScan:
    layout: FileLayout
    data_rows: int
    notes: tuple[str, ...] = ()  # what the vendor should hear about the file (encoding, ignored columns)


@dataclass(frozen=True)
class SourceRow:
    row_number: int  # 1 = first data row
    cells: tuple[str, ...]  # the row as written, in the file's column order (for the error report)
    product_data: dict[str, str]  # our column -> trimmed value, for the columns the file has
    problems: tuple[RowError, ...] = field(default=())  # structural problems found while reading


# -- the two passes -------------------------------------------------------------------------


def scan_file(open_stream: OpenStream, file_name: str, limits: Limits) -> FileScan:
    """Check the whole file and count its data rows. Raises `FileRejected` for an unusable file."""
    try:
        return _scan(open_stream, file_name, limits)
    except FileRejected:
        raise
    except Exception as error:  # anything else a hostile file provokes is still the file's fault
        raise FileRejected(
            ErrorCode.UNREADABLE_FILE, f"The file could not be read as a catalog ({type(error).__name__})."
        ) from error


def read_rows(open_stream: OpenStream, scan: FileScan, limits: Limits) -> Iterator[SourceRow]:
    """Yield every data row of a file that `scan_file` accepted."""
    layout = scan.layout
    with _Records(open_stream, layout.kind, layout.compression, layout.encoding, layout.delimiter, limits) as rows:
        next(_non_blank(rows))  # the header
        for row_number, cells in enumerate(_non_blank(rows), start=1):
            yield _source_row(row_number, cells, layout)


def _scan(open_stream: OpenStream, file_name: str, limits: Limits) -> FileScan:
    kind, compression, encoding, delimiter = _detect_format(open_stream, file_name, limits)
    with _Records(open_stream, kind, compression, encoding, delimiter, limits) as rows:
        records = _non_blank(rows)
        header_cells = next(records, None)
        if header_cells is None:
            raise FileRejected(ErrorCode.EMPTY_FILE, "The file is empty.")
        layout = _layout(kind, compression, encoding, delimiter, header_cells)
        count = 0
        for cells in records:
            count += 1
            if count > limits.max_rows:
                raise FileRejected(
                    ErrorCode.TOO_MANY_ROWS,
                    f"The file has more than {limits.max_rows:,} product rows; split it into smaller files.",
                )
            _check_cells(count, cells, layout, limits)
    if count == 0:
        raise FileRejected(ErrorCode.NO_DATA_ROWS, "The file has a header but no product rows.")
    return FileScan(layout=layout, data_rows=count, notes=_notes(layout))


def _notes(layout: FileLayout) -> tuple[str, ...]:
    notes = []
    if layout.kind != _XLSX and layout.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"The file was read as {_ENCODING_NAMES.get(layout.encoding, layout.encoding)}.")
    if layout.ignored_columns:
        notes.append(f"These columns were ignored: {', '.join(layout.ignored_columns)}.")
    return tuple(notes)


def _check_cells(row_number: int, cells: list[str], layout: FileLayout, limits: Limits) -> None:
    for index, cell in enumerate(cells):
        if len(cell) > limits.max_cell_chars:
            column = layout.header[index] if index < len(layout.header) else f"column {index + 1}"
            raise FileRejected(
                ErrorCode.CELL_TOO_LARGE,
                f"Row {row_number}, column '{column}' has {len(cell):,} characters; "
                f"a cell may have at most {limits.max_cell_chars:,}.",
                field=column,
            )


# -- what kind of file -------------------------------------------------------------------------


def _detect_format(open_stream: OpenStream, file_name: str, limits: Limits) -> tuple[str, str | None, str, str]:
    """(kind, compression, encoding, delimiter), from the first bytes and the header line."""
    with open_stream() as raw:
        head = raw.read(SAMPLE_BYTES)
    if not head.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise FileRejected(ErrorCode.EMPTY_FILE, "The file is empty.")
    compression = "gzip" if head.startswith(_GZIP_MAGIC) else None
    if compression:
        with open_stream() as raw, _LimitedGzip(raw, limits) as unzipped:
            head = unzipped.read(SAMPLE_BYTES)
        if not head.strip():
            raise FileRejected(ErrorCode.EMPTY_FILE, "The file is empty once decompressed.")
    if head.startswith(_ZIP_MAGIC) and file_name.lower().endswith(".xlsx") and compression is None:
        return _XLSX, None, _XLSX, ""
    encoding = _detect_encoding(head)
    return "csv", compression, encoding, _detect_delimiter(_decode_sample(head, encoding))


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.startswith(_BINARY_MAGIC) or b"\x00" in sample:
        raise FileRejected(ErrorCode.NOT_TEXT, "The file is not text: upload a CSV (or .csv.gz, or .xlsx) file.")
    if _is_utf8(sample):
        return "utf-8"
    return _detect_legacy_encoding(sample)


def _is_utf8(sample: bytes) -> bool:
    """Strict UTF-8, allowing a character cut in half at the end of the sample."""
    for cut in range(4):
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError as error:
            if error.start < len(sample) - 4:
                return False
    return False


def _detect_legacy_encoding(sample: bytes) -> str:
    """Not UTF-8: a Windows or Latin export. charset-normalizer confirms it is text at all."""
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise FileRejected(ErrorCode.NOT_TEXT, "The file is not text: upload a CSV (or .csv.gz, or .xlsx) file.")
    # Spreadsheet exports that are not UTF-8 are, in practice, Windows-1252 (a superset of Latin-1's
    # printable range); detectors often call them by a sibling name, so we read them as cp1252.
    decoded = sample.decode("cp1252", errors="replace")
    controls = sum(1 for ch in decoded if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > len(decoded) // 20:
        raise FileRejected(ErrorCode.NOT_TEXT, "The file is not text: upload a CSV (or .csv.gz, or .xlsx) file.")
    return "cp1252"


def _decode_sample(sample: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the header line into the most cells naming our required columns."""
    first_line = _first_line(sample.lstrip("\ufeff\r\n"))

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        known = sum(1 for cell in cells if canonical_column(cell) in REQUIRED_COLUMNS)
        return known, len(cells)

    return max(DELIMITERS, key=score)


def _first_line(text: str) -> str:
    """The header line, outside any quotes."""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            return text[:index]
    return text


# -- records ------------------------------------------------------------------------------------


class _Records:
    """The file's records as lists of strings, for CSV and XLSX alike; closes what it opened."""

    def __init__(
        self, open_stream: OpenStream, kind: str, compression: str | None, encoding: str, delimiter: str,
        limits: Limits,
    ) -> None:
        self._args = (open_stream, kind, compression, encoding, delimiter, limits)
        self._closers: list[IO[bytes] | IO[str] | gzip.GzipFile] = []

    def __enter__(self) -> Iterator[list[str]]:
        open_stream, kind, compression, encoding, delimiter, limits = self._args
        raw = open_stream()
        self._closers.append(raw)
        if kind == _XLSX:
            return _xlsx_records(raw, limits)
        binary: IO[bytes] | gzip.GzipFile = raw
        if compression == "gzip":
            binary = _LimitedGzip(raw, limits)
            self._closers.append(binary)
        text = io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline="")
        self._closers.append(text)
        return _csv_records(text, delimiter, limits)

    def __exit__(self, *_: object) -> None:
        for closer in reversed(self._closers):
            try:
                closer.close()
            except Exception:  # noqa: S112 (closing what a failed read left open is best effort)
                continue


def _csv_records(text: IO[str], delimiter: str, limits: Limits) -> Iterator[list[str]]:
    field_limit = max(_CSV_DEFAULT_FIELD_LIMIT, limits.max_cell_chars + 1)
    if csv.field_size_limit() < field_limit:
        csv.field_size_limit(field_limit)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    record = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _csv_problem(error, record + 1, reader.line_num, limits) from error
        except UnicodeDecodeError as error:
            raise FileRejected(
                ErrorCode.UNREADABLE_FILE,
                f"Around line {reader.line_num + 1} the file stops being valid text in its encoding; "
                "save it again as UTF-8.",
            ) from error
        record += 1
        yield cells


def _csv_problem(error: csv.Error, record: int, line: int, limits: Limits) -> FileRejected:
    reason = str(error)
    if "field larger than field limit" in reason:
        return FileRejected(
            ErrorCode.CELL_TOO_LARGE,
            f"Near line {line} a cell is longer than {limits.max_cell_chars:,} characters, "
            "often a quote that was never closed.",
        )
    return FileRejected(
        ErrorCode.UNCLOSED_QUOTE,
        f"A quoted field starting on or after line {line} is not closed properly: "
        'a field that starts with " must end with " before the next delimiter or line end.',
    )


class _LimitedGzip(gzip.GzipFile):
    def __init__(self, raw: IO[bytes], limits: Limits) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._budget = limits.max_file_bytes

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._budget -= len(data)
        if self._budget < 0:
            raise FileRejected(ErrorCode.FILE_TOO_LARGE, "The file is too large once decompressed.")
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        self._budget -= len(data)
        if self._budget < 0:
            raise FileRejected(ErrorCode.FILE_TOO_LARGE, "The file is too large once decompressed.")
        return data


def _xlsx_records(raw: IO[bytes], limits: Limits) -> Iterator[list[str]]:
    """The first sheet's rows. openpyxl needs a seekable file: spool the stream to disk first."""
    import openpyxl

    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed below)
    try:
        copied = 0
        while chunk := raw.read(1024 * 1024):
            copied += len(chunk)
            if copied > limits.max_file_bytes:
                raise FileRejected(ErrorCode.FILE_TOO_LARGE, "The workbook is larger than the file size limit.")
            spool.write(chunk)
        spool.seek(0)
        try:
            workbook = openpyxl.load_workbook(spool, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise FileRejected(ErrorCode.UNREADABLE_FILE, "The workbook could not be opened: save it again as .xlsx.") \
                from error
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield [_cell_text(v) for v in values]
        finally:
            workbook.close()
    finally:
        spool.close()


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would have written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _non_blank(records: Iterator[list[str]]) -> Iterator[list[str]]:
    """Records with at least one non-blank cell (spreadsheets leave empty rows behind)."""
    return (cells for cells in records if any(cell.strip() for cell in cells))


# -- header and rows ----------------------------------------------------------------------------


def _layout(kind: str, compression: str | None, encoding: str, delimiter: str, header_cells: list[str]) -> FileLayout:
    header = tuple(cell.strip().lstrip("\ufeff").strip() for cell in header_cells)
    columns = tuple(canonical_column(cell) if cell else None for cell in header)
    _check_duplicate_columns(header, columns)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FileRejected(
            ErrorCode.MISSING_COLUMNS,
            f"The header is missing the required column(s): {', '.join(missing)}. "
            f"The header read was: {', '.join(h for h in header if h) or '(nothing)'}.",
            field=",".join(missing),
        )
    return FileLayout(kind, compression, encoding, delimiter, header, columns)


def _check_duplicate_columns(header: tuple[str, ...], columns: tuple[str | None, ...]) -> None:
    seen: dict[str, str] = {}
    for cell, column in zip(header, columns, strict=True):
        if not cell:
            continue
        key = column or normalize_header(cell)
        if key in seen:
            raise FileRejected(
                ErrorCode.DUPLICATE_COLUMNS,
                f"The columns '{seen[key]}' and '{cell}' both name {key}; keep only one.",
                field=key,
            )
        seen[key] = cell


def _source_row(row_number: int, raw_cells: list[str], layout: FileLayout) -> SourceRow:
    width = len(layout.columns)
    cells = raw_cells
    # A trailing delimiter (an empty extra cell) is a common export quirk, not a misaligned row.
    while len(cells) > width and not cells[-1].strip():
        cells = cells[:-1]
    problems: tuple[RowError, ...] = ()
    if len(cells) != width:
        problems = (
            RowError(
                row_number,
                "",
                ErrorCode.WRONG_FIELD_COUNT,
                f"This row has {len(cells)} fields but the header has {width}; "
                "check for an unquoted delimiter or a missing value.",
            ),
        )
    data = {
        column: cell.strip()
        for column, cell in zip(layout.columns, cells, strict=False)
        if column is not None
    }
    return SourceRow(row_number=row_number, cells=tuple(cells), product_data=data, problems=problems)
