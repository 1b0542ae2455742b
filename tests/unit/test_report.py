"""The error report and the notification text."""

from __future__ import annotations

import csv
import io

import pytest

from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.report import (
    ReportRow,
    UploadSummary,
    build_error_report,
    build_notification,
    neutralize_cell,
)
from onboarding.domain.uploads import UploadStatus

HEADER = ("vendor_product_id", "product_name", "price")


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_cells_that_could_start_a_formula_are_made_inert(cell: str) -> None:
    assert neutralize_cell(cell) == "'" + cell


def test_ordinary_cells_are_left_as_written() -> None:
    assert neutralize_cell("Wireless Mouse, black") == "Wireless Mouse, black"


def test_the_report_has_error_columns_then_the_vendors_columns_one_line_per_row() -> None:
    rows = [
        ReportRow(3, ["P-3", '=HYPERLINK("http://x","y")', "free"], [
            RowError(3, "price", ErrorCode.INVALID_PRICE, "price 'free' is not a number."),
            RowError(3, "product_name", ErrorCode.FIELD_LENGTH_EXCEEDED, "too long.")]),
        ReportRow(1, ["P-1", 'Say "hi", then\nleave', "1"], [RowError(1, "", ErrorCode.WRONG_FIELD_COUNT, "bad.")]),
    ]
    text = build_error_report(HEADER, rows)
    parsed = list(csv.reader(io.StringIO(text, newline="")))

    assert parsed[0] == ["row_number", "error_type", "error_field", "error_message", *HEADER]
    assert [line[0] for line in parsed[1:]] == ["1", "3"]
    assert parsed[1][5] == 'Say "hi", then\nleave'
    assert parsed[2][1] == "INVALID_PRICE; FIELD_LENGTH_EXCEEDED"
    assert parsed[2][5] == "'" + '=HYPERLINK("http://x","y")'
    assert text.endswith("\r\n")


def summary(**overrides: object) -> UploadSummary:
    values: dict[str, object] = dict(
        upload_id="UPLOAD_V_1", vendor_id="VEND001", vendor_name="TechTrend", file_name="catalog.csv",
        status=UploadStatus.PARTIAL, total_records=10, valid_records=8, error_records=2,
        report_uri="s3://b/errors/VEND001/UPLOAD_V_1_errors.csv",
        errors=[RowError(4, "price", ErrorCode.INVALID_PRICE, "price 'x' is invalid.")])
    values.update(overrides)
    return UploadSummary(**values)  # type: ignore[arg-type]


def test_the_email_states_the_counts_the_errors_and_where_the_report_is() -> None:
    notification = build_notification(summary())
    assert notification.subject == "Catalog upload catalog.csv: 2 of 10 rows need fixing"
    assert "Products accepted: 8" in notification.message
    assert "Row 4 [price] INVALID_PRICE" in notification.message
    assert "s3://b/errors/VEND001/UPLOAD_V_1_errors.csv" in notification.message


def test_a_rejected_file_is_explained_as_rejected() -> None:
    notification = build_notification(summary(
        status=UploadStatus.FAILED, total_records=0, valid_records=0, error_records=0, report_uri=None,
        errors=[RowError(0, "", ErrorCode.EMPTY_FILE, "The file is empty.")]))
    assert notification.subject.endswith("file rejected")
    assert "nothing from it was imported" in notification.message
    assert "File EMPTY_FILE: The file is empty." in notification.message


def test_the_subject_is_ascii_and_fits_sns() -> None:
    notification = build_notification(summary(file_name="catálogo_" + "x" * 200 + ".csv"))
    assert len(notification.subject) <= 100
    assert notification.subject.isascii()
