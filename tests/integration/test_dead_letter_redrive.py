"""`onboard dlq redrive` of validator dead letters as AWS writes them: the on-failure record of a stream mapping
carries only the shard and sequence range (`DDBStreamBatchInfo`), so the redrive reads that range back from the
stream (moto's server, over HTTP) and replays its inserts to the validator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.config import Settings
from onboarding.local.dead_letters import list_dead_letters, redrive_dead_letters
from onboarding.provision import Resources


class RecordingValidator:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        failures = [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"]] if self.fail else []
        return {"batchItemFailures": failures}


def stream_records(aws: AwsClients, resources: Resources) -> tuple[str, list[dict[str, Any]]]:
    streams = aws.dynamodbstreams
    [shard] = streams.describe_stream(StreamArn=resources.stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=resources.stream_arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]  # type: ignore[assignment]
    return shard["ShardId"], records


def letter_as_aws_sends_it(resources: Resources, shard_id: str, records: list[dict[str, Any]]) -> str:
    """What Lambda puts on a stream mapping's SQS on-failure destination: no records."""
    return json.dumps({
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "batchSize": len(records),
            "streamArn": resources.stream_arn,
        },
        "timestamp": datetime.now(UTC).isoformat(),
    })


def write_rows(aws: AwsClients, settings: Settings, rows: int) -> None:
    for row in range(1, rows + 1):
        aws.dynamodb.put_item(TableName=settings.records_table, Item={
            "upload_id": {"S": "UPLOAD_VEND001_1"}, "record_id": {"S": f"{row:06d}"}, "row_number": {"N": str(row)}})
    # An overwrite: a MODIFY in the range, which the mapping's INSERT filter would not have delivered.
    aws.dynamodb.put_item(TableName=settings.records_table, Item={
        "upload_id": {"S": "UPLOAD_VEND001_1"}, "record_id": {"S": "000003"}, "row_number": {"N": "3"}})


def test_a_dead_letter_with_only_the_stream_range_is_replayed_from_the_stream(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    write_rows(aws, settings, 5)
    shard_id, records = stream_records(aws, resources)
    assert [r["eventName"] for r in records] == ["INSERT"] * 5 + ["MODIFY"]
    failed = records[1:]  # rows 2 to 5 and the overwrite of row 3 failed; row 1 went through
    aws.sqs.send_message(QueueUrl=resources.stream_dlq_url,
                         MessageBody=letter_as_aws_sends_it(resources, shard_id, failed))
    [letter] = list_dead_letters(aws, settings)
    assert letter["summary"].startswith(f"{len(failed)} stream record(s), shard {shard_id}")

    validator = RecordingValidator()
    assert redrive_dead_letters(aws, settings, validator) == {"validator": 1}

    [event] = validator.events
    replayed = [(r["eventName"], r["dynamodb"]["NewImage"]["record_id"]["S"]) for r in event["Records"]]
    assert replayed == [("INSERT", f"{row:06d}") for row in (2, 3, 4, 5)]
    assert all(r["eventSource"] == "aws:dynamodb" and r["eventSourceARN"] == resources.stream_arn
               for r in event["Records"])
    assert list_dead_letters(aws, settings) == []


def test_a_dead_letter_that_still_fails_stays_in_its_queue(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    write_rows(aws, settings, 2)
    shard_id, records = stream_records(aws, resources)
    aws.sqs.send_message(QueueUrl=resources.stream_dlq_url,
                         MessageBody=letter_as_aws_sends_it(resources, shard_id, records[:2]))
    assert redrive_dead_letters(aws, settings, RecordingValidator(fail=True)) == {}
    assert len(list_dead_letters(aws, settings)) == 1
