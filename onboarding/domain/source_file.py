"""Reading a vendor's catalog file: from bytes to rows keyed by our column names.

Two passes, both streaming, so memory stays flat whatever the file's size:

1. `scan_file` sniffs the format from the first 64 KiB (gzip or not, xlsx or CSV, encoding,
   delimiter), then reads the whole file once to check its structure and count its data rows.
   A broken file fails as a whole, with one `FileRejected`, before anything is written, and the
   upload's row count is known up front.
2. `read_rows` reads the file again in exactly the same way and yields one `SourceRow` per data row.

What a human would call a valid file is accepted: UTF-8 (with or without BOM), UTF-16 with BOM or
Windows-1252; `,` `;` tab or `|` as delimiter (found on the header line); CRLF, LF or CR line ends;
header names in any case, with spaces or underscores, or a known alias; `.csv.gz` and `.xlsx`.
Everything else is rejected with a code and a sentence the vendor can act on.

Decisions worth knowing:
- A quote inside an unquoted cell (`12" screen`) is kept as written. Text after a closing quote
  (`"12" screen"`) fails the file as UNCLOSED_QUOTE: a lenient reader would silently glue the pieces
  into a different value.
- Spaces after a delimiter are skipped, so `P-1, "Mouse, wireless"` reads as two cells.
- Empty cells past the header's width (a trailing delimiter) are dropped, not a wrong field count;
  so are empty header cells at the end. A short spreadsheet row is padded: xlsx does not store
  empty cells at the end of a row.
- UTF-8 chosen because the first 64 KiB were plain ASCII is only a guess: if a later byte is not
  UTF-8, the file is read again as Windows-1252, which is what such files are in practice.
- A failing storage stream (a dropped connection) is not the vendor's fault: its exception goes
  through unchanged, so the pipeline retries instead of rejecting the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, TYPE_CHECKING, BinaryIO, NamedTuple

from onboarding.domain.columns import CSV_COLUMNS, REQUIRED_COLUMNS, canonical_column, normalize_header
from onboarding.domain.errors import ErrorCode, FileRejected, RowError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from openpyxl import Workbook

OpenStream = Callable[[], BinaryIO]
"""Opens the file again from its start (each pass reads it once)."""

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024

_CSV = "csv"
_XLSX = "xlsx"
_GZIP = "gzip"
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
# What a file that is not text usually turns out to be, so the vendor learns what they sent.
_BINARY_KINDS = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    _ZIP_MAGIC: "a ZIP archive (an Excel workbook must be named .xlsx)",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Office file (save it as .xlsx or CSV)",
    _GZIP_MAGIC: "a file compressed twice",
    b"\x7fELF": "a program",
}
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (cp1252)",
}
_CSV_FIELD_LIMIT_FLOOR = 131_072  # the csv module's default: cells up to it get a precise message
_MIN_RECORD_CHARS = 1024 * 1024
_XLSX_EXPANSION = 4  # a workbook within our row limit unpacks to far less than 4x the size limit
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_LISTED_NAMES = 10
_SHOWN_NAME_CHARS = 60


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
    encoding: str  # a Python codec name, or "xlsx" for a workbook
    delimiter: str  # "" for a workbook
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


@dataclass(frozen=True)
class _Format:
    """What the first bytes say about the whole file."""

    kind: str
    compression: str | None
    encoding: str
    delimiter: str
    encoding_is_a_guess: bool = False  # UTF-8 from an ASCII-only start: a later byte may say cp1252


class _Record(NamedTuple):
    line: int  # where the record starts: the text line, or the sheet row
    cells: list[str]


class _StorageFailed(Exception):
    """Reading the stored file failed: the pipeline should retry, not reject the file."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _NotInEncoding(FileRejected):
    """A byte the chosen encoding cannot decode, found past the sample."""


# -- the two passes -------------------------------------------------------------------------


def scan_file(open_stream: OpenStream, file_name: str, limits: Limits) -> FileScan:
    """Check the whole file and count its data rows. Raises `FileRejected` for an unusable file."""
    try:
        return _scan(open_stream, file_name, limits)
    except FileRejected:
        raise
    except _StorageFailed as failure:
        raise failure.cause from None
    except Exception as error:  # anything else a hostile file provokes is still the file's fault
        raise FileRejected(
            ErrorCode.UNREADABLE_FILE,
            f"The file could not be read ({type(error).__name__}): save it again as a UTF-8 CSV file "
            "or as an .xlsx workbook, and upload it again.",
        ) from error


def read_rows(open_stream: OpenStream, scan: FileScan, limits: Limits) -> Iterator[SourceRow]:
    """Yield every data row of a file that `scan_file` accepted."""
    layout = scan.layout
    file_format = _Format(layout.kind, layout.compression, layout.encoding, layout.delimiter)
    try:
        with _open_records(open_stream, file_format, limits) as records:
            rows = _non_blank(records)
            next(rows, None)  # the header
            for row_number, record in enumerate(rows, start=1):
                yield _source_row(row_number, record.cells, layout)
    except _StorageFailed as failure:
        raise failure.cause from None


def _scan(open_stream: OpenStream, file_name: str, limits: Limits) -> FileScan:
    file_format = _detect_format(open_stream, file_name, limits)
    try:
        return _scan_records(open_stream, file_format, limits)
    except _NotInEncoding:
        if not file_format.encoding_is_a_guess:
            raise
    as_windows = replace(file_format, encoding="cp1252", encoding_is_a_guess=False)
    return _scan_records(open_stream, as_windows, limits)


def _scan_records(open_stream: OpenStream, file_format: _Format, limits: Limits) -> FileScan:
    with _open_records(open_stream, file_format, limits) as records:
        rows = _non_blank(records)
        header = next(rows, None)
        if header is None:
            raise FileRejected(
                ErrorCode.EMPTY_FILE,
                "The file is empty (or holds only blank lines): "
                "it needs a header row and at least one product row.",
            )
        layout = _layout(file_format, header.cells)
        count = 0
        for record in rows:
            count += 1
            if count > limits.max_rows:
                raise FileRejected(
                    ErrorCode.TOO_MANY_ROWS,
                    f"The file has more than {limits.max_rows:,} product rows; split it into smaller files.",
                )
            _check_cell_sizes(count, record, layout, limits)
    if count == 0:
        raise FileRejected(ErrorCode.NO_DATA_ROWS, "The file has a header but no product rows.")
    return FileScan(layout=layout, data_rows=count, notes=_notes(layout))


def _notes(layout: FileLayout) -> tuple[str, ...]:
    notes = []
    if layout.kind == _CSV and layout.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"The file was read as {_ENCODING_NAMES.get(layout.encoding, layout.encoding)}.")
    if layout.ignored_columns:
        notes.append(f"These columns were ignored: {_listed(layout.ignored_columns)}.")
    return tuple(notes)


def _check_cell_sizes(row_number: int, record: _Record, layout: FileLayout, limits: Limits) -> None:
    for index, cell in enumerate(record.cells):
        if len(cell) <= limits.max_cell_chars:
            continue
        header = layout.header[index] if index < len(layout.header) else ""
        column = layout.columns[index] if index < len(layout.columns) else None
        hint = ""
        if "\n" in cell or "\r" in cell:
            hint = " It runs over several lines, which usually means a quote was opened and never closed."
        raise FileRejected(
            ErrorCode.CELL_TOO_LARGE,
            f"Product row {row_number:,} ({_place(layout.kind, record.line)}), "
            f"column '{_shortened(header or f'number {index + 1}')}', has {len(cell):,} characters; "
            f"a cell may have at most {limits.max_cell_chars:,}.{hint}",
            field=column or header,
        )


# -- what kind of file -------------------------------------------------------------------------


def _detect_format(open_stream: OpenStream, file_name: str, limits: Limits) -> _Format:
    """Compression, kind, encoding and delimiter, from the first bytes and the header line."""
    head = _read_head(open_stream, None, limits)
    if head.startswith(_ZIP_MAGIC) and file_name.lower().endswith(".xlsx"):
        return _Format(_XLSX, None, _XLSX, "")
    compression = _GZIP if head.startswith(_GZIP_MAGIC) else None
    if compression:
        head = _read_head(open_stream, compression, limits)
    _refuse_binary(head)
    truncated = len(head) == SAMPLE_BYTES
    encoding, is_a_guess = _detect_encoding(head, truncated)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=not truncated)
    _refuse_unprintable(sample)
    return _Format(_CSV, compression, encoding, _detect_delimiter(sample), is_a_guess)


def _read_head(open_stream: OpenStream, compression: str | None, limits: Limits) -> bytes:
    with _open_bytes(open_stream, compression, limits) as stream:
        return stream.read(SAMPLE_BYTES)


def _refuse_binary(head: bytes) -> None:
    for magic, kind in _BINARY_KINDS.items():
        if head.startswith(magic):
            raise _not_text(f"it looks like {kind}")


def _detect_encoding(head: bytes, truncated: bool) -> tuple[str, bool]:
    """The encoding, and whether it is a guess that a byte past the sample may disprove."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if b"\x00" in head:
        raise _not_text("it contains NUL bytes, as binary files (and UTF-16 without a BOM) do")
    if _is_utf8(head, truncated):
        return "utf-8", truncated and head.isascii()
    # Not UTF-8: in practice a Windows export, and Windows-1252 also reads Latin-1's letters. Whether it
    # is text at all is left to `_refuse_unprintable`: charset-normalizer, tried here, rejected valid
    # Windows-1252 and named short samples as cp1250 or EBCDIC, so it could only add false rejections.
    return "cp1252", False


def _is_utf8(head: bytes, truncated: bool) -> bool:
    """Strict UTF-8; a character cut in half at the end is fine only if the file goes on."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=not truncated)
    except UnicodeDecodeError:
        return False
    return True


def _refuse_unprintable(sample: str) -> None:
    unprintable = sum(1 for char in sample if _is_unprintable(char))
    if "\x00" in sample or unprintable * 20 > len(sample):
        raise _not_text("most of it is not printable text")


def _is_unprintable(char: str) -> bool:
    return (char < " " and char not in "\t\r\n") or char in "\x7f\ufffd"


def _not_text(reason: str) -> FileRejected:
    return FileRejected(
        ErrorCode.NOT_TEXT,
        f"The file is not a text (CSV) file: {reason}. "
        "Upload a CSV file saved as UTF-8, a .csv.gz or an .xlsx workbook.",
    )


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the header row into the most of our columns, then the most cells."""

    def score(delimiter: str) -> tuple[int, int, int]:
        header = _first_record(sample, delimiter)
        columns = {canonical_column(cell) for cell in header} - {None}
        return len(columns & set(REQUIRED_COLUMNS)), len(columns), len(header)

    scores = {delimiter: score(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=scores.__getitem__)
    # No column of ours under any delimiter: the header is shown to the vendor as written.
    return best if scores[best][1] else DELIMITERS[0]


def _first_record(sample: str, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, skipinitialspace=True)
    try:
        return next((cells for cells in reader if any(cell.strip() for cell in cells)), [])
    except csv.Error:
        return []


# -- bytes ----------------------------------------------------------------------------------------


@contextmanager
def _open_bytes(open_stream: OpenStream, compression: str | None, limits: Limits) -> Iterator[BinaryIO]:
    """The file's bytes (decompressed if need be), never more than `max_file_bytes` of them."""
    with ExitStack() as stack:
        try:
            stored = open_stream()
        except Exception as error:
            raise _StorageFailed(error) from error
        stream: BinaryIO = stack.enter_context(io.BufferedReader(_StoredBytes(stored, limits.max_file_bytes)))
        if compression == _GZIP:
            unzipping = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))
            stream = stack.enter_context(io.BufferedReader(_InflatedBytes(unzipping, limits.max_file_bytes)))
        yield stream


class _CountedBytes(io.RawIOBase):
    """A byte stream that fails the file once more than `limit` bytes came through."""

    def __init__(self, limit: int, too_large: str) -> None:
        super().__init__()
        self._limit = limit
        self._too_large = too_large
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        self._count += len(data)
        if self._count > self._limit:
            raise FileRejected(ErrorCode.FILE_TOO_LARGE, self._too_large)
        view[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        raise NotImplementedError


class _StoredBytes(_CountedBytes):
    """The file as stored; an error of the storage stream itself is marked as such."""

    def __init__(self, stored: BinaryIO, limit: int) -> None:
        super().__init__(limit, f"The file is larger than the limit of {_size(limit)}.")
        self._stored = stored

    def _read(self, size: int) -> bytes:
        try:
            return self._stored.read(size)
        except Exception as error:
            raise _StorageFailed(error) from error

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a stream we are done with is best effort
            self._stored.close()
        super().close()


class _InflatedBytes(_CountedBytes):
    """A gzip file's content; a gzip bomb fails with FILE_TOO_LARGE once past the size limit."""

    def __init__(self, unzipping: gzip.GzipFile, limit: int) -> None:
        super().__init__(limit, f"Once decompressed, the file is larger than the limit of {_size(limit)}.")
        self._unzipping = unzipping

    def _read(self, size: int) -> bytes:
        try:
            return self._unzipping.read1(size)
        except (EOFError, OSError, zlib.error) as error:
            raise FileRejected(
                ErrorCode.UNREADABLE_FILE,
                "The compressed file is damaged or cut short: compress the CSV file again and upload it.",
            ) from error

    def close(self) -> None:
        self._unzipping.close()
        super().close()


# -- records ------------------------------------------------------------------------------------


@contextmanager
def _open_records(
    open_stream: OpenStream, file_format: _Format, limits: Limits
) -> Iterator[Iterator[_Record]]:
    """The file's records as lists of strings, for CSV and xlsx alike; closes what it opened."""
    with ExitStack() as stack:
        stream = stack.enter_context(_open_bytes(open_stream, file_format.compression, limits))
        if file_format.kind == _XLSX:
            yield _xlsx_records(stack.enter_context(_open_workbook(stream, limits)))
            return
        text = stack.enter_context(
            io.TextIOWrapper(stream, encoding=file_format.encoding, errors="strict", newline="")
        )
        yield _csv_records(text, file_format, limits)


def _csv_records(text: IO[str], file_format: _Format, limits: Limits) -> Iterator[_Record]:
    lines = _Lines(text, max(_MIN_RECORD_CHARS, 2 * len(CSV_COLUMNS) * (limits.max_cell_chars + 1)))
    reader = csv.reader(lines, delimiter=file_format.delimiter, skipinitialspace=True, strict=True)
    field_limit = max(_CSV_FIELD_LIMIT_FLOOR, limits.max_cell_chars + 1)
    while True:
        start = lines.start_record()
        try:
            cells = _next_record(reader, field_limit)
        except csv.Error as error:
            raise _csv_problem(str(error), start, lines.count, limits) from error
        except UnicodeDecodeError as error:
            raise _not_in_encoding(error, lines.count, file_format.encoding) from error
        if cells is None:
            return
        yield _Record(start, cells)


def _next_record(reader: Iterator[list[str]], field_limit: int) -> list[str] | None:
    # csv's field size limit is process-wide: it is ours only while we read, so nothing else sees it.
    previous = csv.field_size_limit(field_limit)
    try:
        return next(reader, None)
    finally:
        csv.field_size_limit(previous)


class _Lines:
    """The text's lines for csv.reader, counted; a record longer than `max_chars` fails the file
    (one line of a million delimiters would otherwise become a list of a million cells)."""

    def __init__(self, text: IO[str], max_chars: int) -> None:
        self._text = text
        self._max_chars = max_chars
        self._record_chars = 0
        self._record_start = 1
        self.count = 0

    def start_record(self) -> int:
        self._record_chars = 0
        self._record_start = self.count + 1
        return self._record_start

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._max_chars - self._record_chars + 1)
        if not line:
            raise StopIteration
        self.count += 1
        self._record_chars += len(line)
        if self._record_chars > self._max_chars:
            raise FileRejected(
                ErrorCode.CELL_TOO_LARGE,
                f"The row starting on line {self._record_start:,} is longer than {self._max_chars:,} "
                "characters, far more than a product row needs: check that every quote in it is closed.",
            )
        return line


def _csv_problem(reason: str, start: int, line: int, limits: Limits) -> FileRejected:
    """What csv's complaint means for the vendor; `start` is the record's first line, `line` the last read."""
    too_long = "field larger than field limit" in reason
    if too_long and line == start:
        return FileRejected(
            ErrorCode.CELL_TOO_LARGE,
            f"Line {start:,} has a cell longer than {limits.max_cell_chars:,} characters, "
            "the most a cell may have.",
        )
    quote_rule = (
        'a quoted cell must end with " right before the delimiter or the line end, '
        'and a quote inside it is written twice ("")'
    )
    if (too_long or "expected after" in reason) and line > start:
        # A quote left open swallows the lines after it until another quote happens to close it.
        return FileRejected(
            ErrorCode.UNCLOSED_QUOTE,
            f"The quotes in the row starting on line {start:,} do not pair up, so it runs on to line "
            f"{line:,}: {quote_rule}.",
        )
    if "expected after" in reason:
        return FileRejected(
            ErrorCode.UNCLOSED_QUOTE,
            f"On line {line:,} a quoted cell has text after its closing quote: "
            f'{quote_rule}, as in "12"" screen".',
        )
    if "unexpected end of data" in reason:
        return FileRejected(
            ErrorCode.UNCLOSED_QUOTE,
            f"A quote opened in the row starting on line {start:,} is never closed: {quote_rule}.",
        )
    return FileRejected(ErrorCode.UNREADABLE_FILE, f"Line {line:,} could not be read as CSV ({reason}).")


def _not_in_encoding(error: UnicodeDecodeError, lines_read: int, encoding: str) -> FileRejected:
    # The decoder fails on a whole chunk read ahead of the csv reader: count the line breaks
    # before the bad byte to name its line.
    before = error.object[: error.start]
    line = lines_read + 1 + max(before.count(b"\n"), before.count(b"\r"))
    return _NotInEncoding(
        ErrorCode.UNREADABLE_FILE,
        f"The file stops being valid {_ENCODING_NAMES.get(encoding, encoding)} text near line {line:,}: "
        "save the whole file as UTF-8 and upload it again.",
    )


@contextmanager
def _open_workbook(stream: BinaryIO, limits: Limits) -> Iterator[Workbook]:
    """The workbook, read-only. openpyxl needs a seekable file: the stream is spooled first."""
    import openpyxl  # imported here: it is slow to import and most files are CSV

    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        shutil.copyfileobj(stream, spool)  # `stream` enforces max_file_bytes
        _refuse_oversized_workbook(spool, limits)
        spool.seek(0)
        try:
            workbook = openpyxl.load_workbook(spool, read_only=True, data_only=True)
        except Exception as error:
            raise _unreadable_workbook() from error
        try:
            yield workbook
        finally:
            workbook.close()


def _refuse_oversized_workbook(spool: IO[bytes], limits: Limits) -> None:
    """A zip bomb: the sizes the archive declares bound what unpacking it can produce."""
    try:
        with zipfile.ZipFile(spool) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except Exception as error:
        raise _unreadable_workbook() from error
    if unpacked > limits.max_file_bytes * _XLSX_EXPANSION:
        raise FileRejected(
            ErrorCode.FILE_TOO_LARGE,
            f"Unpacked, the workbook is {_size(unpacked)}, more than a catalog within our limits can be: "
            "split it into smaller files.",
        )


def _xlsx_records(workbook: Workbook) -> Iterator[_Record]:
    """The first sheet's rows."""
    try:
        sheet = workbook.worksheets[0]
        # Rows exactly as stored: a sheet's declared size may claim a million empty rows and columns.
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield _Record(line, [_cell_text(value) for value in values])
    except Exception as error:
        raise _unreadable_workbook() from error


def _unreadable_workbook() -> FileRejected:
    return FileRejected(
        ErrorCode.UNREADABLE_FILE,
        "The workbook could not be read: open it in Excel, save it again as .xlsx and upload it again.",
    )


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would have written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Plain decimals, never scientific notation: 19.99 -> "19.99", 120.0 -> "120", 1e-05 -> "0.00001".
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()  # Excel stores a date as a datetime at midnight
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _non_blank(records: Iterator[_Record]) -> Iterator[_Record]:
    """Records with at least one non-blank cell (spreadsheets leave empty rows behind)."""
    return (record for record in records if any(cell.strip() for cell in record.cells))


# -- header and rows ----------------------------------------------------------------------------


def _layout(file_format: _Format, header_cells: list[str]) -> FileLayout:
    header = [cell.strip().lstrip("\ufeff").strip() for cell in header_cells]
    while header and not header[-1]:  # a trailing delimiter, or a spreadsheet's empty columns
        header.pop()
    columns = tuple(canonical_column(cell) if cell else None for cell in header)
    _check_duplicate_columns(header, columns)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FileRejected(
            ErrorCode.MISSING_COLUMNS,
            f"The header is missing the required column(s): {', '.join(missing)}. "
            f"The header read was: {_listed([h for h in header if h]) or '(nothing)'}.",
            field=",".join(missing),
        )
    return FileLayout(
        file_format.kind, file_format.compression, file_format.encoding, file_format.delimiter,
        tuple(header), columns,
    )


def _check_duplicate_columns(header: list[str], columns: tuple[str | None, ...]) -> None:
    """Two header cells naming the same column (directly, or through an alias or a case change)."""
    names: dict[str, list[str]] = {}
    for cell, column in zip(header, columns, strict=True):
        if cell:
            names.setdefault(column or normalize_header(cell) or cell, []).append(cell)
    repeated = {key: cells for key, cells in names.items() if len(cells) > 1}
    if repeated:
        described = "; ".join(
            f"{' and '.join(repr(_shortened(cell)) for cell in cells)} (both {_shortened(key)})"
            for key, cells in list(repeated.items())[:_LISTED_NAMES]
        )
        raise FileRejected(
            ErrorCode.DUPLICATE_COLUMNS,
            f"The header names the same column more than once: {described}. Keep only one of each.",
            field=",".join(repeated),
        )


def _source_row(row_number: int, cells: list[str], layout: FileLayout) -> SourceRow:
    width = len(layout.columns)
    end = len(cells)
    while end > width and not cells[end - 1].strip():  # a trailing delimiter, not a misaligned row
        end -= 1
    cells = cells[:end]
    if layout.kind == _XLSX and len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    problems: tuple[RowError, ...] = ()
    if len(cells) != width:
        message = _wrong_count(len(cells), width, layout)
        problems = (RowError(row_number, "", ErrorCode.WRONG_FIELD_COUNT, message),)
    data = {
        column: cell.strip()
        for column, cell in zip(layout.columns, cells, strict=False)
        if column is not None
    }
    return SourceRow(row_number=row_number, cells=tuple(cells), product_data=data, problems=problems)


# -- wording ------------------------------------------------------------------------------------


def _place(kind: str, line: int) -> str:
    return f"row {line:,} of the sheet" if kind == _XLSX else f"line {line:,} of the file"


def _wrong_count(cells: int, width: int, layout: FileLayout) -> str:
    counts = f"This row has {cells} cells but the header has {width}"
    if layout.kind == _XLSX:
        return f"{counts}: a value sits in a column without a header."
    delimiter = "tab" if layout.delimiter == "\t" else f"'{layout.delimiter}'"
    return f"{counts}: check for a missing value, or a {delimiter} inside a value that is not in quotes."


def _listed(names: Sequence[str]) -> str:
    shown = [_shortened(name) for name in names[:_LISTED_NAMES]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _shortened(name: str) -> str:
    return name if len(name) <= _SHOWN_NAME_CHARS else name[: _SHOWN_NAME_CHARS - 1] + "…"


def _size(count: int) -> str:
    return f"{count / 1_048_576:,.1f} MB" if count >= 1_048_576 else f"{count:,} bytes"
