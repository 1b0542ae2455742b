"""Did every row of an upload come out exactly once? The one audit every fault test ends with.

A row is accounted for when it is a product or a recorded error, never both, never twice. The audit
reads PostgreSQL (the row ledger, counters, products, errors, the notification record), S3 (every
version of the error report: a second write of the report would be a second version) and the local
mailbox (what SNS delivered; a redelivered capture message has the same SNS message id, so distinct
ids count publishes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.harness import RunningPipeline

FINAL_STATUSES = ("completed", "partial", "failed")

_FACTS = text(
    """
    SELECT h.status, h.vendor_id, h.total_records, h.valid_records, h.error_records,
        (SELECT count(*) FROM upload_rows r WHERE r.upload_id = h.upload_id) AS ledger_rows,
        (SELECT count(*) FROM upload_rows r WHERE r.upload_id = h.upload_id AND r.outcome = 'valid') AS ledger_valid,
        (SELECT count(*) FROM products p WHERE p.upload_id = h.upload_id) AS products,
        (SELECT count(DISTINCT e.row_number) FROM validation_errors e
         WHERE e.upload_id = h.upload_id AND e.row_number > 0 AND e.severity = 'error') AS error_rows,
        (SELECT count(*) FROM upload_rows r WHERE r.upload_id = h.upload_id AND r.outcome = 'invalid'
         AND NOT EXISTS (SELECT 1 FROM validation_errors e WHERE e.upload_id = r.upload_id
                         AND e.row_number = r.row_number AND e.severity = 'error')) AS unreported_invalid,
        (SELECT count(*) FROM upload_rows r WHERE r.upload_id = h.upload_id AND r.outcome = 'valid'
         AND EXISTS (SELECT 1 FROM validation_errors e WHERE e.upload_id = r.upload_id
                     AND e.row_number = r.row_number AND e.severity = 'error')) AS errors_on_valid_rows,
        (SELECT count(*) FROM upload_notifications n WHERE n.upload_id = h.upload_id) AS notification_records,
        h.warning_records
    FROM upload_history h WHERE h.upload_id = :u
    """
)


@dataclass(frozen=True)
class UploadAudit:
    upload_id: str
    expected_rows: int
    status: str
    total_records: int | None
    valid_records: int
    error_records: int
    ledger_rows: int  # rows with an outcome (the primary key makes each row at most once)
    ledger_valid: int
    products: int  # products whose last writer is this upload
    error_rows: int  # distinct data rows with at least one recorded error
    unreported_invalid: int  # rows judged invalid whose errors never got recorded
    errors_on_valid_rows: int  # rows that became products and were also reported as errors
    report_versions: int  # versions of the error report object written to S3
    report_rows: int  # data lines in the latest report
    report_distinct_rows: int
    notifications: int  # distinct SNS messages delivered for the upload
    notification_records: int
    warning_records: int = 0  # accepted rows with warnings: they make a report too (severity `warning`)

    @property
    def lost(self) -> int:
        """Rows with no outcome, valid rows that are not products, invalid rows missing from the report."""
        return (max(0, self.expected_rows - self.ledger_rows) + max(0, self.ledger_valid - self.products)
                + self.unreported_invalid)

    @property
    def duplicated(self) -> int:
        """Rows counted, stored or reported more than once."""
        return (max(0, self.ledger_rows - self.expected_rows)
                + max(0, self.valid_records + self.error_records - self.ledger_rows)
                + max(0, self.products - self.ledger_valid)
                + self.errors_on_valid_rows
                + (self.report_rows - self.report_distinct_rows))

    def observed(self) -> dict[str, Any]:
        return {
            "final": self.status in FINAL_STATUSES,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "total_records": self.total_records,
            "valid + error": self.valid_records + self.error_records,
            "products": self.products,
            "error rows": self.error_rows,
            "report versions": self.report_versions,
            "report rows": self.report_distinct_rows,
            "notifications": self.notifications,
            "notification records": self.notification_records,
        }

    def exactly_once(self) -> dict[str, Any]:
        """What `observed()` must be when every row is accounted for once, with one report and one email."""
        return {
            "final": True,
            "lost": 0,
            "duplicated": 0,
            "total_records": self.expected_rows,
            "valid + error": self.expected_rows,
            "products": self.valid_records,
            "error rows": self.error_records,
            "report versions": 1 if self.error_records or self.warning_records else 0,
            "report rows": self.error_records,
            "notifications": 1,
            "notification records": 1,
        }


def audit_upload(pipeline: RunningPipeline, upload_id: str, expected_rows: int) -> UploadAudit:
    with pipeline.engine.connect() as conn:
        facts = conn.execute(_FACTS, {"u": upload_id}).one()
    settings = pipeline.settings
    report_key = f"{settings.error_prefix}{facts.vendor_id}/{upload_id}_errors.csv"
    versions = [
        v for v in pipeline.aws.s3.list_object_versions(Bucket=settings.upload_bucket, Prefix=report_key)
        .get("Versions", []) if v["Key"] == report_key
    ]
    report_numbers = _report_row_numbers(pipeline, report_key) if versions else []
    mail_ids = {m.message_id for m in pipeline.mailboxes.mail_for_upload(upload_id)}
    return UploadAudit(
        upload_id=upload_id,
        expected_rows=expected_rows,
        status=facts.status,
        total_records=facts.total_records,
        valid_records=facts.valid_records,
        error_records=facts.error_records,
        ledger_rows=facts.ledger_rows,
        ledger_valid=facts.ledger_valid,
        products=facts.products,
        error_rows=facts.error_rows,
        unreported_invalid=facts.unreported_invalid,
        errors_on_valid_rows=facts.errors_on_valid_rows,
        report_versions=len(versions),
        report_rows=len(report_numbers),
        report_distinct_rows=len(set(report_numbers)),
        notifications=len(mail_ids),
        notification_records=facts.notification_records,
        warning_records=facts.warning_records,
    )


def _report_row_numbers(pipeline: RunningPipeline, key: str) -> list[int]:
    import csv
    import io

    body = pipeline.aws.s3.get_object(Bucket=pipeline.settings.upload_bucket, Key=key)["Body"].read().decode()
    # Rows with only warnings were imported: the report flags them, the audit counts the rejected ones.
    return [int(row["row_number"]) for row in csv.DictReader(io.StringIO(body)) if row["severity"] == "error"]


# -- the session's table ------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultFigures:
    fault: str
    uploads: int
    rows: int
    lost: int
    duplicated: int
    notifications: int

    @classmethod
    def of(cls, fault: str, audits: Sequence[UploadAudit]) -> FaultFigures:
        return cls(fault, len(audits), sum(a.expected_rows for a in audits), sum(a.lost for a in audits),
                   sum(a.duplicated for a in audits), sum(a.notifications for a in audits))


COLUMNS = ("fault", "uploads", "rows", "lost", "duplicated", "notifications")


def figures_table(figures: Sequence[FaultFigures]) -> list[str]:
    """A Markdown table (it reads as a table on a terminal too)."""
    rows = [[f.fault, str(f.uploads), str(f.rows), str(f.lost), str(f.duplicated), str(f.notifications)]
            for f in figures]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ) + " |"

    separator = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return [line(COLUMNS), separator, *(line(r) for r in rows)]


def write_results(path: Path, figures: Sequence[FaultFigures]) -> None:
    lines = [
        "# Fault-injection results",
        "",
        "Written by `tests/faults` at the end of every full run (`make test` or `make test-faults`).",
        "Each row is one fault test; every upload in it is audited for rows lost, rows duplicated,",
        "and notifications (distinct SNS messages delivered; one per upload is correct).",
        "",
        *figures_table(figures),
        "",
    ]
    path.write_text("\n".join(lines))
