"""Products: who owns a SKU, a vendor's products, and the validator's commit of row outcomes (the hot path)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, text

from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.rules import ProductKey
from onboarding.domain.uploads import RowOutcomes, UploadProgress

# The products table's columns: the vendor, then the file's columns (the upsert below binds one array per column).
PRODUCT_COLUMNS: tuple[str, ...] = ("vendor_id", *CSV_COLUMNS)
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


class Products:
    engine: Engine

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

    def dry_runs(self, upload_ids: Sequence[str]) -> set[str]:
        """Which of these uploads are dry runs (judged, never written)."""
        if not upload_ids:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(
                text("SELECT upload_id FROM upload_history WHERE upload_id = ANY(:ids) AND dry_run"),
                {"ids": list(upload_ids)},
            ).scalars())

    def commit_outcomes(self, batches: Sequence[RowOutcomes]) -> dict[str, UploadProgress]:
        """Record row outcomes, write new valid products and bump counters: one transaction.

        Rows already in the ledger (a replayed stream batch) are skipped, so nothing counts twice. A dry run's
        rows are recorded and counted (with the products they would update), and write nothing else. Rows judged
        under a dry-run flag the upload no longer has (an old dry-run batch replayed after a commit) are skipped:
        the commit's own rows follow.
        """
        progress: dict[str, UploadProgress] = {}
        with self.engine.begin() as conn:
            for batch in batches:
                progress[batch.upload_id] = _commit_upload_outcomes(conn, batch)
        return progress


def _commit_upload_outcomes(conn: Connection, batch: RowOutcomes) -> UploadProgress:
    row_numbers = [*batch.products.keys(), *batch.invalid_rows]
    outcomes = ["valid"] * len(batch.products) + ["invalid"] * len(batch.invalid_rows)
    new_rows = set(
        conn.execute(
            text(
                """
                INSERT INTO upload_rows (upload_id, row_number, outcome)
                SELECT :upload_id, * FROM unnest(CAST(:rows AS int[]), CAST(:outcomes AS text[]))
                WHERE EXISTS (SELECT 1 FROM upload_history WHERE upload_id = :upload_id AND dry_run = :dry_run)
                ON CONFLICT DO NOTHING
                RETURNING row_number
                """
            ),
            {"upload_id": batch.upload_id, "rows": row_numbers, "outcomes": outcomes, "dry_run": batch.dry_run},
        ).scalars()
    )
    new_products = [p for n, p in batch.products.items() if n in new_rows]
    if new_products and not batch.dry_run:
        params: dict[str, Any] = {c: [getattr(p, c) for p in new_products] for c in PRODUCT_COLUMNS}
        params["upload_id"] = batch.upload_id
        conn.execute(_upsert_products(batch.columns), params)
    new_invalid = sum(1 for n in batch.invalid_rows if n in new_rows)
    row = conn.execute(
        text(
            """
            UPDATE upload_history
            SET valid_records = valid_records + :valid, error_records = error_records + :invalid,
                would_update_records = would_update_records + CASE WHEN :dry_run THEN (
                    SELECT count(*) FROM products p
                    JOIN unnest(CAST(:vendors AS text[]), CAST(:ids AS text[])) AS k (vendor_id, vendor_product_id)
                    USING (vendor_id, vendor_product_id)) ELSE 0 END,
                updated_at = now()
            WHERE upload_id = :upload_id
            RETURNING total_records, valid_records, error_records
            """
        ),
        {"upload_id": batch.upload_id, "valid": len(new_products), "invalid": new_invalid,
         "dry_run": batch.dry_run, "vendors": [p.vendor_id for p in new_products] if batch.dry_run else [],
         "ids": [p.vendor_product_id for p in new_products] if batch.dry_run else []},
    ).one()
    return UploadProgress(row.total_records, row.valid_records, row.error_records, reported_error_rows=0)
