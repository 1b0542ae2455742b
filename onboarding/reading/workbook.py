"""An .xlsx workbook's first sheet as records. openpyxl needs a seekable file: the stream is spooled first."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file.layout import Limits, Record
from onboarding.domain.source_file.wording import size, unreadable_workbook

if TYPE_CHECKING:
    from openpyxl import Workbook

MAX_WORKBOOK_COLUMNS = 1024  # cells read per row: far past any catalog's header (the domain cuts closer to it)
_XLSX_EXPANSION = 4  # a workbook within our row limit unpacks to far less than 4x the size limit
_SPOOL_IN_MEMORY = 8 * 1024 * 1024


@contextmanager
def open_workbook(stream: BinaryIO, limits: Limits) -> Iterator[Workbook]:
    """The workbook, read-only."""
    import openpyxl  # imported here: it is slow to import and most files are CSV

    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        shutil.copyfileobj(stream, spool)  # `stream` enforces max_file_bytes
        _refuse_oversized_workbook(spool, limits)
        spool.seek(0)
        try:
            workbook = openpyxl.load_workbook(spool, read_only=True, data_only=True)
        except Exception as error:
            raise unreadable_workbook() from error
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
        raise unreadable_workbook() from error
    if unpacked > limits.max_file_bytes * _XLSX_EXPANSION:
        raise FileRejected(
            ErrorCode.FILE_TOO_LARGE,
            f"Unpacked, the workbook is {size(unpacked)}, more than a catalog within our limits can be: "
            "split it into smaller files.",
        )


def other_sheets(workbook: Workbook) -> tuple[str, ...]:
    """The sheets that are not read (only the first one is)."""
    return tuple(workbook.sheetnames[1:])


def xlsx_records(workbook: Workbook) -> Iterator[Record]:
    """The first sheet's rows exactly as stored, not as the sheet's declared size claims (it may claim a million
    rows and columns): rows the sheet skips come back blank; a formula saved without its value is marked (to
    openpyxl it is an empty cell); cells past MAX_WORKBOOK_COLUMNS are counted, never materialised (a row
    whose last cell is in column XFD would otherwise be 16,384 values)."""
    try:
        yield from _sheet_records(workbook, workbook.worksheets[0])
    except Exception as error:
        raise unreadable_workbook() from error


def _sheet_records(workbook: Any, sheet: Any) -> Iterator[Record]:
    # openpyxl's read-only sheet reads its rows through this same parser (ReadOnlyWorksheet._cells_by_row),
    # padding each to its last cell; here the parser marks formulas without a value, and rows are not padded.
    with sheet._get_source() as source:
        parser = _value_parser()(
            source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
            date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
        )
        expected = 1
        for line, cells in parser.parse():
            for skipped in range(expected, line):
                yield Record(skipped, [])
            expected = line + 1
            yield _record(line, cells)


def _record(line: int, cells: list[dict[str, Any]]) -> Record:
    texts: dict[int, str] = {}
    uncalculated: list[int] = []
    cut = 0
    for cell in cells:
        index, value = int(cell["column"]) - 1, cell["value"]
        if index >= MAX_WORKBOOK_COLUMNS:
            cut += value is not None
            continue
        if value is _UNCALCULATED:
            uncalculated.append(index)
            value = None
        texts[index] = _cell_text(value)
    row = [""] * (max(texts, default=-1) + 1)
    for index, text in texts.items():
        row[index] = text
    return Record(line, row, tuple(uncalculated), cut)


_UNCALCULATED = object()


@cache
def _value_parser() -> Any:
    """openpyxl's sheet parser, reading cached values, that marks a formula cell with no cached value (a
    workbook written by a program that does not calculate) instead of reading it as empty."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class ValueParser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            # No cached value: no <v>, or an empty one on a cell that is not a text result (openpyxl and
            # other writers that do not calculate save `<f>2*5</f><v/>`; Excel saves "" as t="str").
            if (
                cell["value"] is None
                and element.find(FORMULA_TAG) is not None
                and not element.findtext(VALUE_TAG)
                and element.get("t") != "str"
            ):
                cell["value"] = _UNCALCULATED
            return cell

    return ValueParser


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
