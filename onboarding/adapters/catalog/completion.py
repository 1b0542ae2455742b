"""Finishing an upload exactly once: its row lock held, in one transaction, while it is finished."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text

from onboarding.adapters.catalog.changes import deactivate_absent
from onboarding.adapters.catalog.errors import select_errors
from onboarding.adapters.catalog.uploads import lock_upload_with_progress
from onboarding.adapters.catalog.webhooks import raise_event
from onboarding.adapters.upload_status import record_status
from onboarding.domain.errors import RecordedError
from onboarding.domain.report import NotificationRecord
from onboarding.domain.uploads import Upload, UploadProgress, UploadStatus
from onboarding.domain.webhooks import EventType


class Completions:
    engine: Engine

    @contextmanager
    def completion(self, upload_id: str) -> Iterator[Completion | None]:
        """Hold the upload's row lock while it is finished; None when it is not there or already final.

        Concurrent finishers queue on the lock; the second one sees the final status and does nothing,
        so the report and the notification happen once.
        """
        with self.engine.begin() as conn:
            locked = lock_upload_with_progress(conn, upload_id)
            if locked is None or locked[0].status.is_final or locked[0].status is UploadStatus.AWAITING_UPLOAD:
                yield None
                return
            yield Completion(conn, *locked)


class Completion:
    """The locked upload being finished (see `Completions.completion`)."""

    def __init__(self, conn: Connection, upload: Upload, progress: UploadProgress) -> None:
        self._conn = conn
        self.upload = upload
        self.progress = progress

    def raise_event(self, event_id: str, event_type: EventType, body: dict[str, Any]) -> str | None:
        """Raise the upload's webhook event in this transaction (once per upload and type). Returns the event
        id when endpoints are to be told, None when none subscribed or it was raised already."""
        return raise_event(self._conn, event_id, self.upload.upload_id, self.upload.vendor_id, event_type, body)

    def errors(self) -> list[RecordedError]:
        return select_errors(self._conn, self.upload.upload_id)

    def deactivate_absent(self) -> int:
        """A replace upload: deactivate its vendor's products the file did not name. Returns the upload's
        deactivations so far (its delete rows included)."""
        return deactivate_absent(self._conn, self.upload.upload_id, self.upload.vendor_id)

    def finish(
        self,
        status: UploadStatus,
        report_key: str | None,
        failure_reason: str | None,
        notification: NotificationRecord | None,
    ) -> None:
        self._conn.execute(
            text(
                """
                UPDATE upload_history
                SET status = :status, error_report_key = :report, failure_reason = :reason,
                    total_records = COALESCE(total_records, 0), completed_at = now(), updated_at = now()
                WHERE upload_id = :u
                """
            ),
            {"u": self.upload.upload_id, "status": str(status), "report": report_key, "reason": failure_reason},
        )
        record_status(self._conn, self.upload.upload_id, status, failure_reason or _outcome(self.upload, status))
        if notification is not None:
            self._conn.execute(
                text(
                    """
                    INSERT INTO upload_notifications (upload_id, audience, topic_arn, subject, message, message_id)
                    VALUES (:u, :audience, :topic_arn, :subject, :message, :message_id)
                    ON CONFLICT (upload_id) DO NOTHING
                    """
                ),
                {"u": self.upload.upload_id, **notification.__dict__},
            )


def _outcome(upload: Upload, status: UploadStatus) -> str:
    total = upload.total_records or 0
    if status is UploadStatus.VALIDATED:
        return f"Dry run: {upload.valid_records} of {total} rows valid, {upload.error_records} with errors."
    return f"{upload.valid_records} of {total} rows in the catalog, {upload.error_records} with errors."
