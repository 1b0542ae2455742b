"""A file's header mapped to our columns, and its records turned into rows keyed by our column names.

Decisions worth knowing:
- Empty cells past the header's width (a trailing delimiter) are dropped, not a wrong field count;
  so are empty header cells at the end. A short spreadsheet row is padded: xlsx does not store
  empty cells at the end of a row.
- Header names are matched in any case, with spaces or underscores, or through a known alias; two
  header cells naming the same column fail the file.
- The error report's formula guard (`'=...`) is removed from every cell and header cell, so a fixed
  report uploaded as it is stores the vendor's own values; its bookkeeping columns are skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from onboarding.domain.columns import REQUIRED_COLUMNS, canonical_column, is_report_column, normalize_header
from onboarding.domain.errors import ErrorCode, FileRejected, RowError
from onboarding.domain.formula_guard import unguard_cell
from onboarding.domain.source_file.sniffing import CSV, XLSX, Format
from onboarding.domain.source_file.wording import (
    ENCODING_NAMES,
    LISTED_NAMES,
    listed,
    place,
    shortened,
    wrong_count,
)

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
    encoding: str  # a Python codec name, or "xlsx" for a workbook
    delimiter: str  # "" for a workbook
    header: tuple[str, ...]  # the vendor's header cells, as written (trimmed)
    columns: tuple[str | None, ...]  # our column for each header cell; None = ignored

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        return tuple(
            h for h, c in zip(self.header, self.columns, strict=True) if c is None and h and not is_report_column(h)
        )

    @property
    def format(self) -> Format:
        return Format(self.kind, self.compression, self.encoding, self.delimiter)


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


class Record(NamedTuple):
    line: int  # where the record starts: the text line, or the sheet row
    cells: list[str]


def non_blank(records: Iterator[Record]) -> Iterator[Record]:
    """Records with at least one non-blank cell (spreadsheets leave empty rows behind)."""
    return (record for record in records if any(cell.strip() for cell in record.cells))


def layout_of(file_format: Format, header_cells: list[str]) -> FileLayout:
    header = [unguard_cell(cell.strip().lstrip("\ufeff").strip()) for cell in header_cells]
    while header and not header[-1]:  # a trailing delimiter, or a spreadsheet's empty columns
        header.pop()
    columns = tuple(canonical_column(cell) if cell else None for cell in header)
    _check_duplicate_columns(header, columns)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FileRejected(
            ErrorCode.MISSING_COLUMNS,
            f"The header is missing the required column(s): {', '.join(missing)}. "
            f"The header read was: {listed([h for h in header if h]) or '(nothing)'}.",
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
            f"{' and '.join(repr(shortened(cell)) for cell in cells)} (both {shortened(key)})"
            for key, cells in list(repeated.items())[:LISTED_NAMES]
        )
        raise FileRejected(
            ErrorCode.DUPLICATE_COLUMNS,
            f"The header names the same column more than once: {described}. Keep only one of each.",
            field=",".join(repeated),
        )


def notes_on(layout: FileLayout) -> tuple[str, ...]:
    notes = []
    if layout.kind == CSV and layout.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"The file was read as {ENCODING_NAMES.get(layout.encoding, layout.encoding)}.")
    if layout.ignored_columns:
        notes.append(f"These columns were ignored: {listed(layout.ignored_columns)}.")
    return tuple(notes)


def check_cell_sizes(row_number: int, record: Record, layout: FileLayout, limits: Limits) -> None:
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
            f"Product row {row_number:,} ({place(layout.kind, record.line)}), "
            f"column '{shortened(header or f'number {index + 1}')}', has {len(cell):,} characters; "
            f"a cell may have at most {limits.max_cell_chars:,}.{hint}",
            field=column or header,
        )


def source_row(row_number: int, cells: list[str], layout: FileLayout) -> SourceRow:
    cells = [unguard_cell(cell) for cell in cells]
    width = len(layout.columns)
    end = len(cells)
    while end > width and not cells[end - 1].strip():  # a trailing delimiter, not a misaligned row
        end -= 1
    cells = cells[:end]
    if layout.kind == XLSX and len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    problems: tuple[RowError, ...] = ()
    if len(cells) != width:
        message = wrong_count(len(cells), width, layout.kind, layout.delimiter)
        problems = (RowError(row_number, "", ErrorCode.WRONG_FIELD_COUNT, message),)
    data = {
        column: cell.strip()
        for column, cell in zip(layout.columns, cells, strict=False)
        if column is not None
    }
    return SourceRow(row_number=row_number, cells=tuple(cells), product_data=data, problems=problems)
