"""validator's use case: a batch of pending rows becomes products, and failures go to the error queue."""

from __future__ import annotations

from decimal import Decimal

from onboarding.domain.errors import ErrorCode
from onboarding.domain.messages import ErrorQueueMessage, MessageKind
from onboarding.domain.uploads import NewUpload, PendingRow
from tests.unit.use_cases.conftest import InMemoryPipeline

ROW = {"vendor_product_id": "P-1", "product_name": "Mouse", "category": "Electronics", "sku": "SKU-1",
       "price": "9.99", "stock_quantity": "3"}


def started(pipeline: InMemoryPipeline, upload_id: str, vendor_id: str, rows: int) -> None:
    pipeline.catalog.start_upload(NewUpload(upload_id, vendor_id, "f.csv", "b", f"uploads/{vendor_id}/f.csv", None))
    pipeline.catalog.set_upload_layout(upload_id, rows, list(ROW), [], 1)


def row(upload_id: str, vendor_id: str, number: int, **changes: str) -> PendingRow:
    data = {**ROW, **changes}
    return PendingRow(upload_id, vendor_id, number, data, tuple(data.values()))


def messages(pipeline: InMemoryPipeline) -> list[ErrorQueueMessage]:
    return [ErrorQueueMessage.from_json(body) for body in pipeline.error_queue.take()]


def test_a_valid_row_becomes_a_product(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 1)

    result = pipeline.validate([row("U1", "VEND001", 1)])

    assert (result.valid, result.invalid) == (1, 0)
    [product] = pipeline.catalog.products_of("VEND001")
    assert (product["sku"], product["price"], product["upload_id"]) == ("SKU-1", Decimal("9.99"), "U1")
    [check] = messages(pipeline)  # nothing failed: the error processor is told the upload may be complete
    assert check.kind is MessageKind.CHECK_UPLOAD


def test_an_invalid_row_is_counted_and_its_errors_sent_with_its_cells(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 1)

    result = pipeline.validate([row("U1", "VEND001", 1, price="twelve")])

    assert (result.valid, result.invalid) == (0, 1)
    assert pipeline.catalog.products_of("VEND001") == []
    [message] = messages(pipeline)
    assert message.kind is MessageKind.ROW_ERRORS
    [failed] = message.rows
    assert failed.row_number == 1 and "twelve" in failed.cells
    assert [e.code for e in failed.errors] == [ErrorCode.INVALID_PRICE]


def test_a_later_upload_of_the_same_product_updates_it(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 1)
    pipeline.validate([row("U1", "VEND001", 1)])
    started(pipeline, "U2", "VEND001", 1)

    pipeline.validate([row("U2", "VEND001", 1, price="12.50")])

    [product] = pipeline.catalog.products_of("VEND001")
    assert (product["price"], product["upload_id"]) == (Decimal("12.50"), "U2")


def test_a_sku_held_by_another_vendor_is_refused(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 1)
    pipeline.validate([row("U1", "VEND001", 1)])
    started(pipeline, "U2", "VEND002", 1)
    pipeline.error_queue.take()

    result = pipeline.validate([row("U2", "VEND002", 1)])

    assert (result.valid, result.invalid) == (0, 1)
    [message] = messages(pipeline)
    assert [e.code for e in message.rows[0].errors] == [ErrorCode.DUPLICATE_SKU]


def test_a_sku_claimed_twice_in_one_batch_goes_to_the_first_row_only(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 1)
    started(pipeline, "U2", "VEND002", 1)

    result = pipeline.validate([row("U1", "VEND001", 1), row("U2", "VEND002", 1)])

    assert (result.valid, result.invalid) == (1, 1)  # judged, not left to the unique index to fail the batch
    assert [p["vendor_id"] for p in pipeline.catalog.products_of("VEND001")] == ["VEND001"]
    assert pipeline.catalog.products_of("VEND002") == []


def test_replaying_a_committed_batch_counts_no_row_twice(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 2)
    batch = [row("U1", "VEND001", 1), row("U1", "VEND001", 2, sku="SKU-2", vendor_product_id="P-2", price="x")]
    first = pipeline.validate(batch)

    again = pipeline.validate(batch)

    assert again.progress == first.progress
    upload = pipeline.catalog.get_upload("U1")
    assert upload is not None and (upload.valid_records, upload.error_records) == (1, 1)
    assert len(pipeline.catalog.products_of("VEND001")) == 1


def test_a_batch_costs_a_few_transactions_whatever_its_size(pipeline: InMemoryPipeline) -> None:
    started(pipeline, "U1", "VEND001", 500)
    pipeline.validate([row("U1", "VEND001", 1)])  # categories cached from here on
    rows = [row("U1", "VEND001", n, sku=f"S-{n}", vendor_product_id=f"P-{n}") for n in range(2, 501)]
    before, calls = pipeline.catalog.transactions, pipeline.error_queue.calls

    pipeline.validate(rows)

    assert pipeline.catalog.transactions - before == 2  # what the rules need (one read), one commit
    assert pipeline.error_queue.calls - calls == 1
