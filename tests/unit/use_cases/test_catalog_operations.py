"""Catalog operations on the use cases (issue 16), on fakes: modes from the object's metadata, deletes, replace
and its guard, warnings, history, quotas."""

from __future__ import annotations

from decimal import Decimal

from onboarding.domain.changes import VendorRules
from onboarding.domain.uploads import UploadStatus
from tests.unit.use_cases.conftest import InMemoryPipeline, catalog_file

HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity,description,brand,image_url"


def product(n: int, price: str = "10.00") -> str:
    return f"P-{n},Lamp {n},Electronics,SKU-{n},{price},5,A lamp,Lumen,https://img.example.com/{n}.jpg"


def catalog(pipeline: InMemoryPipeline) -> dict[str, dict[str, object]]:
    return {p["vendor_product_id"]: p for p in pipeline.catalog.products_of("VEND001")}


def test_partial_metadata_changes_only_the_files_columns(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.run("VEND001", "full.csv", catalog_file(product(1), header=HEADER))

    prices = catalog_file("P-1,12.50,", header="vendor_product_id,price,brand")
    upload_id = pipeline.run("VEND001", "prices.csv", prices, {"mode": "partial"})

    upload = pipeline.catalog.get_upload(upload_id)
    assert upload is not None and (upload.status, upload.updated_records) == (UploadStatus.COMPLETED, 1)
    stored = catalog(pipeline)["P-1"]
    assert (stored["price"], stored["brand"], stored["stock_quantity"]) == (Decimal("12.50"), "Lumen", 5)


def test_replace_guard_then_confirmed_replace_then_reactivation(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.run("VEND001", "all.csv", catalog_file(*(product(n) for n in range(1, 6)), header=HEADER))

    refused = pipeline.run("VEND001", "two.csv", catalog_file(product(1), product(2), header=HEADER),
                           {"mode": "replace"})
    upload = pipeline.catalog.get_upload(refused)
    assert upload is not None and upload.status is UploadStatus.FAILED
    assert [e.error.code for e in pipeline.catalog.upload_errors(refused)] == ["REPLACE_GUARD"]
    assert all(p["is_active"] for p in catalog(pipeline).values())

    pipeline.run("VEND001", "two.csv", catalog_file(product(1), product(2), header=HEADER),
                 {"mode": "replace", "confirm-replace": "true"})
    assert sorted(k for k, p in catalog(pipeline).items() if p["is_active"]) == ["P-1", "P-2"]

    pipeline.run("VEND001", "back.csv", catalog_file(product(3), header=HEADER))
    assert catalog(pipeline)["P-3"]["is_active"] is True
    assert [h["event"] for h in pipeline.catalog.product_history("VEND001", "P-3")] == [
        "create", "deactivate", "reactivate"]


def test_warnings_are_recorded_and_the_upload_completes(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.run("VEND001", "a.csv", catalog_file(product(1), header=HEADER))

    upload_id = pipeline.run("VEND001", "b.csv", catalog_file(product(1, price="99.00"), header=HEADER))

    upload = pipeline.catalog.get_upload(upload_id)
    assert upload is not None and (upload.status, upload.warning_records) == (UploadStatus.COMPLETED, 1)
    assert [(e.error.code, e.error.severity) for e in pipeline.catalog.upload_errors(upload_id)] == [
        ("PRICE_CHANGE_LARGE", "warning")]


def test_the_product_quota_fails_the_file_before_any_row_is_written(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.catalog.save_vendor_rules(VendorRules("VEND001", max_active_products=1))

    upload_id = pipeline.run("VEND001", "two.csv", catalog_file(product(1), product(2), header=HEADER))

    assert [e.error.code for e in pipeline.catalog.upload_errors(upload_id)] == ["QUOTA_EXCEEDED"]
    assert catalog(pipeline) == {}
    assert pipeline.records.of_upload(upload_id) == []
