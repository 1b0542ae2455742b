"""At-least-once delivery: every event type delivered twice changes nothing the second time."""

from __future__ import annotations

from tests.faults.conftest import FAULT_MAPPINGS, Audit
from tests.faults.injection import DeliveredTwice, Echoed, catalog_file, real_functions, wait_until_quiet
from tests.harness import RunningPipeline


def test_every_s3_notification_delivered_twice_makes_one_upload(stack: RunningPipeline, audit: Audit) -> None:
    functions = real_functions()
    echoed = Echoed(functions["csv_parser"], stack, stack.resources.upload_queue_url)
    stack.start(FAULT_MAPPINGS, {**functions, "csv_parser": echoed})
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 60)

    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    stack.wait(upload_id)
    wait_until_quiet(stack)

    assert sum("catalog.csv" in body for body in echoed.echoed) == 1  # the key is URL-encoded
    [result] = audit("S3 notification delivered twice", [(upload_id, file.rows)])
    assert (result.valid_records, result.error_records) == (file.valid, file.invalid)
    assert result.observed() == result.exactly_once()
    assert [u.upload_id for u in stack.catalog.recent_uploads()] == [upload_id]


def test_every_stream_batch_delivered_twice_counts_each_row_once(stack: RunningPipeline, audit: Audit) -> None:
    functions = real_functions()
    twice = DeliveredTwice(functions["validator"])
    stack.start(FAULT_MAPPINGS, {**functions, "validator": twice})
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 60)

    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    stack.wait(upload_id)
    wait_until_quiet(stack)

    assert twice.deliveries >= 2
    [result] = audit("stream batch delivered twice", [(upload_id, file.rows)])
    assert (result.valid_records, result.error_records) == (file.valid, file.invalid)
    assert result.observed() == result.exactly_once()


def test_every_error_message_delivered_twice_records_each_error_once_and_sends_one_email(
    stack: RunningPipeline, audit: Audit
) -> None:
    functions = real_functions()
    echoed = Echoed(functions["error_processor"], stack, stack.resources.error_queue_url)
    stack.start(FAULT_MAPPINGS, {**functions, "error_processor": echoed})
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 60)

    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    stack.wait(upload_id)
    wait_until_quiet(stack)

    assert any(upload_id in body for body in echoed.echoed)
    [result] = audit("error message delivered twice", [(upload_id, file.rows)])
    assert (result.valid_records, result.error_records) == (file.valid, file.invalid)
    assert result.observed() == result.exactly_once()
