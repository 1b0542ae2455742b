"""Properties of the reader over arbitrary input and random (valid) dialects."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.errors import FileRejected
from onboarding.domain.source_file import Limits, read_rows, scan_file

LIMITS = Limits(max_file_bytes=1_000_000, max_rows=500, max_cell_chars=2_000)
# Text that Windows-1252 can hold too, so one strategy serves every encoding.
CELL_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ 019,;|\t\"'\n-_.é€ü")), min_size=1, max_size=20
).filter(lambda s: s.strip() != "")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_are_read_or_rejected_never_crash(data: bytes) -> None:
    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    try:
        scan = scan_file(open_stream, "catalog.csv", LIMITS)
    except FileRejected:
        return
    assert len(list(read_rows(open_stream, scan, LIMITS))) == scan.data_rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.fixed_dictionaries({c: CELL_TEXT for c in CSV_COLUMNS}), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\r\n", "\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_valid_rows_written_in_any_dialect_read_back_the_same(
    rows: list[dict[str, str]], delimiter: str, quote_all: bool, line_end: str, encoding: str
) -> None:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, delimiter=delimiter, lineterminator=line_end,
                            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)

    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    scan = scan_file(open_stream, "catalog.csv", LIMITS)
    read = list(read_rows(open_stream, scan, LIMITS))

    assert scan.data_rows == len(rows)
    assert [r.product_data for r in read] == [{k: v.strip() for k, v in row.items()} for row in rows]
