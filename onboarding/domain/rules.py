"""The validation rules: one row in, a product or every error it has out.

Rules see the catalog only through a `CatalogSnapshot` the validator fetches once per batch, so
they run in microseconds and never touch a database. Duplicates *within* a file are found by the
parser (`InFileDuplicates`), the only stage that reads the file in order.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from onboarding.domain.columns import MAX_LENGTHS, REQUIRED_COLUMNS
from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.publishable import quoted

MIN_PRICE = Decimal("0.01")
MAX_PRICE = Decimal("999999.99")
MAX_STOCK = 1_000_000
MAX_WEIGHT_KG = Decimal("99999999.999")  # the column's NUMERIC(11,3) ceiling

# ASCII digits only: `\d` (and int(), Decimal()) would also take Arabic-Indic, fullwidth and other digits.
# Lengths are bounded before any conversion (int() of over 4,300 digits raises).
_PRICE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
_WEIGHT_STEP = Decimal("0.001")  # the column's scale: a weight is stored rounded to grams


@dataclass(frozen=True)
class ProductKey:
    vendor_id: str
    vendor_product_id: str


@dataclass(frozen=True)
class Product:
    vendor_id: str
    vendor_product_id: str
    product_name: str
    category: str
    sku: str
    price: Decimal
    stock_quantity: int
    subcategory: str | None = None
    description: str | None = None
    brand: str | None = None
    compare_at_price: Decimal | None = None
    unit: str | None = None
    weight_kg: Decimal | None = None
    dimensions_cm: str | None = None
    image_url: str | None = None

    @property
    def key(self) -> ProductKey:
        return ProductKey(self.vendor_id, self.vendor_product_id)


@dataclass(frozen=True)
class CatalogSnapshot:
    """What the rules need to know of the catalog for one batch of rows."""

    categories: Mapping[str, str]  # casefolded name -> the category's own name, active ones only
    sku_owners: Mapping[str, ProductKey]  # sku -> the product holding it, for the batch's SKUs

    @classmethod
    def build(cls, category_names: Iterable[str], sku_owners: Mapping[str, ProductKey]) -> CatalogSnapshot:
        return cls({name.casefold(): name for name in category_names}, dict(sku_owners))


def validate_row(
    vendor_id: str,
    row_number: int,
    data: Mapping[str, str],
    catalog: CatalogSnapshot,
) -> Product | list[RowError]:
    """Apply every rule to one row. Returns the product, or all of the row's errors."""
    errors: list[RowError] = []

    def fail(field: str, code: ErrorCode, message: str) -> None:
        errors.append(RowError(row_number, field, code, message, data.get(field, "")))

    missing = [name for name in REQUIRED_COLUMNS if not data.get(name, "").strip()]
    if missing:
        errors.append(
            RowError(
                row_number,
                ",".join(missing),
                ErrorCode.MISSING_REQUIRED_FIELDS,
                f"Required field(s) empty: {', '.join(missing)}.",
            )
        )

    for field, limit in MAX_LENGTHS.items():
        length = len(data.get(field, ""))
        if length > limit:
            fail(field, ErrorCode.FIELD_LENGTH_EXCEEDED, f"{field} has {length} characters; at most {limit}.")

    price = _check_price(data, fail)
    compare_at = _check_compare_at_price(data, price, fail)
    stock = _check_stock(data, fail)
    weight = _check_weight(data, fail)
    category = _check_category(data, catalog, fail)
    _check_sku_owner(vendor_id, data, catalog, fail)

    if errors:
        return errors
    assert price is not None and stock is not None and category is not None  # noqa: S101 (no errors => parsed)
    return Product(
        vendor_id=vendor_id,
        vendor_product_id=data["vendor_product_id"],
        product_name=data["product_name"],
        category=category,
        sku=data["sku"],
        price=price,
        stock_quantity=stock,
        subcategory=data.get("subcategory") or None,
        description=data.get("description") or None,
        brand=data.get("brand") or None,
        compare_at_price=compare_at,
        unit=data.get("unit") or None,
        weight_kg=weight,
        dimensions_cm=data.get("dimensions_cm") or None,
        image_url=data.get("image_url") or None,
    )


class _Fail(Protocol):
    def __call__(self, field: str, code: ErrorCode, message: str) -> None: ...


def _parse_price(text: str) -> Decimal | None:
    if not _PRICE.fullmatch(text):
        return None
    value = Decimal(text)
    return value if MIN_PRICE <= value <= MAX_PRICE else None


_PRICE_RULE = f"a number from {MIN_PRICE} to {MAX_PRICE} with at most 2 decimal places, like 19.99"
_CURRENCY = re.compile(r"^\s*(?:[$€£¥₹]|USD|EUR|GBP)\s*|\s*(?:[$€£¥₹]|USD|EUR|GBP)\s*$", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[0-9]{1,12},[0-9]{1,2}")
_THOUSANDS = re.compile(r"[0-9]{1,3}(,[0-9]{3}){1,4}(\.[0-9]{1,2})?")
_TOO_PRECISE = re.compile(r"[0-9]{1,12}\.[0-9]{3,12}")
_NUMBER = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")


def price_problem(field: str, text: str) -> str:
    """Why `text` is not a price, naming the common mistake when it is one (`$19.99`, `19,99`, `1,299.00`)."""
    shown = quoted(text)
    candidate, fixes = text, []
    without_currency = _CURRENCY.sub("", candidate)
    if without_currency != candidate:
        fixes.append("remove the currency sign")
        candidate = without_currency
    if _DECIMAL_COMMA.fullmatch(candidate):
        fixes.append("use a dot for decimals")
        candidate = candidate.replace(",", ".")
    elif _THOUSANDS.fullmatch(candidate):
        fixes.append("remove the thousands separator")
        candidate = candidate.replace(",", "")
    if fixes and _parse_price(candidate) is not None:
        return f"{field} '{shown}': {' and '.join(fixes)}, so it reads {candidate}."
    if _TOO_PRECISE.fullmatch(text):
        rounded = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"{field} '{shown}' has more than 2 decimal places: round it to cents, like {rounded}."
    if _NUMBER.fullmatch(text):
        if Decimal(text) < MIN_PRICE:
            return f"{field} '{shown}' is below the minimum: a price is at least {MIN_PRICE}."
        return f"{field} '{shown}' is above the maximum of {MAX_PRICE}."
    return f"{field} '{shown}' must be {_PRICE_RULE}."


def _check_price(data: Mapping[str, str], fail: _Fail) -> Decimal | None:
    text = data.get("price", "")
    if not text:
        return None  # reported as missing
    price = _parse_price(text)
    if price is None:
        fail("price", ErrorCode.INVALID_PRICE, price_problem("price", text))
    return price


def _check_compare_at_price(data: Mapping[str, str], price: Decimal | None, fail: _Fail) -> Decimal | None:
    text = data.get("compare_at_price", "")
    if not text:
        return None
    compare_at = _parse_price(text)
    if compare_at is None:
        fail("compare_at_price", ErrorCode.INVALID_PRICE, price_problem("compare_at_price", text))
    elif price is not None and compare_at < price:
        fail(
            "compare_at_price",
            ErrorCode.INVALID_PRICE,
            f"compare_at_price {compare_at} is below the price {price}; it must be at least the price.",
        )
    return compare_at


def _check_stock(data: Mapping[str, str], fail: _Fail) -> int | None:
    text = data.get("stock_quantity", "")
    if not text:
        return None
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) > MAX_STOCK:
        fail(
            "stock_quantity",
            ErrorCode.INVALID_STOCK,
            f"stock_quantity '{quoted(text)}' must be a whole number from 0 to {MAX_STOCK:,} (digits 0-9).",
        )
        return None
    return int(text)


def _check_weight(data: Mapping[str, str], fail: _Fail) -> Decimal | None:
    text = data.get("weight_kg", "")
    if not text:
        return None
    # Judged as stored: rounded to grams (half up, as PostgreSQL rounds), so 0.0004 is 0 and refused here
    # rather than by the column's check constraint, which would fail the whole batch.
    weight = Decimal(text).quantize(_WEIGHT_STEP, ROUND_HALF_UP) if _DECIMAL.fullmatch(text) else None
    if weight is None or weight <= 0 or weight > MAX_WEIGHT_KG:
        fail("weight_kg", ErrorCode.INVALID_WEIGHT,
             f"weight_kg '{quoted(text)}' must be a number of kilograms from {_WEIGHT_STEP} to {MAX_WEIGHT_KG} "
             "(digits 0-9).")
        return None
    return weight


def _check_category(data: Mapping[str, str], catalog: CatalogSnapshot, fail: _Fail) -> str | None:
    text = data.get("category", "")
    if not text:
        return None
    known = catalog.categories.get(text.casefold())
    if known is not None:
        return known
    closest = closest_category(text, catalog.categories.values())
    hint = f" Did you mean '{closest}'?" if closest else " The email lists the valid categories."
    fail("category", ErrorCode.INVALID_CATEGORY, f"'{quoted(text)}' is not a category we sell in.{hint}")
    return None


def _folded(name: str) -> str:
    """Compared without case, extra spaces or apostrophes: `Mens` finds `Men's Clothing`."""
    return " ".join(name.casefold().replace("'", "").replace("\u2019", "").split())


CATEGORY_SIMILARITY_CUTOFF = 0.75  # difflib ratio: 'Gardening' -> 'Garden' (0.8) yes, 'Men' -> 'Garden' (0.44) no
_MIN_PREFIX_CHARS = 3


def closest_category(text: str, names: Iterable[str]) -> str | None:
    """The category the vendor most likely meant, or None when nothing is close.

    A name the text begins (`Men` -> `Men's Clothing`), then a name with a word the text begins
    (`Outdoor` -> `Sports & Outdoors`), then a close spelling (`Electronis` -> `Electronics`).
    """
    wanted = _folded(text)
    by_folded = {_folded(name): name for name in names}
    if len(wanted) >= _MIN_PREFIX_CHARS:
        starts = sorted((n for n in by_folded if n.startswith(wanted)), key=len)
        if starts:
            return by_folded[starts[0]]
        word_starts = sorted((n for n in by_folded if any(w.startswith(wanted) for w in re.split(r"\W+", n))),
                             key=len)
        if word_starts:
            return by_folded[word_starts[0]]
    close = difflib.get_close_matches(wanted, list(by_folded), n=1, cutoff=CATEGORY_SIMILARITY_CUTOFF)
    return by_folded[close[0]] if close else None


def _check_sku_owner(vendor_id: str, data: Mapping[str, str], catalog: CatalogSnapshot, fail: _Fail) -> None:
    sku = data.get("sku", "")
    owner = catalog.sku_owners.get(sku) if sku else None
    if owner is not None and owner != ProductKey(vendor_id, data.get("vendor_product_id", "")):
        fail("sku", ErrorCode.DUPLICATE_SKU, f"SKU '{quoted(sku)}' already belongs to another product in the catalog.")


# The columns that must be unique within one file, and how a duplicate is reported.
_UNIQUE_IN_FILE: tuple[tuple[str, ErrorCode, str], ...] = (
    ("sku", ErrorCode.DUPLICATE_SKU, "SKU"),
    ("vendor_product_id", ErrorCode.DUPLICATE_VENDOR_PRODUCT_ID, "vendor_product_id"),
)


class InFileDuplicates:
    """Finds rows whose SKU or vendor_product_id appeared on an earlier row of the same file."""

    def __init__(self) -> None:
        self._first_rows: dict[str, dict[str, int]] = {field: {} for field, _, _ in _UNIQUE_IN_FILE}

    def check(self, row_number: int, data: Mapping[str, str]) -> list[RowError]:
        errors: list[RowError] = []
        for field, code, label in _UNIQUE_IN_FILE:
            value = data.get(field, "")
            if not value:
                continue
            first = self._first_rows[field].setdefault(value, row_number)
            if first != row_number:
                message = f"{label} '{quoted(value)}' already appears on row {first} of this file."
                errors.append(RowError(row_number, field, code, message, value))
        return errors
