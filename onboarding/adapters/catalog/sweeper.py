"""The sweeper's view: uploads that stopped moving, and the rows that never got where they should."""

from __future__ import annotations

from sqlalchemy import Engine, text


class SweeperQueries:
    engine: Engine

    def stalled_uploads(self, idle_seconds: int) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        """
                        SELECT upload_id FROM upload_history
                        WHERE status = 'processing' AND updated_at < now() - make_interval(secs => :idle)
                        ORDER BY updated_at
                        """
                    ),
                    {"idle": idle_seconds},
                ).scalars()
            )

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
                            AND e.row_number = r.row_number)
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
