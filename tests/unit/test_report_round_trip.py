"""A fixed error report uploaded as it is stores exactly what the vendor first wrote.

original file -> rows as read -> error report (formula guard added) -> report uploaded -> rows as read:
the vendor's cells and the values stored are the original ones, and the report's own columns are
skipped without a note.
"""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.domain.columns import CSV_COLUMNS, REPORT_COLUMNS
from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.formula_guard import FORMULA_TRIGGERS, guard_cell, unguard_cell
from onboarding.domain.report import ReportRow, build_error_report
from onboarding.domain.source_file import FileScan, Limits, SourceRow
from onboarding.reading import read_rows, scan_file

LIMITS = Limits(max_file_bytes=1_000_000, max_rows=500, max_cell_chars=2_000)
HEADER = CSV_COLUMNS

PLAIN_TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=12)
# Cells that start the way a formula does, possibly after quotes of their own, and ordinary ones.
CELLS = st.one_of(
    st.tuples(st.sampled_from(["", "'", "''"]), st.sampled_from(FORMULA_TRIGGERS), PLAIN_TEXT).map("".join),
    PLAIN_TEXT,
)


def read(data: bytes, name: str) -> tuple[FileScan, list[SourceRow]]:
    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    scan = scan_file(open_stream, name, LIMITS)
    return scan, list(read_rows(open_stream, scan, LIMITS))


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(CELLS, min_size=len(HEADER) - 1, max_size=len(HEADER) - 1))
def test_original_to_report_to_reupload_gives_back_the_original_cells(cells: list[str]) -> None:
    original = ["P-1", *cells]  # one cell is plain so the row is never blank
    _, [first] = read(as_csv([list(HEADER), original]), "catalog.csv")
    error = RowError(1, "price", ErrorCode.INVALID_PRICE, "-price is wrong", first.product_data.get("price", ""))

    report = build_error_report(HEADER, [ReportRow(1, first.cells, [error])])
    scan, [again] = read(report.encode(), "catalog_errors.csv")

    assert again.cells[len(REPORT_COLUMNS):] == first.cells
    assert again.product_data == first.product_data
    assert scan.layout.ignored_columns == ()
    assert not any("ignored" in note for note in scan.notes)


def test_each_formula_trigger_survives_the_round_trip() -> None:
    for trigger in FORMULA_TRIGGERS:
        value = f"{trigger}20% off this week"
        assert guard_cell(value) == "'" + value
        assert unguard_cell(guard_cell(value)) == value


def test_a_cell_that_already_starts_with_a_quote_keeps_it() -> None:
    assert guard_cell("'=x") == "''=x"
    assert unguard_cell("''=x") == "'=x"
    assert unguard_cell("'plain") == "'plain"


def test_a_fixed_report_stores_the_vendors_values_not_the_guard() -> None:
    report = (
        b"row_number,error_type,error_field,error_message,error_help,vendor_product_id,product_name,category,sku,"
        b"price,stock_quantity,description\r\n"
        b"2,INVALID_PRICE,price,bad,docs/errors.md#invalid_price,P-2,'+Plus Cable,Electronics,S-2,9.99,4,"
        b"'-20% off this week\r\n"
    )
    scan, [row] = read(report, "fixed.csv")
    assert row.product_data["product_name"] == "+Plus Cable"
    assert row.product_data["description"] == "-20% off this week"
    assert scan.notes == ()
