"""Catalog operations end to end (issue 16): modes from the object's metadata, deletes, replace and its guard,
warnings, product history, vendor quotas and rules, through the worker and the real handlers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from onboarding.domain.changes import ImportMode, VendorRules
from onboarding.domain.columns import CSV_COLUMNS
from tests.harness import RunningPipeline

FULL_COLUMNS = CSV_COLUMNS


def rows_file(columns: tuple[str, ...] | list[str], *rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode()


def full_row(n: int, **overrides: str) -> dict[str, str]:
    row = {
        "vendor_product_id": f"P-{n}", "product_name": f"Lamp {n}", "category": "Electronics", "subcategory": "Lights",
        "description": f"Desk lamp number {n}", "sku": f"SKU-{n}", "brand": "Lumen", "price": "20.00",
        "compare_at_price": "30.00", "stock_quantity": "5", "unit": "piece", "weight_kg": "1.250",
        "dimensions_cm": "10x10x40", "image_url": f"https://img.example.com/{n}.jpg",
    }
    return {**row, **overrides}


def products(pipeline: RunningPipeline, vendor: str = "VEND001") -> dict[str, dict[str, Any]]:
    return {p["vendor_product_id"]: p for p in pipeline.catalog.products_of(vendor)}


def upload(pipeline: RunningPipeline, body: bytes, mode: ImportMode | None = None, confirm: bool = False,
           vendor: str = "VEND001", name: str = "catalog.csv") -> dict[str, Any]:
    return pipeline.wait(pipeline.put(vendor, name, body, mode=mode, confirm_replace=confirm))


def test_partial_price_and_stock_file_changes_exactly_those_fields(pipeline: RunningPipeline) -> None:
    """Acceptance 1: every other column is left as it was; blank cells keep; #CLEAR empties."""
    pipeline.add_vendor("VEND001")
    assert upload(pipeline, rows_file(FULL_COLUMNS, full_row(1), full_row(2)))["status"] == "completed"
    before = products(pipeline)

    status = upload(pipeline, rows_file(
        ("vendor_product_id", "price", "stock_quantity", "description"),
        {"vendor_product_id": "P-1", "price": "22.50", "stock_quantity": "9"},
        {"vendor_product_id": "P-2", "price": "", "stock_quantity": "0", "description": "#CLEAR"},
        {"vendor_product_id": "P-3", "price": "5.00", "stock_quantity": "1"},
    ), ImportMode.PARTIAL)

    after = products(pipeline)
    assert status["mode"] == "partial"
    assert status["summary"] == {"created": 0, "updated": 2, "unchanged": 0, "deactivated": 0, "rejected": 1,
                                 "warnings": 1}
    assert {e["row_number"]: e["error_type"] for e in status["errors"] if e["severity"] == "error"} == {
        3: "MISSING_REQUIRED_FIELDS"}
    assert (after["P-1"]["price"], after["P-1"]["stock_quantity"]) == (Decimal("22.50"), 9)
    assert (after["P-2"]["price"], after["P-2"]["stock_quantity"]) == (Decimal("20.00"), 0)  # blank price kept
    assert after["P-2"]["description"] is None  # #CLEAR
    untouched = [c for c in FULL_COLUMNS if c not in ("price", "stock_quantity")]
    assert {c: after["P-1"][c] for c in untouched} == {c: before["P-1"][c] for c in untouched}
    assert {c: after["P-2"][c] for c in untouched if c != "description"} == {
        c: before["P-2"][c] for c in untouched if c != "description"}
    assert "P-3" not in after


def test_update_only_creates_nothing(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload(pipeline, rows_file(FULL_COLUMNS, full_row(1)))

    status = upload(pipeline, rows_file(("vendor_product_id", "stock_quantity"),
                                        {"vendor_product_id": "P-1", "stock_quantity": "7"},
                                        {"vendor_product_id": "P-9", "stock_quantity": "7"}), ImportMode.UPDATE_ONLY)

    assert status["status"] == "partial"
    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(2, "UNKNOWN_PRODUCT")]
    assert set(products(pipeline)) == {"P-1"}
    assert products(pipeline)["P-1"]["stock_quantity"] == 7


def test_replace_deactivates_what_is_missing_and_the_guard_refuses_too_much(pipeline: RunningPipeline) -> None:
    """Acceptance 2."""
    pipeline.add_vendor("VEND001")
    upload(pipeline, rows_file(FULL_COLUMNS, *(full_row(n) for n in range(1, 11))))

    status = upload(pipeline, rows_file(FULL_COLUMNS, *(full_row(n) for n in range(1, 10))), ImportMode.REPLACE)
    assert (status["status"], status["summary"]["deactivated"]) == ("completed", 1)
    assert [p for p, v in products(pipeline).items() if not v["is_active"]] == ["P-10"]

    before = products(pipeline)
    refused = upload(pipeline, rows_file(FULL_COLUMNS, *(full_row(n) for n in range(1, 6))), ImportMode.REPLACE)
    assert refused["status"] == "failed"
    [error] = refused["errors"]
    assert (error["row_number"], error["error_type"], error["severity"]) == (0, "REPLACE_GUARD", "error")
    assert "4 of your 9 active products" in error["message"]
    assert products(pipeline) == before

    confirmed = upload(pipeline, rows_file(FULL_COLUMNS, *(full_row(n) for n in range(1, 6))), ImportMode.REPLACE,
                       confirm=True)
    assert confirmed["summary"]["deactivated"] == 4
    assert sorted(p for p, v in products(pipeline).items() if v["is_active"]) == [f"P-{n}" for n in range(1, 6)]


def test_delete_rows_deactivate_and_a_later_upsert_reactivates(pipeline: RunningPipeline) -> None:
    """Acceptance 2: deactivated, never deleted; the SKU stays the vendor's; an upsert brings it back."""
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    upload(pipeline, rows_file(FULL_COLUMNS, full_row(1), full_row(2)))

    deleted = upload(pipeline, rows_file(("vendor_product_id", "action"), {"vendor_product_id": "P-1",
                                                                          "action": "delete"},
                                         {"vendor_product_id": "P-404", "action": "delete"}))
    assert deleted["summary"]["deactivated"] == 1
    assert [(e["row_number"], e["error_type"]) for e in deleted["errors"]] == [(2, "UNKNOWN_PRODUCT")]
    assert products(pipeline)["P-1"]["is_active"] is False

    taken = upload(pipeline, rows_file(FULL_COLUMNS, full_row(7, sku="SKU-1")), vendor="VEND002")
    assert [e["error_type"] for e in taken["errors"]] == ["DUPLICATE_SKU"]

    back = upload(pipeline, rows_file(FULL_COLUMNS, full_row(1)))
    assert back["summary"]["updated"] == 1
    assert products(pipeline)["P-1"]["is_active"] is True


def test_warnings_accept_the_row_and_carry_their_severity(pipeline: RunningPipeline) -> None:
    """Acceptance 3."""
    pipeline.add_vendor("VEND001")
    upload(pipeline, rows_file(FULL_COLUMNS, full_row(1)))

    status = upload(pipeline, rows_file(FULL_COLUMNS, full_row(1, price="99.00", compare_at_price="",
                                                                brand="", image_url="http://img.example.com/1.jpg")))

    assert (status["status"], status["valid_records"], status["error_records"], status["warning_records"]) == (
        "completed", 1, 0, 1)
    assert sorted((e["error_type"], e["severity"]) for e in status["errors"]) == [
        ("INVALID_IMAGE_URL", "warning"), ("MISSING_RECOMMENDED_FIELD", "warning"),
        ("PRICE_CHANGE_LARGE", "warning")]
    assert products(pipeline)["P-1"]["price"] == Decimal("99.00")
    report_key = status["error_report"].split("/", 3)[3]
    report = pipeline.aws.s3.get_object(Bucket=pipeline.settings.upload_bucket, Key=report_key)["Body"].read()
    [line] = list(csv.DictReader(io.StringIO(report.decode())))
    assert line["severity"] == "warning"

    mixed = upload(pipeline, rows_file(FULL_COLUMNS, full_row(2), full_row(3, price="oops")))
    assert mixed["status"] == "partial"
    assert [(e["row_number"], e["error_type"], e["severity"]) for e in mixed["errors"]] == [
        (2, "INVALID_PRICE", "error")]


def test_history_shows_every_change_across_three_uploads(pipeline: RunningPipeline) -> None:
    """Acceptance 4 (replays: tests/integration/test_event_replay.py)."""
    pipeline.add_vendor("VEND001")
    first = upload(pipeline, rows_file(FULL_COLUMNS, full_row(1)), name="one.csv")
    second = upload(pipeline, rows_file(("vendor_product_id", "price", "stock_quantity"),
                                        {"vendor_product_id": "P-1", "price": "25.00", "stock_quantity": "4"}),
                    ImportMode.PARTIAL, name="two.csv")
    third = upload(pipeline, rows_file(("vendor_product_id", "action"), {"vendor_product_id": "P-1",
                                                                        "action": "delete"}), name="three.csv")
    fourth = upload(pipeline, rows_file(FULL_COLUMNS, full_row(1, price="25.00", stock_quantity="4")),
                    name="four.csv")
    upload(pipeline, rows_file(FULL_COLUMNS, full_row(1, price="25.00", stock_quantity="4")), name="five.csv")

    history = pipeline.catalog.product_history("VEND001", "P-1")

    assert [(h["event"], h["upload_id"]) for h in history] == [
        ("create", first["upload_id"]), ("update", second["upload_id"]), ("deactivate", third["upload_id"]),
        ("reactivate", fourth["upload_id"])]
    assert history[0]["changes"]["price"] == {"old": None, "new": "20.00"}
    assert history[1]["changes"] == {"price": {"old": "20.00", "new": "25.00"},
                                     "stock_quantity": {"old": 5, "new": 4}}
    assert history[2]["changes"] == {"is_active": {"old": True, "new": False}}
    assert history[3]["changes"] == {"is_active": {"old": False, "new": True}}


def test_quotas_and_rules_apply_only_to_their_vendor(pipeline: RunningPipeline) -> None:
    """Acceptance 5."""
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    pipeline.catalog.save_vendor_rules(VendorRules(
        "VEND001", max_active_products=2, allowed_brands=("Lumen",), min_price=Decimal("10.00")))

    over = upload(pipeline, rows_file(FULL_COLUMNS, *(full_row(n) for n in range(1, 4))))
    assert over["status"] == "failed"
    [error] = over["errors"]
    assert error["error_type"] == "QUOTA_EXCEEDED"
    assert "3 active products" in error["message"] and "limit is 2" in error["message"]
    assert products(pipeline) == {}

    ruled = upload(pipeline, rows_file(FULL_COLUMNS, full_row(1, brand="Acme"), full_row(2, price="5.00",
                                                                                        compare_at_price="")))
    assert sorted(e["error_type"] for e in ruled["errors"]) == ["BRAND_NOT_ALLOWED", "PRICE_OUT_OF_RANGE"]

    other = upload(pipeline, rows_file(FULL_COLUMNS, *(full_row(n, brand="Acme", price="5.00", compare_at_price="",
                                                                 sku=f"V2-{n}") for n in range(1, 4))),
                   vendor="VEND002")
    assert (other["status"], other["valid_records"]) == ("completed", 3)


def test_uploads_per_day_quota_fails_the_file_with_the_numbers(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.catalog.save_vendor_rules(VendorRules("VEND001", max_uploads_per_day=1))
    assert upload(pipeline, rows_file(FULL_COLUMNS, full_row(1)), name="a.csv")["status"] == "completed"

    second = upload(pipeline, rows_file(FULL_COLUMNS, full_row(1, price="21.00")), name="b.csv")

    assert [(e["error_type"], e["row_number"]) for e in second["errors"]] == [("QUOTA_EXCEEDED", 0)]
    assert "upload 2 today" in second["errors"][0]["message"] and "limit is 1" in second["errors"][0]["message"]
    assert products(pipeline)["P-1"]["price"] == Decimal("20.00")
