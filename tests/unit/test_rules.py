"""The validation rules, one behaviour each. No I/O: a catalog snapshot is built by hand."""

from __future__ import annotations

import pytest

from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.rules import (
    CatalogSnapshot,
    InFileDuplicates,
    Product,
    ProductKey,
    closest_category,
    validate_row,
)

CATEGORIES = ("Electronics", "Computer Accessories", "Audio Equipment", "Home & Garden", "Garden")
SNAPSHOT = CatalogSnapshot.build(CATEGORIES, {"TAKEN-SKU": ProductKey("VEND002", "X-1"),
                                              "MY-SKU": ProductKey("VEND001", "P-1")})


def row(**overrides: str) -> dict[str, str]:
    base = {"vendor_product_id": "P-9", "product_name": "Mouse", "category": "Electronics", "sku": "SKU-9",
            "price": "19.99", "stock_quantity": "5"}
    return {**base, **overrides}


def codes(result: Product | list[RowError]) -> list[tuple[ErrorCode, str]]:
    assert isinstance(result, list), f"expected errors, got {result}"
    return [(e.code, e.field) for e in result]


def test_a_complete_row_becomes_a_product_with_typed_values() -> None:
    product = validate_row("VEND001", 1, row(compare_at_price="25.00", weight_kg="0.5"), SNAPSHOT)
    assert isinstance(product, Product)
    assert (str(product.price), str(product.compare_at_price), product.stock_quantity, str(product.weight_kg)) == (
        "19.99", "25.00", 5, "0.500")


@pytest.mark.parametrize("field", ["vendor_product_id", "product_name", "category", "sku", "price", "stock_quantity"])
def test_each_required_field_left_empty_is_missing(field: str) -> None:
    assert codes(validate_row("VEND001", 1, row(**{field: ""}), SNAPSHOT)) == [
        (ErrorCode.MISSING_REQUIRED_FIELDS, field)]


def test_zero_stock_is_not_missing() -> None:
    assert isinstance(validate_row("VEND001", 1, row(stock_quantity="0"), SNAPSHOT), Product)


@pytest.mark.parametrize("price", ["0.01", "999999.99", "5", "5.5", "10.00"])
def test_prices_in_range_with_at_most_two_decimals_are_valid(price: str) -> None:
    assert isinstance(validate_row("VEND001", 1, row(price=price), SNAPSHOT), Product)


@pytest.mark.parametrize("price", ["0", "0.00", "1000000.00", "19.999", "-5", "abc", "$5", "19,99", "1e3", " "])
def test_prices_out_of_range_or_malformed_are_invalid(price: str) -> None:
    result = validate_row("VEND001", 1, row(price=price.strip()), SNAPSHOT)
    if price.strip():
        assert codes(result) == [(ErrorCode.INVALID_PRICE, "price")]
    else:
        assert codes(result) == [(ErrorCode.MISSING_REQUIRED_FIELDS, "price")]


def test_compare_at_price_below_price_is_invalid() -> None:
    assert codes(validate_row("VEND001", 1, row(price="20.00", compare_at_price="19.99"), SNAPSHOT)) == [
        (ErrorCode.INVALID_PRICE, "compare_at_price")]


def test_compare_at_price_equal_to_price_is_valid() -> None:
    assert isinstance(validate_row("VEND001", 1, row(price="20.00", compare_at_price="20"), SNAPSHOT), Product)


@pytest.mark.parametrize("stock", ["-1", "1.5", "1000001", "ten", "1,000"])
def test_stock_must_be_a_whole_number_up_to_a_million(stock: str) -> None:
    assert codes(validate_row("VEND001", 1, row(stock_quantity=stock), SNAPSHOT)) == [
        (ErrorCode.INVALID_STOCK, "stock_quantity")]


def test_a_million_in_stock_is_the_limit_and_valid() -> None:
    assert isinstance(validate_row("VEND001", 1, row(stock_quantity="1000000"), SNAPSHOT), Product)


@pytest.mark.parametrize(("field", "limit"), [("product_name", 200), ("description", 2000), ("sku", 100),
                                              ("brand", 100), ("vendor_product_id", 100)])
def test_fields_over_their_length_limit_are_reported(field: str, limit: int) -> None:
    assert isinstance(validate_row("VEND001", 1, row(**{field: "x" * limit}), SNAPSHOT), Product)
    assert codes(validate_row("VEND001", 1, row(**{field: "x" * (limit + 1)}), SNAPSHOT)) == [
        (ErrorCode.FIELD_LENGTH_EXCEEDED, field)]


def test_an_unknown_category_suggests_the_closest_one() -> None:
    result = validate_row("VEND001", 1, row(category="Electronix"), SNAPSHOT)
    assert codes(result) == [(ErrorCode.INVALID_CATEGORY, "category")]
    assert isinstance(result, list) and "Did you mean 'Electronics'?" in result[0].message


def test_category_names_match_regardless_of_case_and_keep_their_own_spelling() -> None:
    product = validate_row("VEND001", 1, row(category="home & GARDEN"), SNAPSHOT)
    assert isinstance(product, Product) and product.category == "Home & Garden"


def test_a_sku_held_by_another_product_is_a_duplicate() -> None:
    assert codes(validate_row("VEND001", 1, row(sku="TAKEN-SKU"), SNAPSHOT)) == [(ErrorCode.DUPLICATE_SKU, "sku")]


def test_the_vendors_own_product_with_its_own_sku_is_an_update() -> None:
    assert isinstance(validate_row("VEND001", 1, row(vendor_product_id="P-1", sku="MY-SKU"), SNAPSHOT), Product)


def test_the_vendors_sku_on_a_different_product_id_is_a_duplicate() -> None:
    assert codes(validate_row("VEND001", 1, row(vendor_product_id="P-2", sku="MY-SKU"), SNAPSHOT)) == [
        (ErrorCode.DUPLICATE_SKU, "sku")]


def test_every_failing_rule_of_a_row_is_reported() -> None:
    result = validate_row("VEND001", 7, row(product_name="", price="free", stock_quantity="-2", category="Toys"),
                          SNAPSHOT)
    assert set(codes(result)) == {
        (ErrorCode.MISSING_REQUIRED_FIELDS, "product_name"), (ErrorCode.INVALID_PRICE, "price"),
        (ErrorCode.INVALID_STOCK, "stock_quantity"), (ErrorCode.INVALID_CATEGORY, "category")}
    assert isinstance(result, list) and {e.row_number for e in result} == {7}


def test_a_negative_weight_is_invalid() -> None:
    assert codes(validate_row("VEND001", 1, row(weight_kg="-1"), SNAPSHOT)) == [(ErrorCode.INVALID_WEIGHT, "weight_kg")]


def test_in_file_duplicates_point_at_the_first_row() -> None:
    duplicates = InFileDuplicates()
    assert duplicates.check(1, row(sku="A", vendor_product_id="P-1")) == []
    assert duplicates.check(2, row(sku="B", vendor_product_id="P-2")) == []
    later = duplicates.check(3, row(sku="A", vendor_product_id="P-2"))
    assert [(e.code, e.field) for e in later] == [(ErrorCode.DUPLICATE_SKU, "sku"),
                                                  (ErrorCode.DUPLICATE_VENDOR_PRODUCT_ID, "vendor_product_id")]
    assert "row 1" in later[0].message and "row 2" in later[1].message


COURSE_CATEGORIES = ("Electronics", "Clothing", "Men's Clothing", "Women's Clothing", "Accessories", "Home & Garden",
                     "Kitchen", "Garden", "Sports & Outdoors", "Toys & Games")


@pytest.mark.parametrize(("written", "meant"), [
    ("Men", "Men's Clothing"), ("Women", "Women's Clothing"), ("mens", "Men's Clothing"),
    ("Gardening", "Garden"), ("Outdoor", "Sports & Outdoors"), ("Electronix", "Electronics"),
])
def test_the_category_suggestion_finds_what_the_vendor_meant(written: str, meant: str) -> None:
    assert closest_category(written, COURSE_CATEGORIES) == meant


@pytest.mark.parametrize("written", ["Furniture", "xyz", "Pets", "Me"])
def test_no_category_is_suggested_when_nothing_is_close(written: str) -> None:
    assert closest_category(written, COURSE_CATEGORIES) is None
    result = validate_row("VEND001", 1, row(category=written), CatalogSnapshot.build(COURSE_CATEGORIES, {}))
    assert isinstance(result, list) and "Did you mean" not in result[0].message


@pytest.mark.parametrize(("price", "advice"), [
    ("$19.99", "remove the currency sign, so it reads 19.99"),
    ("19,99", "use a dot for decimals, so it reads 19.99"),
    ("€19,99", "remove the currency sign and use a dot for decimals, so it reads 19.99"),
    ("1,299.00", "remove the thousands separator, so it reads 1299.00"),
    ("19.999", "more than 2 decimal places"),
    ("0", "at least 0.01"),
    ("free", "must be a number from 0.01 to 999999.99"),
])
def test_price_messages_name_the_common_mistake(price: str, advice: str) -> None:
    result = validate_row("VEND001", 1, row(price=price), SNAPSHOT)
    assert codes(result) == [(ErrorCode.INVALID_PRICE, "price")]
    assert isinstance(result, list) and advice in result[0].message
