"""No per-row round trips: a batch costs a fixed number of calls, counted on the real clients."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from onboarding import bootstrap
from onboarding.adapters.aws import AwsClients, CallCounter
from onboarding.adapters.database import StatementCounter
from onboarding.config import Settings
from onboarding.domain.uploads import NewUpload, PendingRow
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.pipeline.validate_batch import validate_batch
from onboarding.provision import Resources


def pending(upload_id: str, n: int, bad_every: int = 10) -> PendingRow:
    price = "oops" if n % bad_every == 0 else "9.99"
    data = {"vendor_product_id": f"P-{n}", "product_name": f"Item {n}", "category": "Electronics",
            "sku": f"SKU-{upload_id}-{n}", "price": price, "stock_quantity": "3"}
    return PendingRow(upload_id, "VEND001", n, data, tuple(data.values()))


@pytest.mark.parametrize("rows", [10, 500])
def test_validating_a_batch_costs_the_same_few_sql_statements_whatever_its_size(
    settings: Settings, aws: AwsClients, resources: Resources, rows: int
) -> None:
    counter = StatementCounter()
    container = bootstrap.build(settings, sql_statements=counter)
    catalog = container.catalog
    catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    catalog.start_upload(NewUpload("U1", "VEND001", "f.csv", "b", "k", None))
    catalog.set_upload_layout("U1", rows, [], [], 1)
    deps = container.validator_dependencies
    deps.categories.get(catalog)
    counter.statements = 0

    result = validate_batch(deps, [pending("U1", n) for n in range(1, rows + 1)])

    assert (result.valid, result.invalid) == (rows - rows // 10, rows // 10)
    # One read (SKU owners, stored products, modes, rules), then the ledger, the products with their history
    # and warnings, and the counters: history and warnings add no statement (issue 16, acceptance 6).
    assert counter.statements <= 4

    catalog.start_upload(NewUpload("U2", "VEND001", "f.csv", "b", "k2", None))
    catalog.set_upload_layout("U2", rows, [], [], 1)
    counter.statements = 0
    updated = validate_batch(deps, [replace(pending("U1", n), upload_id="U2", product_data={
        **pending("U1", n).product_data, "price": "19.99" if n % 10 else "oops"}) for n in range(1, rows + 1)])

    assert (updated.valid, updated.invalid) == (rows - rows // 10, rows // 10)
    assert counter.statements <= 4  # updates with their old -> new history cost the same
    container.close()


def test_a_containers_counter_counts_its_own_calls_only(settings: Settings, aws: AwsClients) -> None:
    """The process shares one botocore session per region; each container still has clients of its own."""
    counter = CallCounter()
    counted = bootstrap.build(settings, aws_calls=counter).aws

    for clients in (counted, aws, bootstrap.build(settings).aws):
        clients.sqs.list_queues(QueueNamePrefix=settings.upload_queue)

    assert counter.calls == {"sqs:ListQueues": 1}
    assert counted.sqs is not aws.sqs


def test_writing_rows_costs_one_batch_write_per_25_rows(settings: Settings, resources: Resources) -> None:
    counter = CallCounter()
    records = bootstrap.build(settings, aws_calls=counter).records

    records.put_rows(pending("U1", n) for n in range(1, 1001))

    assert counter.calls == {"dynamodb:BatchWriteItem": math.ceil(1000 / 25)}


def test_rows_written_over_write_shards_are_read_back_under_their_upload(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    records = bootstrap.build(replace(settings, write_shards=4)).records
    records.put_rows(pending("U1", n) for n in range(1, 11))

    keys = {i["upload_id"]["S"] for i in aws.dynamodb.scan(TableName=settings.records_table)["Items"]}
    found = records.get_rows("U1", range(1, 11))

    assert keys == {"U1#0", "U1#1", "U1#2", "U1#3"}
    assert sorted((r.upload_id, r.row_number) for r in found) == [("U1", n) for n in range(1, 11)]


def test_failed_rows_travel_in_bundles_not_one_message_each(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    counter = CallCounter()
    queue = bootstrap.build(settings, aws_calls=counter).error_queue
    counter.calls.clear()
    bodies = [f'{{"n": {n}, "pad": "{"x" * 900}"}}' for n in range(100)]

    queue.send_all(bodies)
    url = aws.sqs.get_queue_url(QueueName=settings.error_queue)["QueueUrl"]

    assert counter.calls["sqs:SendMessageBatch"] == 10
    received = 0
    while True:
        got = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        received += len(got)
        aws.sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert received == 100
