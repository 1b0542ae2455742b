"""Error-queue messages, and decoding the events AWS sends."""

from __future__ import annotations

import json
from pathlib import Path

from onboarding.adapters.records import (
    deserialize,
    from_item,
    partition_key,
    pending_row,
    serialize,
    to_item,
    upload_of,
)
from onboarding.domain.errors import ErrorCode, RowError
from onboarding.domain.messages import ErrorQueueMessage, FailedRow, MessageKind, bundle_failed_rows
from onboarding.domain.uploads import PendingRow
from onboarding.events import s3_objects, sqs_event, stream_event

EVENTS = Path(__file__).parents[1] / "events"


def failed(n: int) -> FailedRow:
    return FailedRow(n, ("P", "x" * 500), (RowError(n, "price", ErrorCode.INVALID_PRICE, "bad price", "x"),))


def test_failed_rows_are_bundled_into_few_messages_under_the_size_limit() -> None:
    messages = list(bundle_failed_rows("U", "V", [failed(n) for n in range(1, 201)], max_bytes=20_000))
    assert 5 <= len(messages) <= 7
    assert all(len(m.to_json().encode()) <= 20_000 for m in messages)
    assert [r.row_number for m in messages for r in m.rows] == list(range(1, 201))


def test_a_message_survives_the_queue_unchanged() -> None:
    message = ErrorQueueMessage(MessageKind.ROW_ERRORS, "U", "V", (failed(3),))
    assert ErrorQueueMessage.from_json(message.to_json()) == message


def test_an_s3_notification_through_sqs_names_the_decoded_key() -> None:
    event = json.loads((EVENTS / "s3_upload_via_sqs.json").read_text())
    [obj] = list(s3_objects(event["Records"][0]["body"]))
    assert (obj.bucket, obj.key, obj.version_id) == (
        "product-onboarding-uploads", "uploads/VEND001/VEND001_20251221_034236.csv", None)


def test_s3_keys_are_url_decoded() -> None:
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": "b"}, "object": {"key": "uploads/VEND001/my+catalog%C3%A9.csv"}}}]})
    assert [o.key for o in s3_objects(body)] == ["uploads/VEND001/my catalogé.csv"]


def test_the_s3_test_event_names_no_object() -> None:
    event = json.loads((EVENTS / "s3_test_event_via_sqs.json").read_text())
    assert list(s3_objects(event["Records"][0]["body"])) == []


def test_a_stream_record_decodes_to_a_pending_row() -> None:
    record = json.loads((EVENTS / "dynamodb_stream_batch.json").read_text())["Records"][0]
    row = pending_row(record)
    assert (row.upload_id, row.vendor_id, row.row_number) == ("UPLOAD_VEND001_20251221034236_6C1D2E3F4A5B",
                                                              "VEND001", 1)
    assert row.product_data["sku"] == "TT-MOUSE-01"


def test_events_built_by_the_worker_have_the_shape_aws_sends() -> None:
    recorded_sqs = json.loads((EVENTS / "sqs_error_batch.json").read_text())["Records"][0]
    built = sqs_event([{"MessageId": "m", "ReceiptHandle": "r", "Body": "{}", "MD5OfBody": "x"}],
                      "arn:aws:sqs:us-east-1:1:q", "us-east-1")["Records"][0]
    assert set(built) == set(recorded_sqs)
    recorded_stream = json.loads((EVENTS / "dynamodb_stream_batch.json").read_text())["Records"][0]
    built_stream = stream_event([{"eventID": "e", "eventName": "INSERT", "dynamodb": recorded_stream["dynamodb"]}],
                                "arn:aws:dynamodb:us-east-1:1:table/T/stream/x", "us-east-1")["Records"][0]
    assert set(built_stream) == set(recorded_stream)


def test_a_row_written_under_a_write_shard_decodes_to_its_upload() -> None:
    row = PendingRow("UPLOAD_VEND001_20251221034236_ABC", "VEND001", 11, {"sku": "S"}, ("S",))
    image = serialize(to_item(row, now=0, write_shards=8))

    assert image["upload_id"] == {"S": "UPLOAD_VEND001_20251221034236_ABC#3"}
    assert from_item(deserialize(image)) == row
    assert partition_key(row.upload_id, 11, write_shards=1) == row.upload_id  # unsharded: the upload id itself
    assert upload_of(row.upload_id) == row.upload_id
