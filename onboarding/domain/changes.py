"""What a row does to the catalog: import modes, row actions, warnings and per-vendor rules, decided in pure Python.

The validator (and a dry run) calls `decide_row` with the product as stored, and gets back either the row's
errors or a `ProductChange`: the product as it will be, what changed (old -> new), and the warnings. Writing
the change is the adapter's job; deciding it never touches a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from onboarding.domain.columns import ACTION_COLUMN, CSV_COLUMNS, REQUIRED_COLUMNS
from onboarding.domain.errors import ErrorCode, FileRejected, RowError
from onboarding.domain.rules import CatalogSnapshot, Product, ProductKey, validate_row

# S3 user metadata an upload may carry (`x-amz-meta-mode`, `x-amz-meta-confirm-replace`).
MODE_METADATA = "mode"
CONFIRM_REPLACE_METADATA = "confirm-replace"
CLEAR = "#CLEAR"  # in a cell: empty this optional field (a blank cell keeps it in `partial`)
RECOMMENDED_COLUMNS: tuple[str, ...] = ("description", "brand", "image_url")
DEFAULT_PRICE_CHANGE_FACTOR = Decimal(3)
DEFAULT_REPLACE_GUARD_SHARE = 0.2


class ImportMode(StrEnum):
    UPSERT = "upsert"  # create or update; a present blank cell empties the field
    PARTIAL = "partial"  # only the file's columns; a blank cell keeps the stored value
    UPDATE_ONLY = "update_only"  # like upsert, but never creates: unknown ids are UNKNOWN_PRODUCT
    REPLACE = "replace"  # upsert, then the vendor's products absent from the file are deactivated


DEFAULT_MODE = ImportMode.UPSERT


def parse_mode(text: str | None) -> ImportMode:
    """The mode an upload asked for (blank: the default). Raises `FileRejected` for an unknown one."""
    cleaned = (text or "").strip().casefold().replace("-", "_")
    if not cleaned:
        return DEFAULT_MODE
    try:
        return ImportMode(cleaned)
    except ValueError:
        names = ", ".join(m.value for m in ImportMode)
        raise FileRejected(
            ErrorCode.INVALID_MODE, f"'{text}' is not an import mode; use one of {names}.", field="mode"
        ) from None


def header_required_columns(mode: ImportMode) -> tuple[str, ...]:
    """Columns the header must have: all required ones when rows may create products from the file alone."""
    if mode in (ImportMode.PARTIAL, ImportMode.UPDATE_ONLY):
        return ("vendor_product_id",)
    return REQUIRED_COLUMNS


def parse_flag(text: str | None) -> bool:
    return (text or "").strip().casefold() in ("1", "true", "yes", "y", "on")


class RowAction(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"  # deactivates the vendor's product


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"

    @property
    def writes(self) -> bool:
        return self is not ChangeKind.UNCHANGED


@dataclass(frozen=True)
class StoredProduct:
    product: Product
    is_active: bool


FieldChange = tuple[Any, Any]  # (old, new), JSON-ready


@dataclass(frozen=True)
class ProductChange:
    """What one valid row does: the product as it will be stored, its changed fields and its warnings."""

    kind: ChangeKind
    product: Product
    changes: Mapping[str, FieldChange]
    warnings: tuple[RowError, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.kind is not ChangeKind.DEACTIVATE


@dataclass(frozen=True)
class UploadContext:
    mode: ImportMode
    header: tuple[str, ...]
    dry_run: bool = False  # judged and counted, never written

@dataclass(frozen=True)
class BatchContext:
    """Everything the rules need to know of the database for one batch, read in one statement."""

    sku_owners: dict[str, ProductKey]
    stored: dict[ProductKey, StoredProduct]
    uploads: dict[str, UploadContext]
    rules: dict[str, VendorRules]


@dataclass(frozen=True)
class RowWarnings:
    """A valid row's warnings, with the row as the vendor wrote it (for the report)."""

    warnings: Sequence[RowError]
    original_row: dict[str, str] | None


@dataclass(frozen=True)
class VendorRules:
    """A vendor's own quotas and rules (table `vendor_rules`); empty or None means no such limit."""

    vendor_id: str
    max_active_products: int | None = None
    max_uploads_per_day: int | None = None
    extra_required_columns: tuple[str, ...] = ()
    allowed_categories: tuple[str, ...] = ()
    allowed_brands: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    def check_row(self, row_number: int, data: Mapping[str, str]) -> list[RowError]:
        """The vendor's rules on one row's (merged) values; they run after the platform's rules."""
        errors: list[RowError] = []
        missing = [c for c in self.extra_required_columns if not data.get(c, "").strip()]
        if missing:
            errors.append(RowError(row_number, ",".join(missing), ErrorCode.VENDOR_REQUIRED_FIELDS,
                                   f"Your catalog rules require: {', '.join(missing)}; fill them in."))
        category = data.get("category", "")
        if self.allowed_categories and category and category.casefold() not in _folded(self.allowed_categories):
            errors.append(RowError(row_number, "category", ErrorCode.CATEGORY_NOT_ALLOWED,
                                   f"'{category}' is not one of your allowed categories: "
                                   f"{', '.join(self.allowed_categories)}.", category))
        brand = data.get("brand", "")
        if self.allowed_brands and brand and brand.casefold() not in _folded(self.allowed_brands):
            errors.append(RowError(row_number, "brand", ErrorCode.BRAND_NOT_ALLOWED,
                                   f"'{brand}' is not one of your allowed brands: {', '.join(self.allowed_brands)}.",
                                   brand))
        price = _decimal(data.get("price", ""))
        if price is not None and not self._price_in_range(price):
            errors.append(RowError(row_number, "price", ErrorCode.PRICE_OUT_OF_RANGE,
                                   f"price {price} is outside your allowed range {self.price_range}.",
                                   data.get("price", "")))
        return errors

    def _price_in_range(self, price: Decimal) -> bool:
        return (self.min_price is None or price >= self.min_price) and (
            self.max_price is None or price <= self.max_price)

    @property
    def price_range(self) -> str:
        low = f"{self.min_price}" if self.min_price is not None else "any"
        high = f"{self.max_price}" if self.max_price is not None else "any"
        return f"{low} to {high}"


def _folded(names: Sequence[str]) -> set[str]:
    return {n.casefold() for n in names}


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.strip() else None
    except ArithmeticError:
        return None


@dataclass(frozen=True)
class Thresholds:
    price_change_factor: Decimal = DEFAULT_PRICE_CHANGE_FACTOR


def decide_row(
    vendor_id: str,
    row_number: int,
    data: Mapping[str, str],
    mode: ImportMode,
    stored: StoredProduct | None,
    snapshot: CatalogSnapshot,
    rules: VendorRules | None = None,
    thresholds: Thresholds = Thresholds(),
) -> ProductChange | list[RowError]:
    """One row against the product as stored: the change it makes, or all of its errors."""
    action_text = data.get(ACTION_COLUMN, "").strip()
    try:
        action = RowAction(action_text.casefold()) if action_text else RowAction.UPSERT
    except ValueError:
        return [RowError(row_number, ACTION_COLUMN, ErrorCode.INVALID_ACTION,
                         f"action '{action_text}' must be upsert or delete (blank means upsert).", action_text)]
    product_id = data.get("vendor_product_id", "")
    if action is RowAction.DELETE or (stored is None and mode is ImportMode.UPDATE_ONLY):
        if not product_id:
            return [RowError(row_number, "vendor_product_id", ErrorCode.MISSING_REQUIRED_FIELDS,
                             "Required field(s) empty: vendor_product_id.")]
        if stored is None:
            doing = "delete" if action is RowAction.DELETE else "update (this upload's mode creates nothing)"
            return [RowError(row_number, "vendor_product_id", ErrorCode.UNKNOWN_PRODUCT,
                             f"You have no product '{product_id}' to {doing}; check the vendor_product_id.",
                             product_id)]
    if action is RowAction.DELETE:
        assert stored is not None  # noqa: S101 (checked above)
        if not stored.is_active:
            return ProductChange(ChangeKind.UNCHANGED, stored.product, {})
        return ProductChange(ChangeKind.DEACTIVATE, stored.product, {"is_active": (True, False)})

    merged, errors = _merge(row_number, data, mode, stored)
    result = validate_row(vendor_id, row_number, merged, _trusting_stored_category(snapshot, data, stored))
    if not isinstance(result, Product):
        errors += result
    if rules is not None:
        errors += rules.check_row(row_number, merged)
    if errors or not isinstance(result, Product):
        return errors
    return _change(result, stored, _warnings(row_number, result, stored, thresholds))


def _merge(
    row_number: int, data: Mapping[str, str], mode: ImportMode, stored: StoredProduct | None
) -> tuple[dict[str, str], list[RowError]]:
    """The row's values over the stored product's: absent columns are kept in every mode, blank cells in
    `partial`; `#CLEAR` empties an optional field."""
    merged = as_cells(stored.product) if stored is not None else {}
    uncleared: list[str] = []
    for column in CSV_COLUMNS:
        if column not in data:
            continue
        cell = data[column]
        if cell.strip().casefold() == CLEAR.casefold():
            if column in REQUIRED_COLUMNS and stored is not None:
                uncleared.append(column)  # keeps its stored value; reported below
            else:
                merged[column] = ""  # a new product's required column: reported as missing by the rules
        elif cell or mode is not ImportMode.PARTIAL or stored is None:
            merged[column] = cell
    errors = []
    if uncleared:
        errors.append(RowError(row_number, ",".join(uncleared), ErrorCode.MISSING_REQUIRED_FIELDS,
                               f"Required field(s) cannot be cleared: {', '.join(uncleared)}.", CLEAR))
    return merged, errors


def as_cells(product: Product) -> dict[str, str]:
    """A stored product as the cells of a row (what a blank cell in `partial` keeps)."""
    return {c: "" if getattr(product, c) is None else str(getattr(product, c)) for c in CSV_COLUMNS}


def _trusting_stored_category(
    snapshot: CatalogSnapshot, data: Mapping[str, str], stored: StoredProduct | None
) -> CatalogSnapshot:
    """A product whose category was retired since may still change its price: the stored category counts as
    known unless the row names a category itself."""
    if stored is None or data.get("category") or stored.product.category.casefold() in snapshot.categories:
        return snapshot
    categories = {**snapshot.categories, stored.product.category.casefold(): stored.product.category}
    return replace(snapshot, categories=categories)


def _change(product: Product, stored: StoredProduct | None, warnings: tuple[RowError, ...]) -> ProductChange:
    if stored is None:
        created = {c: (None, _json(getattr(product, c))) for c in CSV_COLUMNS if getattr(product, c) is not None}
        return ProductChange(ChangeKind.CREATE, product, created, warnings)
    changes: dict[str, FieldChange] = {
        c: (_json(getattr(stored.product, c)), _json(getattr(product, c)))
        for c in CSV_COLUMNS
        if getattr(stored.product, c) != getattr(product, c)
    }
    if not stored.is_active:
        return ProductChange(ChangeKind.REACTIVATE, product, {"is_active": (False, True), **changes}, warnings)
    return ProductChange(ChangeKind.UPDATE if changes else ChangeKind.UNCHANGED, product, changes, warnings)


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _warnings(
    row_number: int, product: Product, stored: StoredProduct | None, thresholds: Thresholds
) -> tuple[RowError, ...]:
    warnings: list[RowError] = []
    if stored is not None:
        old, new, factor = stored.product.price, product.price, thresholds.price_change_factor
        if new > old * factor or new * factor < old:
            warnings.append(RowError(row_number, "price", ErrorCode.PRICE_CHANGE_LARGE,
                                     f"price changes from {old} to {new}, more than {factor} times; "
                                     "check it is not a typo.", str(new)))
    empty = [c for c in RECOMMENDED_COLUMNS if not getattr(product, c)]
    if empty:
        warnings.append(RowError(row_number, ",".join(empty), ErrorCode.MISSING_RECOMMENDED_FIELD,
                                 f"Recommended field(s) empty: {', '.join(empty)}; products with them sell better."))
    if product.image_url and not _is_absolute_https(product.image_url):
        warnings.append(RowError(row_number, "image_url", ErrorCode.INVALID_IMAGE_URL,
                                 "image_url should be an absolute https:// address, like "
                                 "https://images.example.com/p1.jpg.", product.image_url))
    return tuple(warnings)


_ABSOLUTE_HTTPS = re.compile(r"^https://[^\s/?#@]+(?:[/?#]\S*)?$", re.IGNORECASE)


def _is_absolute_https(url: str) -> bool:
    return _ABSOLUTE_HTTPS.match(url) is not None


@dataclass(frozen=True)
class FileRows:
    """A file's vendor_product_ids as the parser counts them for the replace guard and the product quota."""

    upserted: frozenset[str]
    deleted: frozenset[str]


@dataclass(frozen=True)
class CatalogEffect:
    """What a file would do to the vendor's count of active products (computed by the catalog)."""

    active_now: int
    would_activate: int
    would_deactivate: int

    @property
    def active_after(self) -> int:
        return self.active_now - self.would_deactivate + self.would_activate


def check_replace_guard(effect: CatalogEffect, share: float, confirmed: bool) -> None:
    """A replace that would deactivate more than `share` of the catalog fails whole, unless confirmed."""
    if confirmed or effect.active_now == 0 or effect.would_deactivate <= share * effect.active_now:
        return
    raise FileRejected(
        ErrorCode.REPLACE_GUARD,
        f"This replace would deactivate {effect.would_deactivate} of your {effect.active_now} active products "
        f"({effect.would_deactivate / effect.active_now:.0%}), more than the {share:.0%} allowed; nothing was "
        "changed. Check the file, or upload it again with confirm_replace to go ahead.",
        field="mode",
    )


def check_product_quota(effect: CatalogEffect, rules: VendorRules | None) -> None:
    limit = rules.max_active_products if rules else None
    if limit is None or effect.would_activate == 0 or effect.active_after <= limit:
        return
    raise FileRejected(
        ErrorCode.QUOTA_EXCEEDED,
        f"This file would bring you to {effect.active_after} active products ({effect.active_now} now, "
        f"{effect.would_activate} added, {effect.would_deactivate} removed); your limit is {limit}. "
        "Remove products or ask us to raise the limit; nothing was changed.",
        field="vendor_product_id",
    )


def check_upload_quota(uploads_today: int, rules: VendorRules | None) -> None:
    """`uploads_today`: the vendor's other uploads accepted since midnight UTC."""
    limit = rules.max_uploads_per_day if rules else None
    if limit is None or uploads_today < limit:
        return
    raise FileRejected(
        ErrorCode.QUOTA_EXCEEDED,
        f"This would be upload {uploads_today + 1} today (UTC); your limit is {limit} per day. Upload again "
        "tomorrow or ask us to raise the limit; nothing was changed.",
    )


@dataclass(frozen=True)
class ImportSummary:
    """What an upload did to the catalog, for the status JSON and the email."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0
    warnings: int = 0  # accepted rows flagged with at least one warning

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def in_words(self) -> str:
        """`2 products created, 1 updated, no change to 3, 1 deactivated, 1 row rejected, 2 rows with warnings.`"""
        parts = [
            _count(self.created, "product", "products") + " created",
            f"{self.updated} updated",
            f"no change to {self.unchanged}" if self.unchanged else "none unchanged",
            f"{self.deactivated} deactivated",
            _count(self.rejected, "row", "rows") + " rejected",
            _count(self.warnings, "row", "rows") + " with warnings",
        ]
        return ", ".join(parts) + "."


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
