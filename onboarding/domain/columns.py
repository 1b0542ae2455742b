"""The catalog file's columns: names, which are required, length limits, and header aliases."""

from __future__ import annotations

import re

CSV_COLUMNS: tuple[str, ...] = (
    "vendor_product_id",
    "product_name",
    "category",
    "subcategory",
    "description",
    "sku",
    "brand",
    "price",
    "compare_at_price",
    "stock_quantity",
    "unit",
    "weight_kg",
    "dimensions_cm",
    "image_url",
)

# Not product data: what the row asks for (`upsert`, the default, or `delete`).
ACTION_COLUMN = "action"
CONTROL_COLUMNS: tuple[str, ...] = (ACTION_COLUMN,)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "vendor_product_id",
    "product_name",
    "category",
    "sku",
    "price",
    "stock_quantity",
)

MAX_LENGTHS: dict[str, int] = {
    "vendor_product_id": 100,
    "product_name": 200,
    "description": 2000,
    "sku": 100,
    "brand": 100,
}

# The error report's own bookkeeping columns, before the vendor's: a fixed report uploaded again has them,
# and they are recognised and skipped without a word (they are not the vendor's columns).
# `severity`: `error` (the row was rejected) or `warning` (imported and flagged).
REPORT_COLUMNS: tuple[str, ...] = (
    "row_number", "error_type", "error_field", "error_message", "error_help", "severity",
)

# Other names vendors' exports use for our columns (compared after `normalize_header`).
HEADER_ALIASES: dict[str, str] = {
    "product_id": "vendor_product_id",
    "vendor_sku_id": "vendor_product_id",
    "item_id": "vendor_product_id",
    "name": "product_name",
    "title": "product_name",
    "product_title": "product_name",
    "qty": "stock_quantity",
    "quantity": "stock_quantity",
    "stock": "stock_quantity",
    "inventory": "stock_quantity",
    "msrp": "compare_at_price",
    "list_price": "compare_at_price",
    "weight": "weight_kg",
    "dimensions": "dimensions_cm",
    "image": "image_url",
    "image_link": "image_url",
}

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_header(cell: str) -> str:
    """`' Stock Quantity '`, `'stock_quantity'` and `'STOCK-QUANTITY'` all become `'stock_quantity'`."""
    return _SEPARATORS.sub("_", cell.strip().lstrip("\ufeff").strip().casefold()).strip("_")


def is_report_column(cell: str) -> bool:
    """True for a header cell the error report added (`row_number`, `error_type`, ...)."""
    return normalize_header(cell) in REPORT_COLUMNS


def canonical_column(cell: str) -> str | None:
    """The catalog column a header cell names, or None for a column we ignore."""
    name = normalize_header(cell)
    if name in CSV_COLUMNS or name in CONTROL_COLUMNS:
        return name
    return HEADER_ALIASES.get(name)
