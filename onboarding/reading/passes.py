"""The two passes over a stored file: `scan_file` checks it whole, `read_rows` yields its rows.

A byte that is not in the encoding chosen from the first 64 KiB fails the file with its line, even when
those 64 KiB were plain ASCII (re-reading the file as Windows-1252 would silently corrupt a UTF-8 file
with one stray byte).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from onboarding.domain.columns import REQUIRED_COLUMNS
from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file.layout import (
    FileScan,
    Limits,
    OpenStream,
    Record,
    SourceRow,
    WorkbookCut,
    check_cell_sizes,
    layout_of,
    non_blank,
    notes_on,
    source_row,
)
from onboarding.domain.source_file.sniffing import (
    SAMPLE_BYTES,
    XLSX,
    Format,
    compression_of,
    is_workbook,
    text_format,
)
from onboarding.reading.csv_records import csv_records
from onboarding.reading.streams import StorageFailed, open_bytes
from onboarding.reading.workbook import open_workbook, other_sheets, xlsx_records


def scan_file(
    open_stream: OpenStream, file_name: str, limits: Limits, required_columns: Sequence[str] = REQUIRED_COLUMNS
) -> FileScan:
    """Check the whole file and count its data rows. Raises `FileRejected` for an unusable file.

    `required_columns`: what the header must name (fewer for the import modes that never create from the
    file alone)."""
    try:
        return _scan(open_stream, file_name, limits, required_columns)
    except FileRejected:
        raise
    except StorageFailed as failure:
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
    try:
        with _open_records(open_stream, layout.format, limits) as (records, _):
            rows = non_blank(records, limits)
            next(rows, None)  # the header
            for row_number, record in enumerate(rows, start=1):
                yield source_row(row_number, record, layout)
    except StorageFailed as failure:
        raise failure.cause from None


def _scan(open_stream: OpenStream, file_name: str, limits: Limits, required_columns: Sequence[str]) -> FileScan:
    return _scan_records(open_stream, _detect_format(open_stream, file_name, limits), limits, required_columns)


def _scan_records(
    open_stream: OpenStream, file_format: Format, limits: Limits, required_columns: Sequence[str]
) -> FileScan:
    with _open_records(open_stream, file_format, limits) as (records, sheets_ignored):
        rows = non_blank(records, limits)
        header = next(rows, None)
        if header is None:
            raise FileRejected(
                ErrorCode.EMPTY_FILE,
                "The file is empty (or holds only blank lines): "
                "it needs a header row and at least one product row.",
            )
        layout = layout_of(file_format, header.cells, required_columns)
        cut = WorkbookCut()
        count = 0
        for record in rows:
            count += 1
            if count > limits.max_rows:
                raise FileRejected(
                    ErrorCode.TOO_MANY_ROWS,
                    f"The file has more than {limits.max_rows:,} product rows; split it into smaller files.",
                )
            check_cell_sizes(count, record, layout, limits)
            if file_format.kind == XLSX:
                cut.count(record, layout)
    if count == 0:
        raise FileRejected(ErrorCode.NO_DATA_ROWS, "The file has a header but no product rows.")
    return FileScan(layout=layout, data_rows=count, notes=notes_on(layout, sheets_ignored, cut))


def _detect_format(open_stream: OpenStream, file_name: str, limits: Limits) -> Format:
    """Compression, kind, encoding and delimiter, from the first bytes and the header line."""
    head = _read_head(open_stream, None, limits)
    if is_workbook(head, file_name):
        return Format(XLSX, None, XLSX, "")
    compression = compression_of(head)
    if compression:
        head = _read_head(open_stream, compression, limits)
    return text_format(head, compression)


def _read_head(open_stream: OpenStream, compression: str | None, limits: Limits) -> bytes:
    with open_bytes(open_stream, compression, limits.max_file_bytes) as stream:
        return stream.read(SAMPLE_BYTES)


@contextmanager
def _open_records(
    open_stream: OpenStream, file_format: Format, limits: Limits
) -> Iterator[tuple[Iterator[Record], tuple[str, ...]]]:
    """The file's records as lists of strings, for CSV and xlsx alike, and the names of a workbook's sheets
    that are not read; closes what it opened."""
    with ExitStack() as stack:
        stream = stack.enter_context(open_bytes(open_stream, file_format.compression, limits.max_file_bytes))
        if file_format.kind == XLSX:
            workbook = stack.enter_context(open_workbook(stream, limits))
            yield xlsx_records(workbook), other_sheets(workbook)
            return
        text = stack.enter_context(
            io.TextIOWrapper(stream, encoding=file_format.encoding, errors="strict", newline="")
        )
        yield csv_records(text, file_format, limits), ()
