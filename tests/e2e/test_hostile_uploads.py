"""Hostile and careless uploads through the whole pipeline (worker, handlers, moto's server, PostgreSQL):
no file stalls another vendor's upload, and an ordinary name is processed as a name."""

from __future__ import annotations

from tests.harness import RunningPipeline

HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity,weight_kg"


def rows(vendor: str, count: int, start: int = 1) -> list[str]:
    return [f"{vendor}-P-{n},Mouse {n},Electronics,{vendor}-SKU-{n},9.99,3,0.5" for n in range(start, start + count)]


def csv_bytes(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def test_catalog2024_csv_in_a_vendors_folder_is_processed_normally(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")

    status = pipeline.wait(pipeline.put("VEND001", "catalog2024.csv", csv_bytes(rows("A", 3))))

    assert (status["status"], status["valid_records"], status["errors"]) == ("completed", 3, [])
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
