"""A file's header mapped to our columns, and its records turned into rows keyed by our column names.

Decisions worth knowing:
- Empty cells past the header's width (a trailing delimiter) are dropped, not a wrong field count;
  so are empty header cells at the end. A short spreadsheet row is padded: xlsx does not store
  empty cells at the end of a row.
- Header names are matched in any case, with spaces or underscores, or through a known alias; two
  header cells naming the same column fail the file.
- The error report's formula guard (`'=...`) is removed from every cell and header cell, so a fixed
  report uploaded as it is stores the vendor's own values; its bookkeeping columns are skipped silently.
- What the stores behind the reader cannot carry is refused here, row by row, never left to fail a whole
  batch downstream: a cell with NUL or another control character (`INVALID_CHARACTER`, the cell is stored
  with U+FFFD in its place), a row larger than a stored row may be (`ROW_TOO_LARGE`, stored cut short).
- Workbook rows are cut EXTRA_CELLS_KEPT cells past the header's last column (one value in column XFD would
  make every row 16,384 cells); the cut is counted and told once, in a note. Blank rows count toward a limit.
- SKUs are compared in Unicode NFKC form (fullwidth letters and digits are the ASCII ones) and case-sensitively (`abc-1`
  and `ABC-1` are two SKUs, as in the catalog's unique index); one holding an invisible format character
  (zero-width space or joiner, word joiner, BOM, bidi control) is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from onboarding.domain.characters import carried, described, first_invisible, first_uncarried
from onboarding.domain.columns import (
    ACTION_COLUMN,
    REQUIRED_COLUMNS,
    canonical_column,
    is_report_column,
    normalize_header,
)
from onboarding.domain.errors import ErrorCode, FileRejected, RowError
from onboarding.domain.formula_guard import unguard_cell
from onboarding.domain.publishable import quoted
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

EXTRA_CELLS_KEPT = 10  # workbook cells kept past the header's last column (enough to show a misaligned row)
# A row's cells and values together, in UTF-8: far under DynamoDB's 400 KB item (which holds both) and the
# error queue's 256 KB message (which holds the cells of a failed row).
MAX_STORED_ROW_BYTES = 128 * 1024
_KEPT_CHARS_OF_A_TOO_LARGE_ROW = 100  # per cell: enough for the report to show which row it was
_KEPT_BYTES_OF_A_TOO_LARGE_ROW = 16 * 1024
_STORED_BYTES_PER_VALUE = 4  # what DynamoDB and JSON add per list element or map entry, about
_IDENTIFIERS = ("sku",)  # compared in NFKC form; an invisible character in one is refused


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
    uncalculated: tuple[int, ...] = ()  # a workbook's cells (indexes) that are formulas saved without a value
    cut: int = 0  # values left out past the last column read (a workbook's far-off cells)


def non_blank(records: Iterator[Record], limits: Limits) -> Iterator[Record]:
    """Records with at least one non-blank cell (spreadsheets leave empty rows behind). Blank ones count
    toward a limit too: a small workbook can hold millions of empty rows, each costing time to read."""
    blank = 0
    for record in records:
        if record.uncalculated or any(cell.strip() for cell in record.cells):
            yield record
            continue
        blank += 1
        if blank > limits.max_rows:
            raise FileRejected(
                ErrorCode.TOO_MANY_ROWS,
                f"The file has more than {limits.max_rows:,} blank rows, and blank rows count toward the limit "
                "too: delete the empty rows (or copy the products to a new file) and upload it again.",
            )


def layout_of(
    file_format: Format, header_cells: list[str], required_columns: Sequence[str] = REQUIRED_COLUMNS
) -> FileLayout:
    header = [unguard_cell(cell.strip().lstrip("\ufeff").strip()) for cell in header_cells]
    while header and not header[-1]:  # a trailing delimiter, or a spreadsheet's empty columns
        header.pop()
    _refuse_uncarried_header(header)
    columns = tuple(canonical_column(cell) if cell else None for cell in header)
    _check_duplicate_columns(header, columns)
    if ACTION_COLUMN in columns:
        # Delete rows need only the id: the other required fields are then checked per row that creates.
        required_columns = [name for name in required_columns if name == "vendor_product_id"]
    missing = [name for name in required_columns if name not in columns]
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


def _refuse_uncarried_header(header: list[str]) -> None:
    for index, cell in enumerate(header):
        bad = first_uncarried(cell)
        if bad is not None:
            raise FileRejected(
                ErrorCode.INVALID_CHARACTER,
                f"Header cell {index + 1} holds a character no catalog or email can carry ({described(bad)}): "
                "retype the header without it and upload the file again.",
                field=carried(shortened(cell)),
            )


def notes_on(
    layout: FileLayout, other_sheets: Sequence[str] = (), cut: WorkbookCut | None = None
) -> tuple[str, ...]:
    notes = []
    if layout.kind == CSV and layout.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"The file was read as {ENCODING_NAMES.get(layout.encoding, layout.encoding)}.")
    if layout.ignored_columns:
        notes.append(f"These columns were ignored: {listed(layout.ignored_columns)}.")
    if other_sheets:
        notes.append(f"Only the workbook's first sheet was read; these sheets were ignored: {listed(other_sheets)}.")
    if cut is not None and cut.rows:
        notes.append(
            f"{cut.rows:,} rows had {cut.values:,} values more than {EXTRA_CELLS_KEPT} columns past the header's "
            "last column; those values were left out (the rows are reported with a wrong field count)."
        )
    return tuple(notes)


@dataclass
class WorkbookCut:
    """Counts the values left out of a workbook's rows past the columns kept (`source_row` cuts them)."""

    rows: int = 0
    values: int = 0

    def count(self, record: Record, layout: FileLayout) -> None:
        kept = len(layout.columns) + EXTRA_CELLS_KEPT
        values = record.cut + sum(1 for cell in record.cells[kept:] if cell.strip())
        if values:
            self.rows += 1
            self.values += values


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


def source_row(row_number: int, record: Record, layout: FileLayout) -> SourceRow:
    cells = [unguard_cell(cell) for cell in record.cells]
    width = len(layout.columns)
    left_out = 0
    if layout.kind == XLSX:
        kept = width + EXTRA_CELLS_KEPT
        left_out = record.cut + sum(1 for cell in cells[kept:] if cell.strip())
        cells = cells[:kept]
    end = len(cells)
    while end > width and not cells[end - 1].strip():  # a trailing delimiter, not a misaligned row
        end -= 1
    cells = cells[:end]
    if layout.kind == XLSX and len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    problems: list[RowError] = []
    if len(cells) != width or left_out:
        message = wrong_count(len(cells) + left_out, width, layout.kind, layout.delimiter)
        problems.append(RowError(row_number, "", ErrorCode.WRONG_FIELD_COUNT, message))
    problems += _uncalculated(row_number, record, len(cells), layout)
    cells, refused = _carried_cells(row_number, cells, layout)
    problems += refused
    data = {
        column: cell.strip()
        for column, cell in zip(layout.columns, cells, strict=False)
        if column is not None
    }
    problems += _identifiers(row_number, data, refused)
    stored = _stored_size(cells, data)
    if stored > MAX_STORED_ROW_BYTES:
        return _too_large(row_number, cells, stored)
    return SourceRow(row_number=row_number, cells=tuple(cells), product_data=data, problems=tuple(problems))


def _column_of(index: int, layout: FileLayout) -> tuple[str, str]:
    """The field a cell's error names (our column, else the vendor's header), and how a message names it."""
    if index >= len(layout.header):
        return "", f"number {index + 1} (past the header)"
    header = layout.header[index]
    return layout.columns[index] or header, f"'{shortened(header)}'"


def _carried_cells(row_number: int, cells: list[str], layout: FileLayout) -> tuple[list[str], list[RowError]]:
    """Cells with what no store or email can carry replaced, and one INVALID_CHARACTER per such cell."""
    errors: list[RowError] = []
    for index, cell in enumerate(cells):
        bad = first_uncarried(cell)
        if bad is None:
            continue
        field, named = _column_of(index, layout)
        errors.append(RowError(
            row_number, field, ErrorCode.INVALID_CHARACTER,
            f"The value in column {named} holds a control character ({described(bad)}), which no catalog or "
            "email can carry: retype the value without it.",
        ))
        cells = [*cells[:index], carried(cell), *cells[index + 1:]]
    return cells, errors


def _identifiers(row_number: int, data: dict[str, str], refused: list[RowError]) -> list[RowError]:
    """SKUs in NFKC form (in `data`, which the rules and the catalog compare; the cells keep what was written);
    an invisible character in one is refused."""
    errors: list[RowError] = []
    for column in _IDENTIFIERS:
        value = data.get(column)
        if not value:
            continue
        invisible = first_invisible(value)
        if invisible is not None and not any(e.field == column for e in refused):
            errors.append(RowError(
                row_number, column, ErrorCode.INVALID_CHARACTER,
                f"The {column} holds an invisible character ({described(invisible)}), so it would look like "
                "another SKU while being different: retype it.",
            ))
        data[column] = unicodedata.normalize("NFKC", value)
    return errors


def _uncalculated(row_number: int, record: Record, width: int, layout: FileLayout) -> list[RowError]:
    errors = []
    for index in record.uncalculated:
        if index < width:
            field, named = _column_of(index, layout)
            errors.append(RowError(
                row_number, field, ErrorCode.UNCALCULATED_FORMULA,
                f"The cell in column {named} is a formula saved without its value: open the workbook in a "
                "spreadsheet program (Excel, LibreOffice, Google Sheets), let it calculate, save it, and upload "
                "it again.",
            ))
    return errors


def _too_large(row_number: int, cells: list[str], stored: int) -> SourceRow:
    """The row, cut short so that it can be stored and reported, with its one error."""
    message = (
        f"This row holds {stored / 1024:,.0f} KB of text, more than a row may ({MAX_STORED_ROW_BYTES // 1024} KB): "
        "shorten its longest values (usually the description) and upload it again."
    )
    kept: list[str] = []
    for cell in cells:
        kept.append(quoted(cell, _KEPT_CHARS_OF_A_TOO_LARGE_ROW))
        if _stored_size(kept, {}) > _KEPT_BYTES_OF_A_TOO_LARGE_ROW:
            break
    return SourceRow(row_number, tuple(kept), {}, (RowError(row_number, "", ErrorCode.ROW_TOO_LARGE, message),))


def _stored_size(cells: Sequence[str], data: dict[str, str]) -> int:
    """About what storing the row costs: its text in UTF-8, and a little per value (a million empty cells are
    not free)."""
    text = sum(len(cell.encode()) for cell in cells) + sum(len(value.encode()) for value in data.values())
    return text + _STORED_BYTES_PER_VALUE * (len(cells) + len(data))
