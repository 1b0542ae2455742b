"""The sweeper's view: uploads that stopped moving, and the rows that never got where they should."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text


class SweeperQueries:
    engine: Engine

    def stalled_uploads(self, idle_seconds: int) -> list[str]:
        """Uploads with no progress for `idle_seconds`, oldest first; ones the sweeper failed on come last, and
        only once their backoff has passed."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        """
                        SELECT upload_id FROM upload_history
                        WHERE status IN ('received', 'parsing', 'validating', 'reporting')
                          AND updated_at < now() - make_interval(secs => :idle)
                          AND (next_sweep_at IS NULL OR next_sweep_at <= now())
                        ORDER BY sweep_failures, updated_at
                        """
                    ),
                    {"idle": idle_seconds},
                ).scalars()
            )

    def record_sweep_failure(self, upload_id: str, reason: str, retry_after_s: Callable[[int], int]) -> int:
        """Note that finishing the upload failed, and why; it is not swept again before `retry_after_s(failures)`
        seconds. Returns how many sweeps have failed on it. Progress (`updated_at`) is left alone."""
        with self.engine.begin() as conn:
            failures = conn.execute(
                text(
                    """
                    UPDATE upload_history SET sweep_failures = sweep_failures + 1, last_sweep_error = :reason
                    WHERE upload_id = :u RETURNING sweep_failures
                    """
                ),
                {"u": upload_id, "reason": reason},
            ).scalar_one_or_none()
            if failures is None:
                return 0
            conn.execute(
                text("UPDATE upload_history SET next_sweep_at = now() + make_interval(secs => :after) "
                     "WHERE upload_id = :u"),
                {"u": upload_id, "after": retry_after_s(failures)},
            )
        return int(failures)

    def invalid_rows_without_errors(self, upload_id: str) -> list[int]:
        """Rows judged invalid whose errors never reached `validation_errors` (a dead-lettered message)."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        """
                        SELECT r.row_number FROM upload_rows r
                        WHERE r.upload_id = :u AND r.outcome = 'invalid' AND NOT EXISTS (
                            SELECT 1 FROM validation_errors e WHERE e.upload_id = r.upload_id
                            AND e.row_number = r.row_number AND e.severity = 'error')
                        ORDER BY r.row_number
                        """
                    ),
                    {"u": upload_id},
                ).scalars()
            )

    def rows_without_outcome(self, upload_id: str, total_records: int) -> list[int]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        """
                        SELECT n FROM generate_series(1, :total) AS n
                        WHERE NOT EXISTS (SELECT 1 FROM upload_rows r WHERE r.upload_id = :u AND r.row_number = n)
                        ORDER BY n
                        """
                    ),
                    {"u": upload_id, "total": total_records},
                ).scalars()
            )
