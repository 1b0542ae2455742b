"""Concurrency: many vendors at once, the last rows of an upload validated by two invocations at once,
and two vendors claiming one SKU in the same batch."""

from __future__ import annotations

import pytest

from tests.faults.conftest import FAULT_MAPPINGS, Audit
from tests.faults.injection import HandDriven, at_once, catalog_file, wait_until_quiet
from tests.harness import RunningPipeline

NO_FAILURES: dict[str, list[str]] = {"batchItemFailures": []}


def test_ten_vendors_uploading_at_once_each_get_every_row_accounted_once(
    stack: RunningPipeline, audit: Audit
) -> None:
    vendors = [f"VEND{n:03d}" for n in range(1, 11)]
    for vendor in vendors:
        stack.add_vendor(vendor)
    files = {vendor: catalog_file(vendor, 100, bad_every=3 + n) for n, vendor in enumerate(vendors)}
    stack.start(FAULT_MAPPINGS)

    uploads = {vendor: stack.put(vendor, f"{vendor}_catalog.csv", files[vendor].body) for vendor in vendors}
    statuses = {vendor: stack.wait(upload_id, timeout_s=120) for vendor, upload_id in uploads.items()}
    wait_until_quiet(stack)

    results = audit("ten vendors uploading at once", [(uploads[v], files[v].rows) for v in vendors])
    assert [(r.valid_records, r.error_records) for r in results] == [(files[v].valid, files[v].invalid)
                                                                     for v in vendors]
    assert [r.observed() for r in results] == [r.exactly_once() for r in results]
    for vendor in vendors:  # each vendor hears of its own upload only
        assert [m.upload_id for m in stack.mail(f"vendor-{vendor}")] == [uploads[vendor]]
        assert statuses[vendor]["notification_count"] == 1


@pytest.mark.parametrize("bad_every", [5, 0], ids=["with errors", "without errors"])
def test_the_last_rows_validated_by_two_invocations_at_once_finish_the_upload_once(
    stack: RunningPipeline, audit: Audit, bad_every: int
) -> None:
    by_hand = HandDriven(stack)
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 40, bad_every=bad_every)
    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    by_hand.parse_uploads()
    records = by_hand.stream_inserts()
    half = len(records) // 2

    validated = at_once(lambda: by_hand.validate(records[:half]), lambda: by_hand.validate(records[half:]))
    error_url = stack.resources.error_queue_url
    messages = by_hand.receive_all(error_url)
    # Both error-processor invocations get every message: the queue delivered them twice, at once.
    processed = at_once(*[lambda: by_hand.sqs_invoke("error_processor", error_url, messages)] * 2)
    by_hand.delete(error_url, messages)
    by_hand.collect_mail()

    assert validated == processed == [NO_FAILURES, NO_FAILURES]
    [result] = audit(f"last rows validated concurrently ({'errors' if bad_every else 'no errors'})",
                     [(upload_id, file.rows)])
    assert (result.valid_records, result.error_records) == (file.valid, file.invalid)
    assert result.observed() == result.exactly_once()


def test_two_vendors_claiming_one_sku_in_one_batch_give_it_to_the_first_and_report_the_second(
    stack: RunningPipeline, audit: Audit
) -> None:
    by_hand = HandDriven(stack)
    files = {}
    for vendor in ("VEND001", "VEND002"):
        stack.add_vendor(vendor)
        files[vendor] = catalog_file(vendor, 10, bad_every=0, skus={3: "SKU-CONTESTED"})
    uploads = {vendor: stack.put(vendor, f"{vendor}_catalog.csv", f.body) for vendor, f in files.items()}
    by_hand.parse_uploads()
    records = by_hand.stream_inserts()
    first = records[0]["dynamodb"]["NewImage"]["vendor_id"]["S"]
    second = "VEND002" if first == "VEND001" else "VEND001"

    validated = by_hand.validate(records)
    error_url = stack.resources.error_queue_url
    processed = by_hand.sqs_invoke("error_processor", error_url, by_hand.receive_all(error_url))
    by_hand.collect_mail()

    assert (validated, processed) == (NO_FAILURES, NO_FAILURES)
    owners = {p["vendor_id"] for v in files for p in stack.catalog.products_of(v) if p["sku"] == "SKU-CONTESTED"}
    assert owners == {first}
    loser = stack.status(uploads[second])
    assert loser is not None
    assert [(e["row_number"], e["error_type"]) for e in loser["errors"] if e["severity"] == "error"] == [
        (3, "DUPLICATE_SKU")]
    results = audit("two vendors, one SKU, one batch", [(uploads[first], 10), (uploads[second], 10)])
    assert [(r.valid_records, r.error_records) for r in results] == [(10, 0), (9, 1)]
    assert [r.observed() for r in results] == [r.exactly_once() for r in results]
