"""The vendor-facing outputs: the error report CSV and the notification email's text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from onboarding.domain.changes import ImportSummary
from onboarding.domain.columns import REPORT_COLUMNS
from onboarding.domain.dry_runs import DryRunOutcome
from onboarding.domain.errors import (
    FILE_LEVEL_ROW,
    OPERATOR_CODES,
    SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR,
    ErrorCode,
    RowError,
    Severity,
    severity_of,
)
from onboarding.domain.formula_guard import guard_cell
from onboarding.domain.publishable import fit_lines, quoted, subject_line
from onboarding.domain.uploads import UploadStatus

EMAIL_ERROR_LINES = 20  # groups of errors quoted in an email; the report has them all
ERROR_CODES_DOC = "docs/errors.md"  # the page of every error code, in the repository
ROW_NUMBERS_EXPLAINED = "Row numbers count data rows: row 1 is the first line after the header."
_SHOWN_VALUE_CHARS = 80
_SHOWN_ROW_RANGES = 8

# What operators should do about a file refused because of who sent it.
_OPERATOR_ACTIONS: dict[ErrorCode, str] = {
    ErrorCode.UNKNOWN_VENDOR: "If the sender is a new vendor, register it (`onboard vendors add`) and ask for the "
    "file again; otherwise find out who holds credentials for this folder.",
    ErrorCode.VENDOR_NOT_ACTIVE: "If the vendor should be selling again, set it active (`onboard vendors add ... "
    "--status active`) and ask for the file again.",
    ErrorCode.VENDOR_MISMATCH: "The file name names another vendor: check with the folder's owner whether the "
    "file was meant for them, and whether the other vendor's credentials are in the wrong hands.",
    ErrorCode.INVALID_UPLOAD_KEY: "The object was put outside uploads/<VENDOR_ID>/<file name>: tell the sender "
    "where files go.",
}


def error_help_link(code: ErrorCode | str, error_codes_url: str | None) -> str:
    """Where code `code` is explained: its section of the error codes page."""
    return f"{error_codes_url or ERROR_CODES_DOC}#{str(code).lower()}"


def upload_page_url(portal_url: str, upload_id: str) -> str:
    """The upload's page on the vendor portal, which hands out a short-lived download of the report on click."""
    return f"{portal_url.rstrip('/')}/uploads/{upload_id}"


@dataclass(frozen=True)
class ReportRow:
    row_number: int
    cells: Sequence[str]  # the row as the vendor wrote it, in the header's order
    errors: Sequence[RowError]


def build_error_report(header: Sequence[str], rows: Iterable[ReportRow], error_codes_url: str | None = None) -> str:
    """One line per failed row: what is wrong, then the row as written, so it can be fixed and re-uploaded.

    Every echoed cell is guarded against formulas (an upload removes the guard again), and quoting
    follows RFC 4180 (CRLF line ends). The bookkeeping columns come first and are skipped on upload.
    """
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([*REPORT_COLUMNS, *(guard_cell(h) for h in header)])
    for row in sorted(rows, key=lambda r: r.row_number):
        errors = row.errors
        codes = list(dict.fromkeys(e.code for e in errors))
        writer.writerow(
            [
                row.row_number,
                "; ".join(str(code) for code in codes),
                guard_cell("; ".join(e.field for e in errors if e.field)),
                guard_cell(" ".join(e.message for e in errors)),
                " ".join(error_help_link(code, error_codes_url) for code in codes),
                row_severity(errors),
                *(guard_cell(c) for c in row.cells),
            ]
        )
    return out.getvalue()


def row_severity(errors: Sequence[RowError]) -> str:
    """A row with any error was rejected; one with only warnings was imported."""
    return str(Severity.ERROR if any(e.severity is Severity.ERROR for e in errors) else Severity.WARNING)


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
    report_url: str | None  # a page the vendor can open (the portal's), never a storage URI
    errors: Sequence[RowError]  # every recorded error: the email groups them
    notes: Sequence[str] = ()  # about the file itself (encoding used, ignored columns)
    has_report: bool = False  # an error report was written for the upload
    valid_categories: Sequence[str] = ()  # listed when a row names an unknown category
    error_codes_url: str | None = None  # the public page of every error code
    quarantined_to: str | None = field(default=None)  # where a file from the wrong sender was moved
    dry_run: DryRunOutcome | None = None  # a dry run: what a commit would do (nothing was written)
    changes: ImportSummary | None = None  # created, updated, unchanged, deactivated, rejected, warnings


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


@dataclass(frozen=True)
class ErrorGroup:
    """Errors of one code with one value (or, without a value, one field and message): one line in an email."""

    code: ErrorCode
    field: str
    value: str
    message: str  # the first row's; rows of a group share their problem
    rows: tuple[int, ...]

    def headline(self) -> str:
        count = len(self.rows)
        what = f"'{_shortened(self.value)}'" if self.value else (self.field or "the row")
        noun = "row" if count == 1 else "rows"
        return f"{self.code} on {count} {noun}: {what} ({noun} {row_ranges(self.rows)})"


def group_errors(errors: Iterable[RowError]) -> list[ErrorGroup]:
    """Row errors grouped by code and value, biggest group first (then first row); file errors are not rows."""
    groups: dict[tuple[str, ...], list[RowError]] = {}
    for error in errors:
        if error.row_number == FILE_LEVEL_ROW:
            continue
        key = (str(error.code), error.field, "v", error.value) if error.value else (
            str(error.code), error.field, "m", error.message)
        groups.setdefault(key, []).append(error)
    built = [
        ErrorGroup(found[0].code, found[0].field, found[0].value, found[0].message,
                   tuple(sorted({e.row_number for e in found})))
        for found in groups.values()
    ]
    return sorted(built, key=lambda g: (-len(g.rows), g.rows[0], str(g.code)))


def row_ranges(rows: Sequence[int]) -> str:
    """`1-10, 12, 15-16`, with at most a few ranges and then how many rows more."""
    ranges: list[tuple[int, int]] = []
    for number in sorted(rows):
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:_SHOWN_ROW_RANGES]]
    hidden = sum(b - a + 1 for a, b in ranges[_SHOWN_ROW_RANGES:])
    return ", ".join(shown) + (f" and {hidden} more" if hidden else "")


def _shortened(value: str) -> str:
    return quoted(" ".join(value.split()), _SHOWN_VALUE_CHARS)


def build_notification(summary: UploadSummary) -> Notification:
    """The plain-text email about one upload: to the vendor, or to operators when the sender is the problem."""
    if any(e.code in OPERATOR_CODES for e in summary.errors):
        return _operator_alert(summary)
    headline = {
        UploadStatus.COMPLETED: "all products accepted" + _with_warnings(summary),
        UploadStatus.PARTIAL: f"{summary.error_records} of {summary.total_records} rows need fixing",
        UploadStatus.FAILED: "file rejected" if summary.total_records == 0 else "no products accepted",
        UploadStatus.VALIDATED: _dry_run_headline(summary.dry_run),
    }.get(summary.status, str(summary.status).replace("_", " "))
    marker = DRY_RUN_MARKER if summary.dry_run is not None else ""
    subject = subject_line(f"{marker}Catalog upload {summary.file_name}", f": {headline}")
    lines = [f"Hello {summary.vendor_name or summary.vendor_id},", ""]
    file_errors = [e for e in summary.errors if e.row_number == FILE_LEVEL_ROW]
    if summary.dry_run is not None and summary.status is UploadStatus.VALIDATED:
        lines += [
            f"Your file {summary.file_name} (upload {summary.upload_id}) was checked in a dry run:",
            "nothing from it was written to your catalog.",
            f"Status: {summary.status}",
            f"Rows in file: {summary.total_records}",
            f"Products a commit would create: {summary.dry_run.would_create}",
            f"Products a commit would update: {summary.dry_run.would_update}",
            f"Rows with errors: {summary.error_records}",
            f"To import the valid rows, commit upload {summary.upload_id}.",
        ]
    elif summary.status is UploadStatus.FAILED and summary.total_records == 0:
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
        if summary.changes is not None:
            lines += [f"Rows with warnings (imported anyway): {summary.changes.warnings}",
                      f"In short: {summary.changes.in_words()}"]
    lines += [f"Note: {note}" for note in summary.notes]
    if file_errors:  # one or two at most: a file fails on its first problem
        lines += ["", "What was wrong with the file:", *(f"- {e.code}: {e.message}" for e in file_errors)]
    # Errors first; warnings (rows imported anyway) after them, marked as such.
    groups = group_errors(e for e in summary.errors if e.severity is Severity.ERROR)
    groups += group_errors(e for e in summary.errors if e.severity is Severity.WARNING)
    shown = groups[:EMAIL_ERROR_LINES]
    details = [f"- {_marked(group)}{group.headline()}\n  {group.message}" for group in shown]
    if groups:
        lines += ["", "What was wrong, by kind of problem:", ROW_NUMBERS_EXPLAINED]
    tail: list[str] = []
    if any(g.code is ErrorCode.INVALID_CATEGORY for g in groups) and summary.valid_categories:
        tail += ["", "Valid categories: " + ", ".join(summary.valid_categories) + "."]
    tail += _where_the_report_is(summary)
    # Capped in bytes and cleaned of what SNS refuses: a Publish that fails would leave the upload unfinished.
    message = fit_lines(lines, details, tail, more=len(groups) - len(shown))
    return Notification(subject=subject, message=message)


def _with_warnings(summary: UploadSummary) -> str:
    warned = summary.changes.warnings if summary.changes is not None else 0
    return f", {warned} with warnings" if warned else ""


def _marked(group: ErrorGroup) -> str:
    return "warning (imported anyway): " if severity_of(group.code) is Severity.WARNING else ""


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


def _where_the_report_is(summary: UploadSummary) -> list[str]:
    lines: list[str] = []
    if summary.has_report:
        lines.append("")
        if summary.report_url:
            lines += [
                "The error report lists every error with the row as you wrote it. Open it here:",
                f"  {summary.report_url}",
            ]
        else:
            lines.append(f"The error report lists every error with the row as you wrote it; ask your marketplace "
                         f"contact for the report of upload {summary.upload_id}.")
        lines.append("Fix the rows in it and upload it as it is: its error columns are skipped on upload.")
    if summary.errors:
        lines += ["", f"What each error code means and how to fix it: {summary.error_codes_url or ERROR_CODES_DOC}"]
    return lines


_WHO_WAS_TOLD = dict.fromkeys(
    SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR,
    "and only the folder's own vendor was told that its file was not processed (naming no other vendor).",
)


def build_sender_problem_notification(
    upload_id: str, file_name: str, vendor_name: str, problems: Sequence[ErrorCode]
) -> Notification:
    """What a registered vendor hears when a file in its own folder was refused because of who sent it: that
    it was not processed and what to do, in words that name no other vendor (see
    SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR)."""
    lines = [
        f"Hello {vendor_name},",
        "",
        f"Your file {file_name} (upload {upload_id}) was not processed: nothing from it was imported.",
        "",
        *(f"- {code}: {SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR[code]}" for code in problems),
    ]
    return Notification(subject=subject_line(f"Catalog upload {file_name}", ": not processed"),
                        message=fit_lines(lines, [], [], more=0))


def _operator_alert(summary: UploadSummary) -> Notification:
    problem = next(e for e in summary.errors if e.code in OPERATOR_CODES)
    subject = subject_line(f"Upload refused ({problem.code}): {summary.file_name}", f" in folder {summary.vendor_id}")
    where = f"It was moved to {summary.quarantined_to}." if summary.quarantined_to else "It was quarantined."
    lines = [
        "Operators,",
        "",
        "An upload was refused because of who sent it, not what it contains. Nothing from it was imported,",
        f"{_WHO_WAS_TOLD.get(problem.code, 'and no vendor was told.')} {where}",
        "",
        f"Upload: {summary.upload_id}",
        f"Folder (vendor id): {summary.vendor_id}",
        f"File: {summary.file_name}",
        f"Problem: {problem.code}: {problem.message}",
        "",
        f"What to do: {_OPERATOR_ACTIONS.get(problem.code, 'Check who sent the file.')}",
        f"Error codes: {error_help_link(problem.code, summary.error_codes_url)}",
    ]
    return Notification(subject=subject, message=fit_lines(lines, [], [], more=0))


DRY_RUN_MARKER = "[Dry run] "


def _dry_run_headline(outcome: DryRunOutcome | None) -> str:
    if outcome is None:
        return "validated"
    return (f"{outcome.would_create} to create, {outcome.would_update} to update, "
            f"{outcome.invalid} rows need fixing")
