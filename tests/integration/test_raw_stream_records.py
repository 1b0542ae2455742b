"""The worker reads the stream without botocore's parsing of each record, and its functions still receive
exactly the event AWS sends: the same records, attribute for attribute, as JSON (binary values as base64
text), in the shape of the sample event recorded from AWS."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.config import Settings
from onboarding.events import stream_event
from onboarding.local.worker.raw_records import RawStreamReader
from onboarding.provision import Resources

SAMPLE = Path(__file__).parents[1] / "events" / "dynamodb_stream_batch.json"


def _write(aws: AwsClients, table: str) -> None:
    items: list[Any] = [{"PutRequest": {"Item": {
        "upload_id": {"S": "UPLOAD_RAW"}, "record_id": {"S": f"ROW#{n:07d}"}, "row_number": {"N": str(n)},
        "product_data": {"M": {"name": {"S": f"Lamp \u00e9 {n}"}, "price": {"S": "12.50"}}},
        "source_cells": {"L": [{"S": "a"}, {"S": ""}]}, "signature": {"B": bytes([n, 0, 255])},
        "tags": {"SS": ["x", "y"]}, "flag": {"BOOL": True}, "nothing": {"NULL": True},
    }}} for n in range(1, 31)]
    aws.dynamodb.batch_write_item(RequestItems={table: items[:25]})
    aws.dynamodb.batch_write_item(RequestItems={table: items[25:]})


def _iterator(aws: AwsClients, stream_arn: str) -> str:
    [shard] = aws.dynamodbstreams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    return aws.dynamodbstreams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]


def _as_json(value: Any) -> Any:
    """What a record decoded by botocore looks like as the JSON Lambda sends (bytes as base64 text)."""
    return json.loads(json.dumps(value, default=lambda b: base64.b64encode(b).decode()))


def test_the_event_from_raw_records_is_the_event_aws_sends(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    _write(aws, settings.records_table)
    reader = RawStreamReader(aws.dynamodbstreams)

    raw, next_iterator = reader.get_records(_iterator(aws, resources.stream_arn), 1000)
    decoded = aws.dynamodbstreams.get_records(ShardIterator=_iterator(aws, resources.stream_arn), Limit=1000)

    assert len(raw) == 30 and next_iterator
    assert raw[0]["dynamodb"]["NewImage"]["signature"] == {"B": base64.b64encode(bytes([1, 0, 255])).decode()}
    raw_event = stream_event(raw, resources.stream_arn, settings.aws_region)
    decoded_event = stream_event(decoded["Records"], resources.stream_arn, settings.aws_region)
    assert raw_event == _as_json(decoded_event)
    assert json.loads(json.dumps(raw_event)) == raw_event  # plain JSON, as Lambda delivers it

    [sample] = json.loads(SAMPLE.read_text())["Records"][:1]
    for record in raw_event["Records"]:
        assert sorted(record) == sorted(sample)
        assert sorted(record["dynamodb"]) == sorted(sample["dynamodb"])
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)  # whole seconds, as AWS


def test_other_readers_of_the_same_client_still_get_decoded_records(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    _write(aws, settings.records_table)
    RawStreamReader(aws.dynamodbstreams)
    RawStreamReader(aws.dynamodbstreams)  # a second worker on the same clients registers nothing twice

    response = aws.dynamodbstreams.get_records(ShardIterator=_iterator(aws, resources.stream_arn), Limit=1000)

    assert len(response["Records"]) == 30
    assert response["Records"][0]["dynamodb"]["NewImage"]["signature"] == {"B": bytes([1, 0, 255])}
    assert "RawRecords" not in response
