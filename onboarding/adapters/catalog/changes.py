"""PostgreSQL for catalog operations (issue 16): what the validator reads per batch, how a batch's changes,
history and warnings are written, replace's deactivations, the parser's file-level checks, vendor rules.

The validator's read is one statement (SKU owners, the stored products, the uploads' modes and headers, the
vendors' rules, each as a JSON aggregate) and its writes add no statement: products, history and warnings go
in one statement of data-modifying CTEs, so a batch still costs the same few round trips whatever its size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, text

from onboarding.domain.changes import (
    BatchContext,
    CatalogEffect,
    FileRows,
    ImportMode,
    StoredProduct,
    UploadContext,
    VendorRules,
)
from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.rules import Product, ProductKey
from onboarding.domain.vendors import Vendor, VendorStatus

_NUMERIC = {"price", "compare_at_price", "weight_kg"}


_PRODUCT_JSON = ", ".join(
    f"'{c}', {c}::text" if c in _NUMERIC else f"'{c}', {c}" for c in ("vendor_id", *CSV_COLUMNS, "is_active")
)
_VENDOR_RULES_COLUMNS = (
    "vendor_id, max_active_products, max_uploads_per_day, extra_required_columns, allowed_categories, "
    "allowed_brands, min_price, max_price"
)

_BATCH_CONTEXT = text(
    f"""
    SELECT
      (SELECT COALESCE(json_agg(json_build_object('sku', sku, 'vendor_id', vendor_id,
                                                  'vendor_product_id', vendor_product_id)), '[]')
       FROM products WHERE sku = ANY(CAST(:skus AS text[]))) AS owners,
      (SELECT COALESCE(json_agg(json_build_object({_PRODUCT_JSON})), '[]')
       FROM products
       WHERE (vendor_id, vendor_product_id) IN (
           SELECT * FROM unnest(CAST(:key_vendors AS text[]), CAST(:key_products AS text[])))) AS stored,
      (SELECT COALESCE(json_agg(json_build_object('upload_id', upload_id, 'mode', mode, 'header', source_header,
                                         'dry_run', dry_run)),
                       '[]')
       FROM upload_history WHERE upload_id = ANY(CAST(:uploads AS text[]))) AS uploads,
      (SELECT COALESCE(json_agg(json_build_object(
                 'vendor_id', vendor_id, 'max_active_products', max_active_products,
                 'max_uploads_per_day', max_uploads_per_day, 'extra_required_columns', extra_required_columns,
                 'allowed_categories', allowed_categories, 'allowed_brands', allowed_brands,
                 'min_price', min_price::text, 'max_price', max_price::text)), '[]')
       FROM vendor_rules WHERE vendor_id = ANY(CAST(:vendors AS text[]))) AS rules
    """  # noqa: S608 (column names are constants; values are bound)
)


def read_batch_context(
    conn: Connection, upload_ids: Sequence[str], vendor_ids: Sequence[str], skus: Sequence[str],
    keys: Sequence[ProductKey],
) -> BatchContext:
    row = conn.execute(
        _BATCH_CONTEXT,
        {"skus": list(skus), "key_vendors": [k.vendor_id for k in keys],
         "key_products": [k.vendor_product_id for k in keys], "uploads": list(upload_ids), "vendors": list(vendor_ids)},
    ).one()
    return BatchContext(
        sku_owners={o["sku"]: ProductKey(o["vendor_id"], o["vendor_product_id"]) for o in row.owners},
        stored={ProductKey(p["vendor_id"], p["vendor_product_id"]): stored_product(p) for p in row.stored},
        uploads={u["upload_id"]: UploadContext(ImportMode(u["mode"] or ImportMode.UPSERT), tuple(u["header"] or ()),
                                               bool(u["dry_run"]))
                 for u in row.uploads},
        rules={r["vendor_id"]: vendor_rules(r) for r in row.rules},
    )


def stored_product(values: Mapping[str, Any]) -> StoredProduct:
    def decimal(name: str) -> Decimal | None:
        return Decimal(values[name]) if values[name] is not None else None

    product = Product(
        vendor_id=values["vendor_id"], vendor_product_id=values["vendor_product_id"],
        product_name=values["product_name"], category=values["category"], sku=values["sku"],
        price=Decimal(values["price"]), stock_quantity=int(values["stock_quantity"]),
        subcategory=values["subcategory"], description=values["description"], brand=values["brand"],
        compare_at_price=decimal("compare_at_price"), unit=values["unit"], weight_kg=decimal("weight_kg"),
        dimensions_cm=values["dimensions_cm"], image_url=values["image_url"],
    )
    return StoredProduct(product, bool(values["is_active"]))


def vendor_rules(values: Mapping[str, Any]) -> VendorRules:
    def decimal(value: Any) -> Decimal | None:
        return Decimal(str(value)) if value is not None else None

    return VendorRules(
        vendor_id=values["vendor_id"],
        max_active_products=values["max_active_products"],
        max_uploads_per_day=values["max_uploads_per_day"],
        extra_required_columns=tuple(values["extra_required_columns"] or ()),
        allowed_categories=tuple(values["allowed_categories"] or ()),
        allowed_brands=tuple(values["allowed_brands"] or ()),
        min_price=decimal(values["min_price"]),
        max_price=decimal(values["max_price"]),
    )


# -- replace: deactivate what the file did not name --------------------------------------------------

_DEACTIVATE_ABSENT = text(
    """
    WITH gone AS (
        UPDATE products p SET is_active = FALSE, deactivated_at = now(), upload_id = :u, updated_at = now()
        WHERE p.vendor_id = :v AND p.is_active
          AND NOT EXISTS (SELECT 1 FROM upload_product_ids f
                          WHERE f.upload_id = :u AND f.vendor_product_id = p.vendor_product_id)
        RETURNING p.vendor_id, p.vendor_product_id
    ), history AS (
        INSERT INTO product_history (vendor_id, vendor_product_id, upload_id, event, changes)
        SELECT vendor_id, vendor_product_id, :u, 'deactivate', '{"is_active": {"old": true, "new": false}}'
        FROM gone
        ON CONFLICT ON CONSTRAINT product_history_once DO NOTHING
    )
    UPDATE upload_history SET deactivated_records = deactivated_records + (SELECT count(*) FROM gone),
                              updated_at = now()
    WHERE upload_id = :u
    RETURNING deactivated_records
    """
)


def deactivate_absent(conn: Connection, upload_id: str, vendor_id: str) -> int:
    """After a replace upload: its vendor's active products that the file did not name are deactivated."""
    return int(conn.execute(_DEACTIVATE_ABSENT, {"u": upload_id, "v": vendor_id}).scalar_one())


# -- the parser's file-level checks ---------------------------------------------------------------

_RECORD_FILE_IDS = text(
    """
    INSERT INTO upload_product_ids (upload_id, vendor_product_id)
    SELECT :u, id FROM unnest(CAST(:ids AS text[])) AS id
    ON CONFLICT DO NOTHING
    """
)

_CATALOG_EFFECT = text(
    """
    WITH f(id, is_delete) AS MATERIALIZED (
        SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:deletes AS boolean[]))
    )
    SELECT
      (SELECT count(*) FROM products WHERE vendor_id = :v AND is_active) AS active_now,
      (SELECT count(*) FROM f LEFT JOIN products p ON p.vendor_id = :v AND p.vendor_product_id = f.id
       WHERE NOT f.is_delete AND ((p.product_id IS NULL AND :may_create) OR NOT p.is_active)) AS would_activate,
      (SELECT count(*) FROM products p
       WHERE p.vendor_id = :v AND p.is_active AND (
           (:replace AND NOT EXISTS (SELECT 1 FROM f WHERE f.id = p.vendor_product_id AND NOT f.is_delete))
           OR EXISTS (SELECT 1 FROM f WHERE f.id = p.vendor_product_id AND f.is_delete))) AS would_deactivate
    """
)


def catalog_effect(
    conn: Connection, upload_id: str, vendor_id: str, rows: FileRows, mode: ImportMode
) -> CatalogEffect:
    """What the file would do to the vendor's active products; for a replace, also records the file's ids."""
    replace = mode is ImportMode.REPLACE
    if replace:
        conn.execute(_RECORD_FILE_IDS, {"u": upload_id, "ids": sorted(rows.upserted)})
    ids = [*rows.upserted, *rows.deleted]
    row = conn.execute(
        _CATALOG_EFFECT,
        {"v": vendor_id, "ids": ids, "deletes": [False] * len(rows.upserted) + [True] * len(rows.deleted),
         "may_create": mode is not ImportMode.UPDATE_ONLY, "replace": replace},
    ).one()
    return CatalogEffect(row.active_now, row.would_activate, row.would_deactivate)


_UPLOADS_TODAY = text(
    """
    SELECT count(*) FROM upload_history
    WHERE vendor_id = :v AND upload_id <> :u
      AND started_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      AND NOT (status = 'failed' AND valid_records = 0)
      AND status NOT IN ('awaiting_upload', 'expired')
    """
)


def uploads_today(conn: Connection, vendor_id: str, upload_id: str) -> int:
    """The vendor's other uploads since midnight UTC, not counting files rejected whole (a quota's own
    rejections must not use up the allowance) nor API tickets whose file has not come (or never came)."""
    return int(conn.execute(_UPLOADS_TODAY, {"v": vendor_id, "u": upload_id}).scalar_one())


# -- vendor rules and history, for the CLI ------------------------------------------------------------

def select_vendor_rules(conn: Connection, vendor_id: str) -> VendorRules | None:
    row = conn.execute(
        text(f"SELECT {_VENDOR_RULES_COLUMNS} FROM vendor_rules WHERE vendor_id = :v"),  # noqa: S608 (constants)
        {"v": vendor_id},
    ).one_or_none()
    return vendor_rules(dict(row._mapping)) if row else None


def save_vendor_rules(conn: Connection, rules: VendorRules) -> None:
    conn.execute(
        text(
            f"""
            INSERT INTO vendor_rules ({_VENDOR_RULES_COLUMNS})
            VALUES (:vendor_id, :max_active_products, :max_uploads_per_day, :extra_required_columns,
                    :allowed_categories, :allowed_brands, :min_price, :max_price)
            ON CONFLICT (vendor_id) DO UPDATE SET
                max_active_products = EXCLUDED.max_active_products,
                max_uploads_per_day = EXCLUDED.max_uploads_per_day,
                extra_required_columns = EXCLUDED.extra_required_columns,
                allowed_categories = EXCLUDED.allowed_categories, allowed_brands = EXCLUDED.allowed_brands,
                min_price = EXCLUDED.min_price, max_price = EXCLUDED.max_price, updated_at = now()
            """  # noqa: S608 (constants)
        ),
        {**rules.__dict__, "extra_required_columns": list(rules.extra_required_columns),
         "allowed_categories": list(rules.allowed_categories), "allowed_brands": list(rules.allowed_brands)},
    )


def select_product_history(conn: Connection, vendor_id: str, vendor_product_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            """
            SELECT h.upload_id, h.event, h.changes, h.recorded_at, u.file_name
            FROM product_history h LEFT JOIN upload_history u USING (upload_id)
            WHERE h.vendor_id = :v AND h.vendor_product_id = :p ORDER BY h.history_id
            """
        ),
        {"v": vendor_id, "p": vendor_product_id},
    )
    return [
        {"vendor_id": vendor_id, "vendor_product_id": vendor_product_id, "upload_id": r.upload_id,
         "file_name": r.file_name, "event": r.event, "changes": r.changes, "at": r.recorded_at}
        for r in rows
    ]


class CatalogChanges:
    """The catalog-operations part of `CatalogDatabase` (one transaction per method)."""

    engine: Engine

    def batch_context(
        self, upload_ids: Sequence[str], vendor_ids: Sequence[str], skus: Sequence[str], keys: Sequence[ProductKey]
    ) -> BatchContext:
        with self.engine.connect() as conn:
            return read_batch_context(conn, upload_ids, vendor_ids, skus, keys)

    def vendor_and_rules(self, vendor_id: str) -> tuple[Vendor | None, VendorRules | None]:
        """The vendor and its rules in one query (the parser's first look at an upload)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    f"""
                    SELECT v.vendor_id, v.vendor_name, v.email, v.status, r.vendor_id AS rules_vendor,
                           {", ".join(f"r.{c.strip()}" for c in _VENDOR_RULES_COLUMNS.split(",")[1:])}
                    FROM vendors v LEFT JOIN vendor_rules r USING (vendor_id) WHERE v.vendor_id = :v
                    """  # noqa: S608 (constants)
                ),
                {"v": vendor_id},
            ).one_or_none()
        if row is None:
            return None, None
        vendor = Vendor(row.vendor_id, row.vendor_name, row.email, VendorStatus(row.status))
        return vendor, vendor_rules(dict(row._mapping)) if row.rules_vendor is not None else None

    def uploads_today(self, vendor_id: str, upload_id: str) -> int:
        with self.engine.connect() as conn:
            return uploads_today(conn, vendor_id, upload_id)

    def catalog_effect(self, upload_id: str, vendor_id: str, rows: FileRows, mode: ImportMode) -> CatalogEffect:
        with self.engine.begin() as conn:
            return catalog_effect(conn, upload_id, vendor_id, rows, mode)

    def vendor_rules(self, vendor_id: str) -> VendorRules | None:
        with self.engine.connect() as conn:
            return select_vendor_rules(conn, vendor_id)

    def save_vendor_rules(self, rules: VendorRules) -> None:
        with self.engine.begin() as conn:
            save_vendor_rules(conn, rules)

    def product_history(self, vendor_id: str, vendor_product_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return select_product_history(conn, vendor_id, vendor_product_id)
