"""PostgreSQL: an upload's status changes, each with its line in `upload_status_history`.

A change is one statement (an UPDATE guarded by the statuses it may leave, feeding the history INSERT),
run inside the caller's transaction: the history can never disagree with the status, and two racing
writers cannot both record the same change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from onboarding.domain.uploads import HistoryEntry, UploadStatus

_CHANGE = text(
    """
    WITH changed AS (
        UPDATE upload_history SET status = :status, updated_at = now()
        WHERE upload_id = :u AND status = ANY(CAST(:from_statuses AS text[]))
        RETURNING upload_id
    )
    INSERT INTO upload_status_history (upload_id, status, detail)
    SELECT upload_id, :status, :detail FROM changed
    RETURNING upload_id
    """
)


def change_status(
    conn: Connection, upload_id: str, to: UploadStatus, leaving: Iterable[UploadStatus], detail: str | None = None
) -> bool:
    """Move the upload to `to` if it is in one of `leaving`; True if it moved (and the history says so)."""
    moved = conn.execute(
        _CHANGE,
        {"u": upload_id, "status": str(to), "from_statuses": [str(s) for s in leaving], "detail": detail},
    ).first()
    return moved is not None


def record_status(conn: Connection, upload_id: str, status: UploadStatus, detail: str | None = None) -> None:
    """The history line of a status the caller has just written itself (an INSERT or a final UPDATE)."""
    conn.execute(
        text("INSERT INTO upload_status_history (upload_id, status, detail) VALUES (:u, :s, :d)"),
        {"u": upload_id, "s": str(status), "d": detail},
    )


def status_history(conn: Connection, upload_id: str) -> list[HistoryEntry]:
    rows = conn.execute(
        text("SELECT status, at, detail FROM upload_status_history WHERE upload_id = :u ORDER BY entry_id"),
        {"u": upload_id},
    )
    return [HistoryEntry(UploadStatus(r.status), r.at, r.detail) for r in rows]
