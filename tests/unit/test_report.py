"""The error report and the notification text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from onboarding.domain.changes import ImportSummary
from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.formula_guard import guard_cell as neutralize_cell
from onboarding.domain.report import (
    ReportRow,
    UploadSummary,
    build_error_report,
    build_notification,
    group_errors,
    row_ranges,
)
from onboarding.domain.uploads import UploadStatus

DOCS = Path(__file__).parents[2] / "docs" / "errors.md"

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

    assert parsed[0] == ["row_number", "error_type", "error_field", "error_message", "error_help", "severity",
                         *HEADER]
    assert [line[0] for line in parsed[1:]] == ["1", "3"]
    assert parsed[1][7] == 'Say "hi", then\nleave'
    assert parsed[2][1] == "INVALID_PRICE; FIELD_LENGTH_EXCEEDED"
    assert parsed[2][4] == "docs/errors.md#invalid_price docs/errors.md#field_length_exceeded"
    assert parsed[2][5] == "error"
    assert parsed[2][7] == "'" + '=HYPERLINK("http://x","y")'
    assert text.endswith("\r\n")


def test_a_row_with_only_warnings_is_reported_as_a_warning() -> None:
    rows = [ReportRow(2, ["P-2", "Lamp", "1"], [
        RowError(2, "brand", ErrorCode.MISSING_RECOMMENDED_FIELD, "Recommended field(s) empty: brand.")])]
    parsed = list(csv.reader(io.StringIO(build_error_report(HEADER, rows), newline="")))
    assert (parsed[1][1], parsed[1][5]) == ("MISSING_RECOMMENDED_FIELD", "warning")


def summary(**overrides: object) -> UploadSummary:
    values: dict[str, object] = dict(
        upload_id="UPLOAD_V_1", vendor_id="VEND001", vendor_name="TechTrend", file_name="catalog.csv",
        status=UploadStatus.PARTIAL, total_records=10, valid_records=8, error_records=2,
        report_url="https://portal.example/uploads/UPLOAD_V_1", has_report=True,
        errors=[RowError(4, "price", ErrorCode.INVALID_PRICE, "price 'x' is invalid.", "x")])
    values.update(overrides)
    return UploadSummary(**values)  # type: ignore[arg-type]


def test_the_email_states_the_counts_the_errors_and_where_the_report_is() -> None:
    notification = build_notification(summary())
    assert notification.subject == "Catalog upload catalog.csv: 2 of 10 rows need fixing"
    assert "Products accepted: 8" in notification.message
    assert "- INVALID_PRICE on 1 row: 'x' (row 4)\n  price 'x' is invalid." in notification.message
    assert "  https://portal.example/uploads/UPLOAD_V_1\n" in notification.message
    assert "s3://" not in notification.message


def test_a_rejected_file_is_explained_as_rejected() -> None:
    notification = build_notification(summary(
        status=UploadStatus.FAILED, total_records=0, valid_records=0, error_records=0, report_url=None,
        errors=[RowError(0, "", ErrorCode.EMPTY_FILE, "The file is empty.")]))
    assert notification.subject.endswith("file rejected")
    assert "nothing from it was imported" in notification.message
    assert "- EMPTY_FILE: The file is empty." in notification.message


def test_the_subject_is_ascii_and_fits_sns() -> None:
    notification = build_notification(summary(file_name="catálogo_" + "x" * 200 + ".csv"))
    assert len(notification.subject) <= 100
    assert notification.subject.isascii()


def category_errors(rows: range, value: str, suggestion: str) -> list[RowError]:
    message = f"'{value}' is not a category we sell in. Did you mean '{suggestion}'?"
    return [RowError(n, "category", ErrorCode.INVALID_CATEGORY, message, value) for n in rows]


def test_the_email_groups_errors_by_code_and_value_and_lists_the_valid_categories() -> None:
    errors = [*category_errors(range(1, 11), "Men", "Men's Clothing"),
              *category_errors(range(11, 14), "Women", "Women's Clothing"),
              RowError(15, "price", ErrorCode.INVALID_PRICE, "price '$5': remove the currency sign.", "$5")]
    message = build_notification(summary(errors=errors, error_records=14, total_records=20, valid_records=6,
                                         valid_categories=["Clothing", "Men's Clothing", "Women's Clothing"])).message

    assert "- INVALID_CATEGORY on 10 rows: 'Men' (rows 1-10)\n  'Men' is not a category we sell in. " \
           "Did you mean 'Men's Clothing'?" in message
    assert "- INVALID_CATEGORY on 3 rows: 'Women' (rows 11-13)" in message
    assert "- INVALID_PRICE on 1 row: '$5' (row 15)" in message
    assert "row 1 is the first line after the header" in message
    assert "Valid categories: Clothing, Men's Clothing, Women's Clothing." in message
    assert message.count("INVALID_CATEGORY on") == 2


def test_errors_without_a_value_are_grouped_by_field_and_message() -> None:
    errors = [RowError(n, "product_name", ErrorCode.MISSING_REQUIRED_FIELDS, "Required field(s) empty: product_name.")
              for n in (3, 7, 8)]
    [group] = group_errors(errors)
    assert group.headline() == "MISSING_REQUIRED_FIELDS on 3 rows: product_name (rows 3, 7-8)"


def test_long_row_lists_are_shortened_with_a_count() -> None:
    assert row_ranges([1, 2, 3, 5]) == "1-3, 5"
    assert row_ranges(list(range(1, 40, 2))) == "1, 3, 5, 7, 9, 11, 13, 15 and 12 more"


def test_the_email_links_the_error_codes_page_and_without_a_portal_never_a_storage_uri() -> None:
    message = build_notification(summary(report_url=None, error_codes_url="https://help.example/errors")).message
    assert "What each error code means and how to fix it: https://help.example/errors" in message
    assert "ask your marketplace contact for the report of upload UPLOAD_V_1" in message
    assert "s3://" not in message


def test_a_sender_problem_is_worded_for_operators() -> None:
    notification = build_notification(summary(
        vendor_name="operators", status=UploadStatus.FAILED, total_records=0, valid_records=0, error_records=0,
        report_url=None, quarantined_to="quarantine/VEND009/catalog.csv",
        errors=[RowError(0, "", ErrorCode.UNKNOWN_VENDOR, "No vendor VEND009 is registered.")]))
    assert notification.subject.startswith("Upload refused (UNKNOWN_VENDOR)")
    assert "Operators," in notification.message and "no vendor was told" in notification.message
    assert "quarantine/VEND009/catalog.csv" in notification.message
    assert "onboard vendors add" in notification.message
    assert "Fix the problem below and upload the file again" not in notification.message


def test_every_error_code_is_explained_on_the_public_page() -> None:
    page = DOCS.read_text()
    missing = [code for code in ErrorCode if f"### {code}\n" not in page]
    assert missing == []


def test_the_email_says_what_the_upload_did_in_words_and_marks_warnings() -> None:
    warned = RowError(4, "brand", ErrorCode.MISSING_RECOMMENDED_FIELD, "Recommended field(s) empty: brand.")
    note = build_notification(summary(
        status=UploadStatus.COMPLETED, error_records=0, valid_records=10, errors=[warned],
        changes=ImportSummary(created=2, updated=7, unchanged=1, deactivated=3, rejected=0, warnings=1)))

    assert note.subject.endswith("all products accepted, 1 with warnings")
    assert ("In short: 2 products created, 7 updated, no change to 1, 3 deactivated, 0 rows rejected, "
            "1 row with warnings.") in note.message
    assert "- warning (imported anyway): MISSING_RECOMMENDED_FIELD on 1 row" in note.message
