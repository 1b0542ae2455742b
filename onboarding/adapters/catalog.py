"""PostgreSQL: vendors, categories, products, and the state of every upload.

Every method is one transaction. Writes on the hot path are single statements over arrays
(`unnest`), so a batch of a thousand rows costs the same handful of round trips as a batch of one.
Vendor text only ever reaches SQL as bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, text

from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.rules import Product, ProductKey
from onboarding.domain.uploads import Upload, UploadProgress, UploadStatus
from onboarding.domain.vendors import Vendor, VendorStatus

PRODUCT_COLUMNS: tuple[str, ...] = (
    "vendor_id", "vendor_product_id", "product_name", "category", "subcategory", "description", "sku",
    "brand", "price", "compare_at_price", "stock_quantity", "unit", "weight_kg", "dimensions_cm", "image_url",
)
_PRODUCT_ARRAY_TYPES: dict[str, str] = {
    "price": "numeric[]", "compare_at_price": "numeric[]", "stock_quantity": "int[]", "weight_kg": "numeric[]",
}

@lru_cache(maxsize=64)
def _upsert_products(updated_columns: frozenset[str]) -> TextClause:
    """Insert new products; on an existing one set only `updated_columns`: a column absent from the file
    is never touched (a file without `brand` must not wipe the brands already in the catalog)."""
    updates = [c for c in PRODUCT_COLUMNS[2:] if c in updated_columns]
    return text(
        f"""
        INSERT INTO products ({", ".join(PRODUCT_COLUMNS)}, upload_id)
        SELECT *, :upload_id FROM unnest({", ".join(
            f"CAST(:{c} AS {_PRODUCT_ARRAY_TYPES.get(c, 'text[]')})" for c in PRODUCT_COLUMNS)})
        ON CONFLICT (vendor_id, vendor_product_id) DO UPDATE SET
            {"".join(f"{c} = EXCLUDED.{c}, " for c in updates)}
            upload_id = EXCLUDED.upload_id,
            updated_at = now()
        """  # noqa: S608 (column names are constants; values are bound)
    )


_UPLOAD_COLUMNS = """
    upload_id, vendor_id, file_name, s3_bucket, s3_key, status, total_records, valid_records, error_records,
    source_header, file_notes, write_shards, error_report_key, failure_reason, started_at, completed_at
"""


@dataclass(frozen=True)
class NewUpload:
    upload_id: str
    vendor_id: str
    file_name: str
    s3_bucket: str
    s3_key: str
    object_version: str | None


@dataclass(frozen=True)
class RowOutcomes:
    """What the validator decided for the rows of one upload in one batch."""

    upload_id: str
    products: Mapping[int, Product]  # row_number -> the valid row's product
    invalid_rows: Sequence[int]
    # The product columns the file has: only these change on an existing product.
    columns: frozenset[str] = field(default_factory=lambda: frozenset(PRODUCT_COLUMNS))


@dataclass(frozen=True)
class RecordedError:
    error: RowError
    original_row: dict[str, str] | None


@dataclass(frozen=True)
class NotificationRecord:
    audience: str
    topic_arn: str
    subject: str
    message: str
    message_id: str | None


class CatalogDatabase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- vendors and categories ---------------------------------------------------------------

    def get_vendor(self, vendor_id: str) -> Vendor | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT vendor_id, vendor_name, email, status FROM vendors WHERE vendor_id = :v"),
                {"v": vendor_id},
            ).one_or_none()
        return _vendor(row) if row else None

    def list_vendors(self) -> list[Vendor]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT vendor_id, vendor_name, email, status FROM vendors ORDER BY vendor_id"))
            return [_vendor(r) for r in rows]

    def save_vendor(self, vendor: Vendor) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    INSERT INTO vendors (vendor_id, vendor_name, email, status) VALUES (:id, :name, :email, :status)
                    ON CONFLICT (vendor_id) DO UPDATE
                    SET vendor_name = EXCLUDED.vendor_name, email = EXCLUDED.email, status = EXCLUDED.status,
                        updated_at = now()
                    """
                ),
                {"id": vendor.vendor_id, "name": vendor.vendor_name, "email": vendor.email,
                 "status": str(vendor.status)},
            )

    def active_categories(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(text("SELECT category_name FROM product_categories WHERE is_active")).scalars()
            )

    # -- products ----------------------------------------------------------------------------

    def sku_owners(self, skus: Sequence[str]) -> dict[str, ProductKey]:
        if not skus:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT sku, vendor_id, vendor_product_id FROM products WHERE sku = ANY(:skus)"),
                {"skus": list(skus)},
            )
            return {r.sku: ProductKey(r.vendor_id, r.vendor_product_id) for r in rows}

    def products_of(self, vendor_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {', '.join(PRODUCT_COLUMNS)}, upload_id FROM products "  # noqa: S608 (constants)
                    "WHERE vendor_id = :v ORDER BY vendor_product_id"
                ),
                {"v": vendor_id},
            )
            return [dict(r._mapping) for r in rows]

    def commit_outcomes(self, batches: Sequence[RowOutcomes]) -> dict[str, UploadProgress]:
        """Record row outcomes, write new valid products and bump counters: one transaction.

        Rows already in the ledger (a replayed stream batch) are skipped, so nothing counts twice.
        """
        progress: dict[str, UploadProgress] = {}
        with self.engine.begin() as conn:
            for batch in batches:
                progress[batch.upload_id] = self._commit_upload_outcomes(conn, batch)
        return progress

    def _commit_upload_outcomes(self, conn: Connection, batch: RowOutcomes) -> UploadProgress:
        row_numbers = [*batch.products.keys(), *batch.invalid_rows]
        outcomes = ["valid"] * len(batch.products) + ["invalid"] * len(batch.invalid_rows)
        new_rows = set(
            conn.execute(
                text(
                    """
                    INSERT INTO upload_rows (upload_id, row_number, outcome)
                    SELECT :upload_id, * FROM unnest(CAST(:rows AS int[]), CAST(:outcomes AS text[]))
                    ON CONFLICT DO NOTHING
                    RETURNING row_number
                    """
                ),
                {"upload_id": batch.upload_id, "rows": row_numbers, "outcomes": outcomes},
            ).scalars()
        )
        new_products = [p for n, p in batch.products.items() if n in new_rows]
        if new_products:
            params: dict[str, Any] = {c: [getattr(p, c) for p in new_products] for c in PRODUCT_COLUMNS}
            params["upload_id"] = batch.upload_id
            conn.execute(_upsert_products(batch.columns), params)
        new_invalid = sum(1 for n in batch.invalid_rows if n in new_rows)
        row = conn.execute(
            text(
                """
                UPDATE upload_history
                SET valid_records = valid_records + :valid, error_records = error_records + :invalid,
                    updated_at = now()
                WHERE upload_id = :upload_id
                RETURNING total_records, valid_records, error_records
                """
            ),
            {"upload_id": batch.upload_id, "valid": len(new_products), "invalid": new_invalid},
        ).one()
        return UploadProgress(row.total_records, row.valid_records, row.error_records, reported_error_rows=0)

    # -- uploads -----------------------------------------------------------------------------

    def start_upload(self, upload: NewUpload) -> Upload:
        """Record the upload (once: a replayed event finds it) and return it as it stands."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, object_version)
                    VALUES (:upload_id, :vendor_id, :file_name, :s3_bucket, :s3_key, :object_version)
                    ON CONFLICT (upload_id) DO NOTHING
                    """
                ),
                upload.__dict__,
            )
            return _upload(self._select_upload(conn, upload.upload_id))

    def get_upload(self, upload_id: str) -> Upload | None:
        with self.engine.connect() as conn:
            row = self._select_upload(conn, upload_id)
        return _upload(row) if row else None

    @staticmethod
    def _select_upload(conn: Connection, upload_id: str, for_update: bool = False) -> Any:
        lock = " FOR UPDATE" if for_update else ""
        return conn.execute(
            text(f"SELECT {_UPLOAD_COLUMNS} FROM upload_history WHERE upload_id = :u{lock}"),  # noqa: S608
            {"u": upload_id},
        ).one_or_none()

    def recent_uploads(self, limit: int = 20, vendor_id: str | None = None) -> list[Upload]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {_UPLOAD_COLUMNS} FROM upload_history "  # noqa: S608 (constants)
                    "WHERE (CAST(:v AS text) IS NULL OR vendor_id = :v) ORDER BY started_at DESC LIMIT :n"
                ),
                {"v": vendor_id, "n": limit},
            )
            return [_upload(r) for r in rows]

    def set_upload_layout(
        self, upload_id: str, total_records: int, header: Sequence[str], notes: Sequence[str], write_shards: int
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    UPDATE upload_history
                    SET total_records = :total, source_header = CAST(:header AS jsonb),
                        file_notes = CAST(:notes AS jsonb), write_shards = :shards, updated_at = now()
                    WHERE upload_id = :u AND (total_records IS NULL OR total_records = :total)
                    """
                ),
                {"u": upload_id, "total": total_records, "header": json.dumps(list(header)),
                 "notes": json.dumps(list(notes)), "shards": write_shards},
            )

    def record_errors(self, upload_id: str, errors: Sequence[RecordedError]) -> int:
        """Insert errors; ones already recorded (a replayed message) are skipped. Returns new errors."""
        if not errors:
            return 0
        with self.engine.begin() as conn:
            inserted = conn.execute(
                text(
                    """
                    INSERT INTO validation_errors
                        (upload_id, row_number, field_name, error_code, message, field_value, original_row)
                    SELECT :u, * FROM unnest(CAST(:rows AS int[]), CAST(:fields AS text[]), CAST(:codes AS text[]),
                                             CAST(:messages AS text[]), CAST(:vals AS text[]),
                                             CAST(:originals AS jsonb[]))
                    ON CONFLICT ON CONSTRAINT validation_errors_once DO NOTHING
                    """
                ),
                {
                    "u": upload_id,
                    "rows": [e.error.row_number for e in errors],
                    "fields": [e.error.field for e in errors],
                    "codes": [str(e.error.code) for e in errors],
                    "messages": [e.error.message for e in errors],
                    "vals": [e.error.value for e in errors],
                    "originals": [json.dumps(e.original_row) if e.original_row is not None else None for e in errors],
                },
            ).rowcount
            conn.execute(text("UPDATE upload_history SET updated_at = now() WHERE upload_id = :u"), {"u": upload_id})
        return int(inserted)

    def upload_errors(self, upload_id: str) -> list[RecordedError]:
        with self.engine.connect() as conn:
            return _select_errors(conn, upload_id)

    def upload_progress(self, upload_id: str) -> UploadProgress | None:
        with self.engine.connect() as conn:
            return _progress(conn, upload_id)

    def get_notification(self, upload_id: str) -> NotificationRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT audience, topic_arn, subject, message, message_id "
                    "FROM upload_notifications WHERE upload_id = :u"
                ),
                {"u": upload_id},
            ).one_or_none()
        return NotificationRecord(*row) if row else None

    @contextmanager
    def completion(self, upload_id: str) -> Iterator[Completion | None]:
        """Hold the upload's row lock while it is finished; None when it is not there or already final.

        Concurrent finishers queue on the lock; the second one sees the final status and does nothing,
        so the report and the notification happen once.
        """
        with self.engine.begin() as conn:
            row = self._select_upload(conn, upload_id, for_update=True)
            if row is None or row.status != UploadStatus.PROCESSING:
                yield None
                return
            progress = _progress(conn, upload_id)
            assert progress is not None  # noqa: S101 (the row is locked)
            yield Completion(conn, _upload(row), progress)

    # -- the sweeper's view ------------------------------------------------------------------

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


class Completion:
    """The locked upload being finished (see `CatalogDatabase.completion`)."""

    def __init__(self, conn: Connection, upload: Upload, progress: UploadProgress) -> None:
        self._conn = conn
        self.upload = upload
        self.progress = progress

    def errors(self) -> list[RecordedError]:
        return _select_errors(self._conn, self.upload.upload_id)

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


def _progress(conn: Connection, upload_id: str) -> UploadProgress | None:
    row = conn.execute(
        text(
            """
            SELECT total_records, valid_records, error_records,
                   (SELECT count(DISTINCT row_number) FROM validation_errors e
                    WHERE e.upload_id = h.upload_id AND e.row_number > 0) AS reported
            FROM upload_history h WHERE upload_id = :u
            """
        ),
        {"u": upload_id},
    ).one_or_none()
    if row is None:
        return None
    return UploadProgress(row.total_records, row.valid_records, row.error_records, row.reported)


def _select_errors(conn: Connection, upload_id: str) -> list[RecordedError]:
    """An upload's recorded errors, in row order."""
    rows = conn.execute(
        text(
            """
            SELECT row_number, field_name, error_code, message, field_value, original_row
            FROM validation_errors WHERE upload_id = :u ORDER BY row_number, error_id
            """
        ),
        {"u": upload_id},
    )
    return [
        RecordedError(RowError(r.row_number, r.field_name, ErrorCode(r.error_code), r.message, r.field_value),
                      r.original_row)
        for r in rows
    ]


def _vendor(row: Any) -> Vendor:
    return Vendor(row.vendor_id, row.vendor_name, row.email, VendorStatus(row.status))


def _upload(row: Any) -> Upload:
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
    )
