"""Hostile and careless uploads through the whole pipeline (worker, handlers, moto's server, PostgreSQL):
no file stalls another vendor's upload, and an ordinary name is processed as a name."""

from __future__ import annotations

import time

from onboarding.domain.publishable import check_publishable
from onboarding.domain.source_file import SAMPLE_BYTES
from tests.harness import RunningPipeline

HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity,weight_kg"


def rows(vendor: str, count: int, start: int = 1) -> list[str]:
    return [f"{vendor}-P-{n},Mouse {n},Electronics,{vendor}-SKU-{n},9.99,3,0.5" for n in range(start, start + count)]


def csv_bytes(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def test_a_poisoned_upload_and_a_healthy_one_at_once_both_end_final_without_delay(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    head = rows("A", 1500)
    assert len(csv_bytes(head)) > SAMPLE_BYTES
    poisoned = [*head, "A-P-X,Nul\x00Mouse,Electronics,A-SKU-X,9.99,3,0.5",  # past the sniffed head
                "A-P-Y,Big stock,Electronics,A-SKU-Y,9.99," + "9" * 5000 + ",0.5",
                "A-P-Z,Feather,Electronics,A-SKU-Z,9.99,3,0.0004",
                "A-P-W,Emoji," + "😀" * 9000 + ",A-SKU-W,9.99,3,0.5",
                "A-P-V," + ",".join(["😀" * 9000] * 4) + ",3,0.5"]  # more than a stored row may hold

    started = time.monotonic()
    poisoned_id = pipeline.put("VEND001", "catalog.csv", csv_bytes(poisoned))
    healthy_id = pipeline.put("VEND002", "catalog.csv", csv_bytes(rows("B", 20)))
    healthy = pipeline.wait(healthy_id, timeout_s=120)
    poisoned_status = pipeline.wait(poisoned_id, timeout_s=180)

    assert (healthy["status"], healthy["valid_records"]) == ("completed", 20)
    assert poisoned_status["status"] == "partial"
    assert poisoned_status["valid_records"] == 1500
    found = {(e["row_number"], e["error_type"], e["field"]) for e in poisoned_status["errors"]}
    assert {(1501, "INVALID_CHARACTER", "product_name"), (1502, "INVALID_STOCK", "stock_quantity"),
            (1503, "INVALID_WEIGHT", "weight_kg"), (1504, "INVALID_CATEGORY", "category"),
            (1505, "ROW_TOO_LARGE", "")} <= found
    assert poisoned_status["notification_count"] == 1
    assert time.monotonic() - started < 180
    notification = poisoned_status["notification"]
    check_publishable(notification["subject"], notification["message"])


def test_catalog2024_csv_in_a_vendors_folder_is_processed_normally(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")

    status = pipeline.wait(pipeline.put("VEND001", "catalog2024.csv", csv_bytes(rows("A", 3))))

    errors = [e for e in status["errors"] if e["severity"] == "error"]  # rows without images are only warned
    assert (status["status"], status["valid_records"], errors) == ("completed", 3, [])
    assert [m.upload_id for m in pipeline.mail("vendor-VEND001")] == [status["upload_id"]]
    assert pipeline.mail("operators") == []


def test_a_name_claiming_another_registered_vendor_is_told_to_the_folders_vendor_and_to_operators(
    pipeline: RunningPipeline,
) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")

    status = pipeline.wait(pipeline.put("VEND001", "VEND002_prices.csv", csv_bytes(rows("A", 1))))

    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, "VENDOR_MISMATCH")]
    assert status["status"] == "failed"
    [to_vendor] = pipeline.mail_once("vendor-VEND001")
    [to_operators] = pipeline.mail_once("operators")
    assert to_vendor.upload_id == to_operators.upload_id == status["upload_id"]
    assert "VEND002 Ltd" not in to_vendor.message and "quarantine" not in to_vendor.message.lower()
    assert "rename" in to_vendor.message.lower()
    assert pipeline.mail("vendor-VEND002") == []


def test_a_name_with_a_line_separator_is_refused_and_the_mailbox_still_reads(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")

    status = pipeline.wait(pipeline.put("VEND001", "cata\u2028log.csv", csv_bytes(rows("A", 1))))

    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, "INVALID_FILE_NAME")]
    assert [m.upload_id for m in pipeline.mail_once("vendor-VEND001")] == [status["upload_id"]]
    healthy = pipeline.wait(pipeline.put("VEND001", "catalog.csv", csv_bytes(rows("A", 1))))
    assert healthy["status"] == "completed" and healthy["notification_count"] == 1
