"""Deciding what a row does to the catalog: modes, actions, #CLEAR, warnings and vendor rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onboarding.domain.changes import (
    CatalogEffect,
    ChangeKind,
    ImportMode,
    ProductChange,
    StoredProduct,
    Thresholds,
    VendorRules,
    check_product_quota,
    check_replace_guard,
    check_upload_quota,
    decide_row,
    parse_mode,
)
from onboarding.domain.errors import ErrorCode, FileRejected, RowError, Severity
from onboarding.domain.rules import CatalogSnapshot, Product

SNAPSHOT = CatalogSnapshot.build(["Electronics", "Kitchen"], {})
STORED = StoredProduct(
    Product("V1", "P-1", "Lamp", "Electronics", "SKU-1", Decimal("20.00"), 5, subcategory="Lighting",
            description="A lamp", brand="Lumen", compare_at_price=Decimal("25.00"), unit="piece",
            weight_kg=Decimal("1.250"), dimensions_cm="10x10x40", image_url="https://img.example.com/1.jpg"),
    is_active=True,
)
FULL = {"vendor_product_id": "P-1", "product_name": "Lamp", "category": "Electronics", "sku": "SKU-1",
        "price": "20.00", "stock_quantity": "5", "description": "A lamp", "brand": "Lumen",
        "image_url": "https://img.example.com/1.jpg"}


def decide(data: dict[str, str], mode: ImportMode = ImportMode.UPSERT, stored: StoredProduct | None = STORED,
           rules: VendorRules | None = None) -> ProductChange | list[RowError]:
    return decide_row("V1", 1, data, mode, stored, SNAPSHOT, rules, Thresholds())


def codes(result: ProductChange | list[RowError]) -> list[ErrorCode]:
    assert isinstance(result, list), result
    return [e.code for e in result]


def test_partial_price_and_stock_change_only_those_fields() -> None:
    change = decide({"vendor_product_id": "P-1", "price": "22.50", "stock_quantity": "9"}, ImportMode.PARTIAL)
    assert isinstance(change, ProductChange)
    assert change.kind is ChangeKind.UPDATE
    assert dict(change.changes) == {"price": ("20.00", "22.50"), "stock_quantity": (5, 9)}


def test_partial_blank_cell_keeps_and_clear_empties() -> None:
    change = decide({"vendor_product_id": "P-1", "brand": "", "description": "#CLEAR"}, ImportMode.PARTIAL)
    assert isinstance(change, ProductChange)
    assert change.product.brand == "Lumen"
    assert change.product.description is None
    assert dict(change.changes) == {"description": ("A lamp", None)}


def test_clearing_a_required_field_is_an_error() -> None:
    assert codes(decide({"vendor_product_id": "P-1", "price": "#CLEAR"}, ImportMode.PARTIAL)) == [
        ErrorCode.MISSING_REQUIRED_FIELDS]


def test_partial_row_creating_a_product_needs_the_required_fields() -> None:
    result = decide({"vendor_product_id": "P-9", "price": "3.00"}, ImportMode.PARTIAL, stored=None)
    assert ErrorCode.MISSING_REQUIRED_FIELDS in codes(result)


def test_update_only_refuses_unknown_products() -> None:
    assert codes(decide(FULL | {"vendor_product_id": "P-9"}, ImportMode.UPDATE_ONLY, stored=None)) == [
        ErrorCode.UNKNOWN_PRODUCT]


def test_delete_deactivates_and_unknown_delete_is_unknown_product() -> None:
    change = decide({"vendor_product_id": "P-1", "action": "DELETE"})
    assert isinstance(change, ProductChange) and change.kind is ChangeKind.DEACTIVATE and not change.is_active
    assert codes(decide({"vendor_product_id": "P-9", "action": "delete"}, stored=None)) == [
        ErrorCode.UNKNOWN_PRODUCT]
    assert codes(decide({"vendor_product_id": "P-1", "action": "remove"})) == [ErrorCode.INVALID_ACTION]


def test_upsert_of_a_deactivated_product_reactivates_it() -> None:
    change = decide(FULL, stored=StoredProduct(STORED.product, is_active=False))
    assert isinstance(change, ProductChange)
    assert change.kind is ChangeKind.REACTIVATE and change.changes["is_active"] == (False, True)


def test_same_values_are_unchanged() -> None:
    change = decide(FULL)
    assert isinstance(change, ProductChange) and change.kind is ChangeKind.UNCHANGED and not change.changes


def test_warnings_accept_the_row_and_carry_severity() -> None:
    change = decide(FULL | {"price": "90.00", "compare_at_price": "", "brand": "", "image_url": "http://img.example.com/1.jpg"})
    assert isinstance(change, ProductChange)
    assert [w.code for w in change.warnings] == [
        ErrorCode.PRICE_CHANGE_LARGE, ErrorCode.MISSING_RECOMMENDED_FIELD, ErrorCode.INVALID_IMAGE_URL]
    assert {w.severity for w in change.warnings} == {Severity.WARNING}
    assert change.warnings[0].to_dict()["severity"] == "warning"


@pytest.mark.parametrize(("price", "warned"), [("60.00", False), ("60.01", True), ("6.67", False), ("6.66", True)])
def test_price_change_factor_is_three_either_way(price: str, warned: bool) -> None:
    change = decide(FULL | {"price": price, "compare_at_price": ""})
    assert isinstance(change, ProductChange)
    assert (ErrorCode.PRICE_CHANGE_LARGE in [w.code for w in change.warnings]) is warned


def test_vendor_rules_are_ordinary_row_errors() -> None:
    rules = VendorRules("V1", extra_required_columns=("unit",), allowed_categories=("Kitchen",),
                        allowed_brands=("Acme",), min_price=Decimal("1.00"), max_price=Decimal("10.00"))
    assert codes(decide(FULL | {"unit": ""}, rules=rules, stored=None)) == [
        ErrorCode.VENDOR_REQUIRED_FIELDS, ErrorCode.CATEGORY_NOT_ALLOWED, ErrorCode.BRAND_NOT_ALLOWED,
        ErrorCode.PRICE_OUT_OF_RANGE]


def test_modes_parse_and_unknown_mode_is_a_file_error() -> None:
    assert parse_mode(None) is ImportMode.UPSERT
    assert parse_mode("Update-Only") is ImportMode.UPDATE_ONLY
    with pytest.raises(FileRejected) as caught:
        parse_mode("merge")
    assert caught.value.code is ErrorCode.INVALID_MODE


def test_replace_guard_allows_twenty_percent_and_confirmation() -> None:
    check_replace_guard(CatalogEffect(10, 0, 2), 0.2, confirmed=False)
    check_replace_guard(CatalogEffect(10, 0, 9), 0.2, confirmed=True)
    with pytest.raises(FileRejected) as caught:
        check_replace_guard(CatalogEffect(10, 0, 3), 0.2, confirmed=False)
    assert caught.value.code is ErrorCode.REPLACE_GUARD and "3 of your 10" in caught.value.message


def test_quotas_fail_the_file_with_the_numbers() -> None:
    rules = VendorRules("V1", max_active_products=10, max_uploads_per_day=2)
    check_product_quota(CatalogEffect(10, 0, 0), rules)
    with pytest.raises(FileRejected) as caught:
        check_product_quota(CatalogEffect(9, 2, 0), rules)
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED and "11" in caught.value.message
    check_upload_quota(1, rules)
    with pytest.raises(FileRejected) as caught:
        check_upload_quota(2, rules)
    assert "limit is 2 per day" in caught.value.message
