"""Committing a dry run: decided and reset under the upload's row lock, in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from onboarding.adapters.catalog.uploads import select_upload, upload_from_row
from onboarding.adapters.upload_status import record_status
from onboarding.domain.uploads import Upload, UploadStatus

# What a dry run left behind that a real run records again (its report stays in S3).
_DRY_RUN_OUTCOME_TABLES: tuple[str, ...] = ("upload_rows", "validation_errors", "upload_notifications")


class DryRunCommits:
    engine: Engine

    @contextmanager
    def dry_run_commit(self, upload_id: str) -> Iterator[DryRunCommit | None]:
        """Hold the upload's row lock while a commit is decided; None when there is no such upload.

        Two commits racing queue on the lock: the second sees the first's commit and changes nothing.
        """
        with self.engine.begin() as conn:
            row = select_upload(conn, upload_id, for_update=True)
            yield DryRunCommit(conn, upload_from_row(row)) if row is not None else None


class DryRunCommit:
    """A locked dry run being committed (see `DryRunCommits.dry_run_commit`)."""

    def __init__(self, conn: Connection, upload: Upload) -> None:
        self._conn = conn
        self.upload = upload

    def start_real_run(self) -> None:
        """Forget the dry run's outcomes and let the same file run for real, under the same upload id."""
        params = {"u": self.upload.upload_id}
        for table in _DRY_RUN_OUTCOME_TABLES:
            self._conn.execute(text(f"DELETE FROM {table} WHERE upload_id = :u"), params)  # noqa: S608 (constants)
        self._conn.execute(
            text(
                """
                UPDATE upload_history
                SET dry_run = FALSE, committed_at = now(), rewrite_rows = TRUE, status = 'received',
                    valid_records = 0, error_records = 0, would_update_records = 0, error_report_key = NULL,
                    created_records = 0, updated_records = 0, unchanged_records = 0, deactivated_records = 0,
                    warning_records = 0,
                    failure_reason = NULL, completed_at = NULL, sweep_failures = 0, last_sweep_error = NULL,
                    next_sweep_at = NULL, updated_at = now()
                WHERE upload_id = :u
                """
            ),
            params,
        )
        record_status(self._conn, self.upload.upload_id, UploadStatus.RECEIVED,
                      "Dry run committed: the same file is processed for real.")
