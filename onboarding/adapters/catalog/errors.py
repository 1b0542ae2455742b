"""Validation errors recorded for an upload's report, and the notification sent about it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, select, text

from onboarding.adapters.catalog.tables import upload_notifications, validation_errors
from onboarding.domain.characters import carried
from onboarding.domain.errors import ErrorCode, RecordedError, RowError
from onboarding.domain.report import NotificationRecord


class ErrorsAndNotifications:
    engine: Engine

    def record_errors(self, upload_id: str, errors: Sequence[RecordedError]) -> int:
        """Insert errors; ones already recorded (a replayed message) are skipped. Returns new errors."""
        if not errors:
            return 0
        with self.engine.begin() as conn:
            inserted = conn.execute(
                text(
                    """
                    INSERT INTO validation_errors
                        (upload_id, row_number, field_name, error_code, message, field_value, original_row, severity)
                    SELECT :u, * FROM unnest(CAST(:rows AS int[]), CAST(:fields AS text[]), CAST(:codes AS text[]),
                                             CAST(:messages AS text[]), CAST(:vals AS text[]),
                                             CAST(:originals AS jsonb[]), CAST(:severities AS text[]))
                    ON CONFLICT ON CONSTRAINT validation_errors_once DO NOTHING
                    """
                ),
                {
                    "u": upload_id,
                    "rows": [e.error.row_number for e in errors],
                    "fields": [carried(e.error.field) for e in errors],
                    "codes": [str(e.error.code) for e in errors],
                    "messages": [carried(e.error.message) for e in errors],
                    "vals": [carried(e.error.value) for e in errors],
                    "originals": [_storable_row(e.original_row) for e in errors],
                    "severities": [str(e.error.severity) for e in errors],
                },
            ).rowcount
            conn.execute(text("UPDATE upload_history SET updated_at = now() WHERE upload_id = :u"), {"u": upload_id})
        return int(inserted)

    def upload_errors(self, upload_id: str) -> list[RecordedError]:
        with self.engine.connect() as conn:
            return select_errors(conn, upload_id)

    def get_notification(self, upload_id: str) -> NotificationRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(upload_notifications.c.audience, upload_notifications.c.topic_arn,
                       upload_notifications.c.subject, upload_notifications.c.message,
                       upload_notifications.c.message_id)
                .where(upload_notifications.c.upload_id == upload_id)
            ).one_or_none()
        return NotificationRecord(*row) if row else None


def select_errors(conn: Connection, upload_id: str) -> list[RecordedError]:
    """An upload's recorded errors, in row order."""
    errors = validation_errors.c
    rows = conn.execute(
        select(errors.row_number, errors.field_name, errors.error_code, errors.message, errors.field_value,
               errors.original_row)
        .where(errors.upload_id == upload_id).order_by(errors.row_number, errors.error_id)
    )
    return [
        RecordedError(RowError(r.row_number, r.field_name, ErrorCode(r.error_code), r.message, r.field_value),
                      r.original_row)
        for r in rows
    ]


def _storable_row(row: dict[str, str] | None) -> str | None:
    """The row as jsonb: a NUL (which the reader refuses, but a row from elsewhere may hold) would make
    PostgreSQL refuse the whole statement, and with it every error of the batch."""
    if row is None:
        return None
    return json.dumps({carried(name): carried(value) for name, value in row.items()})
