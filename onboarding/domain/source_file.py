"""Reading a vendor's catalog file: from bytes to rows keyed by our column names.

Two passes, both streaming, so memory stays flat whatever the file's size:
`scan_file` checks the whole file's structure (and counts its rows) before anything is written,
so a broken file fails as a whole; `read_rows` then yields the rows for the pipeline.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from onboarding.domain.columns import REQUIRED_COLUMNS, canonical_column
from onboarding.domain.errors import ErrorCode, FileRejected, RowError

OpenStream = Callable[[], BinaryIO]
"""Opens the file again from its start (each pass reads it once)."""


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


def scan_file(open_stream: OpenStream, file_name: str, limits: Limits) -> FileScan:
    """Check the whole file and count its data rows. Raises `FileRejected` for an unusable file."""
    with open_stream() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header_cells = next(reader)
        except StopIteration:
            raise FileRejected(ErrorCode.EMPTY_FILE, "The file is empty.") from None
        layout = _layout(tuple(c.strip() for c in header_cells))
        rows = sum(1 for cells in reader if any(c.strip() for c in cells))
    if rows == 0:
        raise FileRejected(ErrorCode.NO_DATA_ROWS, "The file has a header but no product rows.")
    if rows > limits.max_rows:
        raise FileRejected(
            ErrorCode.TOO_MANY_ROWS, f"The file has {rows} rows; the limit is {limits.max_rows}."
        )
    return FileScan(layout=layout, data_rows=rows)


def read_rows(open_stream: OpenStream, scan: FileScan, limits: Limits) -> Iterator[SourceRow]:
    """Yield every data row of a file that `scan_file` accepted."""
    layout = scan.layout
    with open_stream() as raw:
        text = io.TextIOWrapper(raw, encoding=layout.encoding, newline="")
        reader = csv.reader(text, delimiter=layout.delimiter)
        next(reader)
        row_number = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row_number += 1
            yield _source_row(row_number, tuple(cells), layout)


def _layout(header: tuple[str, ...]) -> FileLayout:
    columns = tuple(canonical_column(cell) for cell in header)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FileRejected(
            ErrorCode.MISSING_COLUMNS,
            f"The header is missing the required column(s): {', '.join(missing)}.",
            field=",".join(missing),
        )
    return FileLayout(
        kind="csv", compression=None, encoding="utf-8-sig", delimiter=",", header=header, columns=columns
    )


def _source_row(row_number: int, cells: tuple[str, ...], layout: FileLayout) -> SourceRow:
    problems: tuple[RowError, ...] = ()
    if len(cells) != len(layout.columns):
        problems = (
            RowError(
                row_number,
                "",
                ErrorCode.WRONG_FIELD_COUNT,
                f"This row has {len(cells)} fields but the header has {len(layout.columns)}; "
                "check for an unquoted delimiter or a missing value.",
            ),
        )
    data = {
        column: cell.strip()
        for column, cell in zip(layout.columns, cells, strict=False)
        if column is not None
    }
    return SourceRow(row_number=row_number, cells=cells, product_data=data, problems=problems)
