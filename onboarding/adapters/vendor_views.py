"""PostgreSQL: what a vendor reads through the API, a page at a time, always scoped to that vendor.

Pages are keyset pages (no OFFSET): each query asks for one row more than the page to know if there is
another, and the caller turns the last row's sort key into the next cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from onboarding.adapters.catalog.changes import select_product_history
from onboarding.adapters.catalog.products import PRODUCT_COLUMNS
from onboarding.adapters.catalog.uploads import UPLOAD_COLUMNS, upload_from_row
from onboarding.adapters.catalog.vendors import Vendors
from onboarding.adapters.upload_status import status_history
from onboarding.domain.errors import ErrorCode, ErrorLine, RowError
from onboarding.domain.uploads import FINAL_STATUSES, HistoryEntry, UploadDetail, UploadStatus

PRODUCT_VIEW_COLUMNS: tuple[str, ...] = (*PRODUCT_COLUMNS, "upload_id", "updated_at")


class VendorViews(Vendors):
    """The vendor-scoped reads, plus the vendor lookups a ticket's file name is checked against."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upload(self, vendor_id: str, upload_id: str) -> UploadDetail | None:
        """The vendor's upload with its history; None for an unknown id and for another vendor's alike."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT {UPLOAD_COLUMNS} FROM upload_history WHERE upload_id = :u AND vendor_id = :v"),  # noqa: S608
                {"u": upload_id, "v": vendor_id},
            ).one_or_none()
            if row is None:
                return None
            return UploadDetail(upload_from_row(row), status_history(conn, upload_id))

    def uploads(
        self, vendor_id: str | None, status: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[UploadDetail]:
        """Newest first; `after` is the (started_at, upload_id) of the previous page's last upload. No vendor:
        every vendor's (the operators' view)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"""
                    SELECT {UPLOAD_COLUMNS} FROM upload_history
                    WHERE (CAST(:v AS text) IS NULL OR vendor_id = :v)
                      AND (CAST(:status AS text) IS NULL OR status = :status)
                      AND (CAST(:t AS timestamptz) IS NULL OR (started_at, upload_id) < (:t, :id))
                    ORDER BY started_at DESC, upload_id DESC LIMIT :n
                    """  # noqa: S608 (constants)
                ),
                {"v": vendor_id, "status": status, "t": after[0] if after else None,
                 "id": after[1] if after else None, "n": limit},
            ).all()
            histories = _histories(conn, [r.upload_id for r in rows])
        return [UploadDetail(upload_from_row(r), histories.get(r.upload_id, [])) for r in rows]

    def stuck_uploads(self, idle_s: int, limit: int) -> list[UploadDetail]:
        """Uploads not final with no progress for `idle_s` seconds, the longest idle first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"""
                    SELECT {UPLOAD_COLUMNS} FROM upload_history
                    WHERE status <> ALL(:final) AND updated_at < now() - make_interval(secs => :idle)
                    ORDER BY updated_at LIMIT :n
                    """  # noqa: S608 (constants)
                ),
                {"final": sorted(str(s) for s in FINAL_STATUSES), "idle": idle_s, "n": limit},
            ).all()
            histories = _histories(conn, [r.upload_id for r in rows])
        return [UploadDetail(upload_from_row(r), histories.get(r.upload_id, [])) for r in rows]

    def upload_stats(self, days: int, top_codes: int) -> dict[str, list[dict[str, Any]]]:
        """Finished uploads per day by status, and the most frequent error codes, over the last `days` days."""
        window = {"days": days, "final": sorted(str(s) for s in FINAL_STATUSES), "n": top_codes}
        with self.engine.connect() as conn:
            per_day = conn.execute(text(
                """
                SELECT to_char(date_trunc('day', started_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, status,
                       count(*) AS count
                FROM upload_history
                WHERE started_at >= now() - make_interval(days => :days) AND status = ANY(:final)
                GROUP BY 1, 2 ORDER BY 1, 2
                """
            ), window).all()
            codes = conn.execute(text(
                """
                SELECT e.error_code AS error_type, count(*) AS count
                FROM validation_errors e JOIN upload_history u ON u.upload_id = e.upload_id
                WHERE u.started_at >= now() - make_interval(days => :days)
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT :n
                """
            ), window).all()
        return {"uploads_per_day": [dict(r._mapping) for r in per_day],
                "top_error_codes": [dict(r._mapping) for r in codes]}

    def errors(self, upload_id: str, limit: int, after: tuple[int, int] | None) -> list[ErrorLine]:
        """In row order; `after` is the (row_number, error_id) of the previous page's last error."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT error_id, row_number, field_name, error_code, message, field_value
                    FROM validation_errors
                    WHERE upload_id = :u AND (CAST(:r AS int) IS NULL OR (row_number, error_id) > (:r, :e))
                    ORDER BY row_number, error_id LIMIT :n
                    """
                ),
                {"u": upload_id, "r": after[0] if after else None, "e": after[1] if after else None, "n": limit},
            )
            return [
                ErrorLine(r.error_id, RowError(r.row_number, r.field_name, ErrorCode(r.error_code), r.message,
                                               r.field_value))
                for r in rows
            ]

    def products(self, vendor_id: str, limit: int, after: str | None, q: str | None = None) -> list[dict[str, Any]]:
        """By vendor_product_id; `q`: only those whose SKU or name contains it (any case)."""
        pattern = None if not q else "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {', '.join(PRODUCT_VIEW_COLUMNS)} FROM products "  # noqa: S608 (constants)
                    "WHERE vendor_id = :v AND (CAST(:after AS text) IS NULL OR vendor_product_id > :after) "
                    "AND (CAST(:q AS text) IS NULL OR sku ILIKE :q OR product_name ILIKE :q) "
                    "ORDER BY vendor_product_id LIMIT :n"
                ),
                {"v": vendor_id, "after": after, "q": pattern, "n": limit},
            )
            return [dict(r._mapping) for r in rows]

    def product_history(self, vendor_id: str, vendor_product_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return select_product_history(conn, vendor_id, vendor_product_id)

    def product(self, vendor_id: str, vendor_product_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    f"SELECT {', '.join(PRODUCT_VIEW_COLUMNS)} FROM products "  # noqa: S608 (constants)
                    "WHERE vendor_id = :v AND vendor_product_id = :p"
                ),
                {"v": vendor_id, "p": vendor_product_id},
            ).one_or_none()
        return dict(row._mapping) if row else None


def _histories(conn: Connection, upload_ids: list[str]) -> dict[str, list[HistoryEntry]]:
    """Every listed upload's history in one query (not one per upload)."""
    if not upload_ids:
        return {}
    found: dict[str, list[HistoryEntry]] = {}
    rows = conn.execute(
        text(
            "SELECT upload_id, status, at, detail FROM upload_status_history "
            "WHERE upload_id = ANY(:ids) ORDER BY upload_id, entry_id"
        ),
        {"ids": upload_ids},
    )
    for r in rows:
        found.setdefault(r.upload_id, []).append(HistoryEntry(UploadStatus(r.status), r.at, r.detail))
    return found
