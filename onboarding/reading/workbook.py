"""An .xlsx workbook's first sheet as records. openpyxl needs a seekable file: the stream is spooled first."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, TYPE_CHECKING, BinaryIO

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file.layout import Limits, Record
from onboarding.domain.source_file.wording import size, unreadable_workbook

if TYPE_CHECKING:
    from openpyxl import Workbook

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


def xlsx_records(workbook: Workbook) -> Iterator[Record]:
    """The first sheet's rows."""
    try:
        sheet = workbook.worksheets[0]
        # Rows exactly as stored: a sheet's declared size may claim a million empty rows and columns.
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield Record(line, [_cell_text(value) for value in values])
    except Exception as error:
        raise unreadable_workbook() from error


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
