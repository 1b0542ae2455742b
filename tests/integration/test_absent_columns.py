"""A column absent from the file is never touched: re-uploading without it keeps what the catalog has."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from onboarding import bootstrap
from onboarding.domain.columns import CSV_COLUMNS, REQUIRED_COLUMNS
from onboarding.domain.uploads import NewUpload, PendingRow
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.pipeline.validate_batch import ValidatorDependencies, validate_batch
from onboarding.provision import Resources

OPTIONAL_COLUMNS = tuple(c for c in CSV_COLUMNS if c not in REQUIRED_COLUMNS)

FULL_ROW: dict[str, str] = {
    "vendor_product_id": "P-1", "product_name": "Desk lamp", "category": "Electronics", "subcategory": "Lighting",
    "description": "A lamp for desks", "sku": "SKU-1", "brand": "Lumen", "price": "20.00",
    "compare_at_price": "25.00", "stock_quantity": "5", "unit": "piece", "weight_kg": "1.250",
    "dimensions_cm": "10x10x40", "image_url": "https://img.example.com/lamp.jpg",
}
STORED_OPTIONAL: dict[str, Any] = {
    "subcategory": "Lighting", "description": "A lamp for desks", "brand": "Lumen",
    "compare_at_price": Decimal("25.00"), "unit": "piece", "weight_kg": Decimal("1.250"),
    "dimensions_cm": "10x10x40", "image_url": "https://img.example.com/lamp.jpg",
}


@pytest.fixture
def deps(container: bootstrap.Container, resources: Resources) -> ValidatorDependencies:
    container.catalog.save_vendor(Vendor("VEND001", "Vendor", "v@example.com", VendorStatus.ACTIVE))
    return container.validator_dependencies


def upload(deps: ValidatorDependencies, upload_id: str, data: dict[str, str]) -> None:
    deps.catalog.start_upload(NewUpload(upload_id, "VEND001", "f.csv", "b", f"uploads/VEND001/{upload_id}", None))
    deps.catalog.set_upload_layout(upload_id, 1, list(data), [], 1)
    result = validate_batch(deps, [PendingRow(upload_id, "VEND001", 1, data, tuple(data.values()))])
    assert (result.valid, result.invalid) == (1, 0)


@pytest.mark.parametrize("absent", OPTIONAL_COLUMNS)
def test_a_reupload_without_an_optional_column_keeps_its_stored_value(
    deps: ValidatorDependencies, absent: str
) -> None:
    upload(deps, "U1", FULL_ROW)
    without = {k: v for k, v in FULL_ROW.items() if k != absent}
    upload(deps, "U2", {**without, "price": "21.00"})

    [stored] = deps.catalog.products_of("VEND001")
    assert stored[absent] == STORED_OPTIONAL[absent]
    assert stored["price"] == Decimal("21.00")


def test_a_reupload_with_only_the_required_columns_keeps_every_optional_value(deps: ValidatorDependencies) -> None:
    upload(deps, "U1", FULL_ROW)
    upload(deps, "U2", {k: FULL_ROW[k] for k in REQUIRED_COLUMNS} | {"stock_quantity": "9"})

    [stored] = deps.catalog.products_of("VEND001")
    assert {k: stored[k] for k in OPTIONAL_COLUMNS} == STORED_OPTIONAL
    assert stored["stock_quantity"] == 9


def test_a_present_blank_optional_cell_still_empties_the_field_in_upsert(deps: ValidatorDependencies) -> None:
    upload(deps, "U1", FULL_ROW)
    upload(deps, "U2", {**FULL_ROW, "brand": ""})

    [stored] = deps.catalog.products_of("VEND001")
    assert stored["brand"] is None
    assert stored["description"] == "A lamp for desks"
