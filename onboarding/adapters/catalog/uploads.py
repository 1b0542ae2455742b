"""Uploads: recorded once when their object arrives, their layout once scanned, their progress."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, select, text, true

from onboarding.adapters.catalog.tables import upload_history
from onboarding.adapters.upload_status import change_status, record_status, status_history
from onboarding.domain.changes import DEFAULT_MODE, ImportMode
from onboarding.domain.errors import FILE_LEVEL_ROW
from onboarding.domain.uploads import HistoryEntry, NewUpload, Upload, UploadProgress, UploadStatus

_UPLOAD = select(*(upload_history.c[name] for name in (
    "upload_id", "vendor_id", "file_name", "s3_bucket", "s3_key", "object_version", "status", "total_records",
    "valid_records", "error_records", "source_header", "file_notes", "write_shards", "error_report_key",
    "failure_reason", "started_at", "completed_at", "dry_run", "would_update_records", "committed_at",
    "rewrite_rows", "mode", "confirm_replace", "created_records", "updated_records", "unchanged_records",
    "deactivated_records", "warning_records", "expires_at",
)))
UPLOAD_COLUMNS = ", ".join(column.name for column in _UPLOAD.selected_columns)  # for hand-written queries


class Uploads:
    engine: Engine

    def start_upload(self, upload: NewUpload) -> Upload:
        """Record the upload as `received` (once: a replayed event finds it) and return it as it stands."""
        with self.engine.begin() as conn:
            inserted = conn.execute(
                text(
                    """
                    INSERT INTO upload_history
                        (upload_id, vendor_id, file_name, s3_bucket, s3_key, object_version, dry_run, status)
                    VALUES (:upload_id, :vendor_id, :file_name, :s3_bucket, :s3_key, :object_version, :dry_run,
                            'received')
                    ON CONFLICT (upload_id) DO NOTHING
                    RETURNING upload_id
                    """
                ),
                upload.__dict__,
            ).first()
            if inserted is not None:
                record_status(conn, upload.upload_id, UploadStatus.RECEIVED, f"File {upload.file_name} received.")
            return upload_from_row(select_upload(conn, upload.upload_id))

    def receive_ticket_upload(self, upload_id: str, s3_key: str, object_version: str | None) -> Upload | None:
        """An API ticket's file arrived: `awaiting_upload` -> `received`, remembering which object version.

        None when no ticket has this id and key (a plain upload pretending to be one). A replayed event
        finds the upload as it stands.
        """
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE upload_history SET object_version = :v "
                    "WHERE upload_id = :u AND s3_key = :k AND status = 'awaiting_upload'"
                ),
                {"u": upload_id, "k": s3_key, "v": object_version},
            )
            change_status(conn, upload_id, UploadStatus.RECEIVED, [UploadStatus.AWAITING_UPLOAD],
                          "File received through the upload ticket.")
            row = select_upload(conn, upload_id)
        if row is None or row.s3_key != s3_key:
            return None
        return upload_from_row(row)

    def begin_parsing(self, upload_id: str) -> None:
        with self.engine.begin() as conn:
            change_status(conn, upload_id, UploadStatus.PARSING, [UploadStatus.RECEIVED])

    def get_upload(self, upload_id: str) -> Upload | None:
        with self.engine.connect() as conn:
            row = select_upload(conn, upload_id)
        return upload_from_row(row) if row else None

    def recent_uploads(self, limit: int = 20, vendor_id: str | None = None) -> list[Upload]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                _UPLOAD.where(upload_history.c.vendor_id == vendor_id if vendor_id is not None else true())
                .order_by(upload_history.c.started_at.desc()).limit(limit)
            )
            return [upload_from_row(r) for r in rows]

    def set_upload_layout(
        self, upload_id: str, total_records: int, header: Sequence[str], notes: Sequence[str], write_shards: int,
        mode: ImportMode = DEFAULT_MODE, confirm_replace: bool = False,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    UPDATE upload_history
                    SET total_records = :total, source_header = CAST(:header AS jsonb),
                        file_notes = CAST(:notes AS jsonb), write_shards = :shards, mode = :mode,
                        confirm_replace = :confirm, updated_at = now()
                    WHERE upload_id = :u AND (total_records IS NULL OR total_records = :total)
                    """
                ),
                {"u": upload_id, "total": total_records, "header": json.dumps(list(header)),
                 "notes": json.dumps(list(notes)), "shards": write_shards, "mode": str(mode),
                 "confirm": confirm_replace},
            )
            change_status(conn, upload_id, UploadStatus.VALIDATING, [UploadStatus.PARSING],
                          f"{total_records} data rows to validate.")

    def rows_cleared(self, upload_id: str) -> None:
        """The parser deleted a committed dry run's pending rows: the next writes are new rows."""
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE upload_history SET rewrite_rows = FALSE, updated_at = now() WHERE upload_id = :u"),
                {"u": upload_id},
            )

    def status_history(self, upload_id: str) -> list[HistoryEntry]:
        with self.engine.connect() as conn:
            return status_history(conn, upload_id)

    def upload_progress(self, upload_id: str) -> UploadProgress | None:
        with self.engine.connect() as conn:
            return progress_of(conn, upload_id)


def select_upload(conn: Connection, upload_id: str, for_update: bool = False) -> Any:
    query = _UPLOAD.where(upload_history.c.upload_id == upload_id)
    return conn.execute(query.with_for_update() if for_update else query).one_or_none()


# How far an upload has come, beside its row's counters (`h` is its upload_history row).
_PROGRESS_COLUMNS = """
    (SELECT count(DISTINCT row_number) FROM validation_errors e
     WHERE e.upload_id = h.upload_id AND e.row_number > 0 AND e.severity = 'error') AS reported,
    EXISTS (SELECT 1 FROM validation_errors e
            WHERE e.upload_id = h.upload_id AND e.row_number = :file_level) AS file_failed
"""


def progress_of(conn: Connection, upload_id: str) -> UploadProgress | None:
    row = conn.execute(
        text(f"SELECT total_records, valid_records, error_records, {_PROGRESS_COLUMNS} "  # noqa: S608 (constants)
             "FROM upload_history h WHERE upload_id = :u"),
        {"u": upload_id, "file_level": FILE_LEVEL_ROW},
    ).one_or_none()
    return _progress(row) if row is not None else None


def lock_upload_with_progress(conn: Connection, upload_id: str) -> tuple[Upload, UploadProgress] | None:
    """The upload's row locked (FOR UPDATE) and read with its progress, in one statement."""
    row = conn.execute(
        text(f"SELECT {UPLOAD_COLUMNS}, {_PROGRESS_COLUMNS} "  # noqa: S608 (constants)
             "FROM upload_history h WHERE upload_id = :u FOR UPDATE OF h"),
        {"u": upload_id, "file_level": FILE_LEVEL_ROW},
    ).one_or_none()
    return (upload_from_row(row), _progress(row)) if row is not None else None


def _progress(row: Any) -> UploadProgress:
    return UploadProgress(row.total_records, row.valid_records, row.error_records, row.reported, row.file_failed)


def upload_from_row(row: Any) -> Upload:
    return Upload(
        upload_id=row.upload_id,
        vendor_id=row.vendor_id,
        file_name=row.file_name,
        s3_bucket=row.s3_bucket,
        s3_key=row.s3_key,
        status=UploadStatus(row.status),
        total_records=row.total_records,
        valid_records=row.valid_records,
        error_records=row.error_records,
        source_header=tuple(row.source_header) if row.source_header is not None else None,
        file_notes=tuple(row.file_notes or ()),
        write_shards=row.write_shards,
        error_report_key=row.error_report_key,
        failure_reason=row.failure_reason,
        started_at=row.started_at,
        completed_at=row.completed_at,
        dry_run=row.dry_run,
        would_update_records=row.would_update_records,
        committed_at=row.committed_at,
        rewrite_rows=row.rewrite_rows,
        object_version=row.object_version,
        mode=ImportMode(row.mode) if row.mode else None,
        confirm_replace=row.confirm_replace,
        created_records=row.created_records,
        updated_records=row.updated_records,
        unchanged_records=row.unchanged_records,
        deactivated_records=row.deactivated_records,
        warning_records=row.warning_records,
        expires_at=row.expires_at,
    )
