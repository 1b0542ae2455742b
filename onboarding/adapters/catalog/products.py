"""Products: who owns a SKU, a vendor's products, and the validator's commit of row outcomes (the hot path)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, text

from onboarding.domain.changes import ChangeKind, ProductChange, RowWarnings
from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.rules import ProductKey
from onboarding.domain.uploads import RowOutcomes, UploadProgress, UploadStatus

# The products table's columns: the vendor, then the file's columns (the upsert below binds one array per column).
PRODUCT_COLUMNS: tuple[str, ...] = ("vendor_id", *CSV_COLUMNS)
_PRODUCT_ARRAY_TYPES: dict[str, str] = {
    "price": "numeric[]", "compare_at_price": "numeric[]", "stock_quantity": "int[]", "weight_kg": "numeric[]",
}


@lru_cache(maxsize=64)
def _write_changes(updated_columns: frozenset[str]) -> TextClause:
    return text(write_changes_sql(updated_columns))


def write_changes_sql(updated_columns: frozenset[str]) -> str:
    """Products (insert, or update of the file's columns only: an absent column is never touched), their
    history and the rows' warnings, in one statement."""
    updates = [c for c in PRODUCT_COLUMNS[2:] if c in updated_columns]
    return f"""
        WITH written AS (
            INSERT INTO products ({", ".join(PRODUCT_COLUMNS)}, is_active, upload_id)
            SELECT *, :upload_id FROM unnest({", ".join(
                f"CAST(:{c} AS {_PRODUCT_ARRAY_TYPES.get(c, 'text[]')})" for c in PRODUCT_COLUMNS)},
                CAST(:is_active AS boolean[]))
            ON CONFLICT (vendor_id, vendor_product_id) DO UPDATE SET
                {"".join(f"{c} = EXCLUDED.{c}, " for c in updates)}
                is_active = EXCLUDED.is_active,
                deactivated_at = CASE WHEN EXCLUDED.is_active THEN NULL
                                      ELSE COALESCE(products.deactivated_at, now()) END,
                upload_id = EXCLUDED.upload_id,
                updated_at = now()
            RETURNING 1
        ), history AS (
            INSERT INTO product_history (vendor_id, vendor_product_id, upload_id, event, changes)
            SELECT h.vendor_id, h.vendor_product_id, :upload_id, h.event, h.changes
            FROM unnest(CAST(:h_vendors AS text[]), CAST(:h_products AS text[]), CAST(:h_events AS text[]),
                        CAST(:h_changes AS jsonb[])) AS h(vendor_id, vendor_product_id, event, changes)
            ON CONFLICT ON CONSTRAINT product_history_once DO NOTHING
            RETURNING 1
        ), warnings AS (
            INSERT INTO validation_errors
                (upload_id, row_number, field_name, error_code, message, field_value, original_row, severity)
            SELECT :upload_id, w.*, 'warning'
            FROM unnest(CAST(:w_rows AS int[]), CAST(:w_fields AS text[]), CAST(:w_codes AS text[]),
                        CAST(:w_messages AS text[]), CAST(:w_values AS text[]), CAST(:w_originals AS jsonb[])) AS w
            ON CONFLICT ON CONSTRAINT validation_errors_once DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM written) AS products, (SELECT count(*) FROM history) AS events,
               (SELECT count(*) FROM warnings) AS warnings
        """  # noqa: S608 (column names are constants; values are bound)


def write_changes_params(
    upload_id: str, changes: Sequence[ProductChange], warnings: Sequence[RowWarnings]
) -> dict[str, Any]:
    written = [c for c in changes if c.kind.writes]
    params: dict[str, Any] = {c: [getattr(ch.product, c) for ch in written] for c in PRODUCT_COLUMNS}
    params["is_active"] = [ch.is_active for ch in written]
    params["upload_id"] = upload_id
    params["h_vendors"] = [ch.product.vendor_id for ch in written]
    params["h_products"] = [ch.product.vendor_product_id for ch in written]
    params["h_events"] = [str(ch.kind) for ch in written]
    params["h_changes"] = [json.dumps({f: {"old": old, "new": new} for f, (old, new) in ch.changes.items()})
                           for ch in written]
    flat = [(w, row.original_row) for row in warnings for w in row.warnings]
    params["w_rows"] = [w.row_number for w, _ in flat]
    params["w_fields"] = [w.field for w, _ in flat]
    params["w_codes"] = [str(w.code) for w, _ in flat]
    params["w_messages"] = [w.message for w, _ in flat]
    params["w_values"] = [w.value for w, _ in flat]
    params["w_originals"] = [json.dumps(o) if o is not None else None for _, o in flat]
    return params


def count_kinds(changes: Sequence[ProductChange]) -> dict[str, int]:
    """The counters a batch adds: a reactivation counts as an update."""
    kinds = [c.kind for c in changes]
    return {
        "created": kinds.count(ChangeKind.CREATE),
        "updated": kinds.count(ChangeKind.UPDATE) + kinds.count(ChangeKind.REACTIVATE),
        "unchanged": kinds.count(ChangeKind.UNCHANGED),
        "deactivated": kinds.count(ChangeKind.DEACTIVATE),
        "warned": sum(1 for c in changes if c.warnings),
    }


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
                    f"SELECT {', '.join(PRODUCT_COLUMNS)}, is_active, upload_id FROM products "  # noqa: S608 (constants)
                    "WHERE vendor_id = :v ORDER BY vendor_product_id"
                ),
                {"v": vendor_id},
            )
            return [dict(r._mapping) for r in rows]

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
    row_numbers = [*batch.changes.keys(), *batch.invalid_rows]
    outcomes = ["valid"] * len(batch.changes) + ["invalid"] * len(batch.invalid_rows)
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
    changes = [c for n, c in batch.changes.items() if n in new_rows]
    warnings = [RowWarnings([w for w in row.warnings if w.row_number in new_rows], row.original_row)
                for row in batch.warnings]
    written = [] if batch.dry_run else changes  # a dry run writes no product and no history, only its findings
    if any(c.kind.writes for c in written) or any(row.warnings for row in warnings):
        conn.execute(_write_changes(batch.columns), write_changes_params(batch.upload_id, written, warnings))
    new_invalid = sum(1 for n in batch.invalid_rows if n in new_rows)
    # The counters, and the move to `reporting` when this batch accounts for the last row, in one statement.
    # Counters only grow, so exactly one batch crosses the total (`crossed`): its history line is the only one,
    # and the UPDATE's row lock orders racing validators.
    row = conn.execute(
        text(
            """
            WITH bumped AS (
                UPDATE upload_history
                SET valid_records = valid_records + :valid, error_records = error_records + :invalid,
                    created_records = created_records + :created, updated_records = updated_records + :updated,
                    unchanged_records = unchanged_records + :unchanged,
                    deactivated_records = deactivated_records + :deactivated,
                    warning_records = warning_records + :warned,
                    would_update_records = would_update_records + CASE WHEN :dry_run THEN :existing ELSE 0 END,
                    status = CASE
                        WHEN status = :validating AND total_records IS NOT NULL
                             AND valid_records + :valid + error_records + :invalid >= total_records
                        THEN :reporting ELSE status END,
                    updated_at = now()
                WHERE upload_id = :upload_id
                RETURNING total_records, valid_records, error_records, status,
                          valid_records + error_records - :valid - :invalid < total_records AS crossed
            ), reported AS (
                INSERT INTO upload_status_history (upload_id, status, detail)
                SELECT :upload_id, :reporting, :reporting_detail FROM bumped
                WHERE bumped.crossed AND bumped.status = :reporting
            )
            SELECT total_records, valid_records, error_records, status FROM bumped
            """
        ),
        {"upload_id": batch.upload_id, "valid": len(changes), "invalid": new_invalid, "dry_run": batch.dry_run,
         "existing": sum(1 for c in changes if c.kind is not ChangeKind.CREATE),
         "validating": str(UploadStatus.VALIDATING), "reporting": str(UploadStatus.REPORTING),
         "reporting_detail": "Every row has an outcome; preparing the report.", **count_kinds(changes)},
    ).one()
    progress = UploadProgress(row.total_records, row.valid_records, row.error_records, reported_error_rows=0)
    return progress
