"""The vendor-facing outputs: the error report CSV and the notification email's text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from onboarding.domain.errors import FILE_LEVEL_ROW, RowError
from onboarding.domain.publishable import fit_lines, quoted, subject_line
from onboarding.domain.uploads import UploadStatus

REPORT_ERROR_COLUMNS: tuple[str, ...] = ("row_number", "error_type", "error_field", "error_message")
EMAIL_ERROR_LINES = 20

# OWASP CSV injection: a cell starting with one of these is a formula to a spreadsheet.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: str) -> str:
    """Make a cell inert in a spreadsheet by prefixing a single quote when it could start a formula."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


@dataclass(frozen=True)
class ReportRow:
    row_number: int
    cells: Sequence[str]  # the row as the vendor wrote it, in the header's order
    errors: Sequence[RowError]


def build_error_report(header: Sequence[str], rows: Iterable[ReportRow]) -> str:
    """One line per failed row: what is wrong, then the row as written, so it can be fixed and re-uploaded.

    Every echoed cell is neutralised, and quoting follows RFC 4180 (CRLF line ends).
    """
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([*REPORT_ERROR_COLUMNS, *(neutralize_cell(h) for h in header)])
    for row in sorted(rows, key=lambda r: r.row_number):
        errors = row.errors
        writer.writerow(
            [
                row.row_number,
                "; ".join(str(e.code) for e in errors),
                neutralize_cell("; ".join(e.field for e in errors if e.field)),
                neutralize_cell(" ".join(e.message for e in errors)),
                *(neutralize_cell(c) for c in row.cells),
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class UploadSummary:
    upload_id: str
    vendor_id: str
    vendor_name: str
    file_name: str
    status: UploadStatus
    total_records: int
    valid_records: int
    error_records: int
    report_uri: str | None
    errors: Sequence[RowError]  # the first few, for the email
    notes: Sequence[str] = ()  # about the file itself (encoding used, ignored columns)


@dataclass(frozen=True)
class Notification:
    subject: str
    message: str


@dataclass(frozen=True)
class NotificationRecord:
    """A notification as published, kept with the upload so it is sent once and can be shown again."""

    audience: str
    topic_arn: str
    subject: str
    message: str
    message_id: str | None


def build_notification(summary: UploadSummary) -> Notification:
    """The plain-text email for the vendor (or operators) about one upload."""
    headline = {
        UploadStatus.COMPLETED: "all products accepted",
        UploadStatus.PARTIAL: f"{summary.error_records} of {summary.total_records} rows need fixing",
        UploadStatus.FAILED: "file rejected" if summary.total_records == 0 else "no products accepted",
        UploadStatus.PROCESSING: "still processing",
    }[summary.status]
    subject = subject_line(f"Catalog upload {summary.file_name}", f": {headline}")
    lines = [f"Hello {summary.vendor_name or summary.vendor_id},", ""]
    if summary.status is UploadStatus.FAILED and summary.total_records == 0:
        lines += [
            f"Your file {summary.file_name} (upload {summary.upload_id}) was rejected as a whole:",
            "nothing from it was imported. Fix the problem below and upload the file again.",
        ]
    else:
        lines += [
            f"Your file {summary.file_name} (upload {summary.upload_id}) has been processed.",
            f"Status: {summary.status}",
            f"Rows in file: {summary.total_records}",
            f"Products accepted: {summary.valid_records}",
            f"Rows with errors: {summary.error_records}",
        ]
    lines += [f"Note: {note}" for note in summary.notes]
    details: list[str] = []
    if summary.errors:
        lines += ["", "What was wrong:"]
        for error in summary.errors[:EMAIL_ERROR_LINES]:
            where = "File" if error.row_number == FILE_LEVEL_ROW else f"Row {error.row_number}"
            field = f" [{quoted(error.field)}]" if error.field else ""
            details.append(f"- {where}{field} {error.code}: {error.message}")
    tail: list[str] = []
    if summary.report_uri:
        tail += [
            "",
            f"The full error report is at {summary.report_uri}.",
            "Fix the rows in it and upload it again; the error columns are ignored on upload.",
        ]
    # Capped in bytes and cleaned of what SNS refuses: a Publish that fails would leave the upload unfinished.
    message = fit_lines(lines, details, tail, more=len(summary.errors) - len(details))
    return Notification(subject=subject, message=message)


def build_processing_failed_notification(upload_id: str, file_name: str, vendor_name: str) -> Notification:
    """The short email a vendor gets when we could not finish their upload (its report or its full email could
    not be produced): few words, no value from the file, so it can always be published."""
    lines = [
        f"Hello {vendor_name},",
        "",
        f"We could not finish processing your file {file_name} (upload {upload_id}), and marked it failed.",
        "Some of its products may have been imported. Please upload the file again; "
        "if this happens again, contact support and quote the upload id.",
    ]
    return Notification(
        subject=subject_line(f"Catalog upload {file_name}", ": processing failed"),
        message=fit_lines(lines, (), (), more=0),
    )


def build_processing_failed_alert(upload_id: str, vendor_id: str, sweeps: int, reason: str) -> Notification:
    """The operators' alert for an upload the sweeper gave up on."""
    lines = [
        f"Upload {upload_id} of vendor {vendor_id} could not be finished after {sweeps} attempts by the sweeper "
        f"(last error: {reason}).",
        "It was marked failed with PROCESSING_FAILED and the vendor was asked to upload the file again.",
        "The upload's row in upload_history keeps the error (last_sweep_error); the function logs have the rest.",
    ]
    return Notification(subject=subject_line(f"Upload {upload_id}", ": given up, marked failed"),
                        message=fit_lines(lines, (), (), more=0))
