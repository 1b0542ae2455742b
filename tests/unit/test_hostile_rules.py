"""Cell values that used to crash validation (and so fail a whole stream batch) are row errors instead."""

from __future__ import annotations

import pytest

from onboarding.domain.errors import ErrorCode
from onboarding.domain.rules import CatalogSnapshot, InFileDuplicates, Product, validate_row
from tests.unit.test_rules import codes, row

SNAPSHOT = CatalogSnapshot.build(("Electronics",), {})


def test_a_stock_quantity_of_thousands_of_digits_is_invalid_stock_not_a_crash() -> None:
    assert codes(validate_row("VEND001", 1, row(stock_quantity="9" * 5000), SNAPSHOT)) == [
        (ErrorCode.INVALID_STOCK, "stock_quantity")]


@pytest.mark.parametrize("weight", ["0.0004", "0.0001", "0.00049"])
def test_a_weight_that_rounds_to_zero_grams_is_invalid_weight(weight: str) -> None:
    assert codes(validate_row("VEND001", 1, row(weight_kg=weight), SNAPSHOT)) == [
        (ErrorCode.INVALID_WEIGHT, "weight_kg")]


def test_a_weight_that_rounds_up_past_the_columns_ceiling_is_invalid_weight() -> None:
    assert codes(validate_row("VEND001", 1, row(weight_kg="99999999.9999"), SNAPSHOT)) == [
        (ErrorCode.INVALID_WEIGHT, "weight_kg")]


def test_a_weight_of_thousands_of_digits_is_invalid_weight() -> None:
    assert codes(validate_row("VEND001", 1, row(weight_kg="0." + "0" * 5000 + "1"), SNAPSHOT)) == [
        (ErrorCode.INVALID_WEIGHT, "weight_kg")]


def test_a_half_gram_rounds_to_a_gram_and_is_accepted() -> None:
    product = validate_row("VEND001", 1, row(weight_kg="0.0005"), SNAPSHOT)
    assert isinstance(product, Product) and str(product.weight_kg) == "0.001"


@pytest.mark.parametrize(("field", "value", "code"), [
    ("stock_quantity", "\u0661\u0662", ErrorCode.INVALID_STOCK),  # Arabic-Indic digits
    ("stock_quantity", "\uff11\uff12", ErrorCode.INVALID_STOCK),  # fullwidth digits
    ("price", "\uff11\uff19.\uff19\uff19", ErrorCode.INVALID_PRICE),
    ("weight_kg", "\u0660.\u0665", ErrorCode.INVALID_WEIGHT),
])
def test_numbers_take_ascii_digits_only(field: str, value: str, code: ErrorCode) -> None:
    assert codes(validate_row("VEND001", 1, row(**{field: value}), SNAPSHOT)) == [(code, field)]


def test_a_price_of_thousands_of_digits_is_invalid_price() -> None:
    assert codes(validate_row("VEND001", 1, row(price="1" * 5000), SNAPSHOT)) == [(ErrorCode.INVALID_PRICE, "price")]


def test_messages_quote_at_most_two_hundred_characters_of_a_value() -> None:
    long_category = "é" * 10_000
    errors = validate_row("VEND001", 1, row(category=long_category, price="x" * 10_000), SNAPSHOT)
    assert isinstance(errors, list)
    for error in errors:
        assert len(error.message) < 400, error.message
        assert "…" in error.message


def test_skus_differing_only_in_case_are_different_skus() -> None:
    duplicates = InFileDuplicates()
    assert duplicates.check(1, row(sku="abc-1")) == []
    assert duplicates.check(2, row(sku="ABC-1", vendor_product_id="P-2")) == []
