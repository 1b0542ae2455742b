"""What we tell the vendor about their file: places, counts, sizes, and what the csv reader's complaints mean."""

from __future__ import annotations

from collections.abc import Sequence

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file.sniffing import XLSX

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (cp1252)",
}
LISTED_NAMES = 10
_SHOWN_NAME_CHARS = 60


def place(kind: str, line: int) -> str:
    return f"row {line:,} of the sheet" if kind == XLSX else f"line {line:,} of the file"


def wrong_count(cells: int, width: int, kind: str, delimiter: str) -> str:
    counts = f"This row has {cells} cells but the header has {width}"
    if kind == XLSX:
        return f"{counts}: a value sits in a column without a header."
    named = "tab" if delimiter == "\t" else f"'{delimiter}'"
    return f"{counts}: check for a missing value, or a {named} inside a value that is not in quotes."


def listed(names: Sequence[str]) -> str:
    shown = [shortened(name) for name in names[:LISTED_NAMES]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def shortened(name: str) -> str:
    return name if len(name) <= _SHOWN_NAME_CHARS else name[: _SHOWN_NAME_CHARS - 1] + "…"


def size(count: int) -> str:
    return f"{count / 1_048_576:,.1f} MB" if count >= 1_048_576 else f"{count:,} bytes"


def csv_problem(reason: str, start: int, line: int, max_cell_chars: int) -> FileRejected:
    """What csv's complaint means for the vendor; `start` is the record's first line, `line` the last read."""
    too_long = "field larger than field limit" in reason
    if too_long and line == start:
        return FileRejected(
            ErrorCode.CELL_TOO_LARGE,
            f"Line {start:,} has a cell longer than {max_cell_chars:,} characters, "
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


def not_in_encoding(error: UnicodeDecodeError, lines_read: int, encoding: str) -> FileRejected:
    # The decoder fails on a whole chunk read ahead of the csv reader: count the line breaks
    # before the bad byte to name its line.
    before = error.object[: error.start]
    line = lines_read + 1 + max(before.count(b"\n"), before.count(b"\r"))
    return FileRejected(
        ErrorCode.UNREADABLE_FILE,
        f"The file stops being valid {ENCODING_NAMES.get(encoding, encoding)} text near line {line:,}: "
        "save the whole file as UTF-8 and upload it again.",
    )


def unreadable_workbook() -> FileRejected:
    return FileRejected(
        ErrorCode.UNREADABLE_FILE,
        "The workbook could not be read: open it in Excel, save it again as .xlsx and upload it again.",
    )
