"""A CSV file's records, read strictly.

- A quote inside an unquoted cell (`12" screen`) is kept as written. Text after a closing quote
  (`"12" screen"`) fails the file as UNCLOSED_QUOTE: a lenient reader would silently glue the pieces
  into a different value.
- Spaces after a delimiter are skipped, so `P-1, "Mouse, wireless"` reads as two cells.
- A record longer than any product row could be fails the file before it fills memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file.layout import Limits, Record
from onboarding.domain.source_file.sniffing import Format
from onboarding.domain.source_file.wording import csv_problem, not_in_encoding

_CSV_FIELD_LIMIT_FLOOR = 131_072  # the csv module's default: cells up to it get a precise message
_MIN_RECORD_CHARS = 1024 * 1024


def csv_records(text: IO[str], file_format: Format, limits: Limits) -> Iterator[Record]:
    lines = _Lines(text, max(_MIN_RECORD_CHARS, 2 * len(CSV_COLUMNS) * (limits.max_cell_chars + 1)))
    reader = csv.reader(lines, delimiter=file_format.delimiter, skipinitialspace=True, strict=True)
    field_limit = max(_CSV_FIELD_LIMIT_FLOOR, limits.max_cell_chars + 1)
    while True:
        start = lines.start_record()
        try:
            cells = _next_record(reader, field_limit)
        except csv.Error as error:
            raise csv_problem(str(error), start, lines.count, limits.max_cell_chars) from error
        except UnicodeDecodeError as error:
            raise not_in_encoding(error, lines.count, file_format.encoding) from error
        if cells is None:
            return
        yield Record(start, cells)


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
