"""Looking into the dead-letter queues, and replaying what is there (`onboard dlq list|redrive`).

A stream mapping's on-failure destination receives, in AWS, only where the failed records are
(`DDBStreamBatchInfo`: shard and sequence range), not the records: the redrive reads that range back from the
stream (which keeps records 24 hours) and replays its inserts to the validator.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.dead_letter_counts import DLQ_SUFFIX
from onboarding.adapters.records import upload_of
from onboarding.config import Settings
from onboarding.events import STREAM_INSERT, stream_event
from onboarding.local.functions import Invoke

log = logging.getLogger(__name__)
EMPTY_PAGES_AT_SHARD_END = 3  # an open shard answers empty pages past its last record, forever

PEEK_VISIBILITY_S = 30  # hidden while we read the whole queue, then made visible again (see `_release`)


def _dead_letter_queues(settings: Settings) -> dict[str, tuple[str, str | None]]:
    """DLQ name -> (its queue name, the queue its messages came from; None for the stream's)."""
    return {
        "uploads": (settings.upload_queue + DLQ_SUFFIX, settings.upload_queue),
        "errors": (settings.error_queue + DLQ_SUFFIX, settings.error_queue),
        "validator": (settings.validator_dlq, None),
    }


def _summary(queue: str, body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:120]
    if queue == "validator":
        info = data.get("DDBStreamBatchInfo", {})
        if "records" not in data:  # as AWS sends it: where the records are, not the records
            return (f"{info.get('batchSize')} stream record(s), shard {info.get('shardId')}, sequence numbers "
                    f"{info.get('startSequenceNumber')} to {info.get('endSequenceNumber')}")
        uploads = sorted({upload_of(r["dynamodb"]["NewImage"]["upload_id"]["S"]) for r in data["records"]})
        return f"{info.get('batchSize')} stream record(s) of {', '.join(uploads)}"
    if queue == "errors":
        return f"{data.get('kind')} for {data.get('upload_id')}"
    keys = [r["s3"]["object"]["key"] for r in data.get("Records", []) if "s3" in r]
    return "S3 event for " + ", ".join(keys) if keys else body[:120]


def _receive_all(clients: AwsClients, url: str) -> list[dict[str, Any]]:
    messages: dict[str, dict[str, Any]] = {}
    while True:
        batch = clients.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=PEEK_VISIBILITY_S
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in messages]
        if not fresh:
            return list(messages.values())
        messages.update({m["MessageId"]: dict(m) for m in fresh})


def _release(clients: AwsClients, url: str, messages: list[dict[str, Any]]) -> None:
    """Make peeked messages visible again now: looking must not hide them from the next list or redrive."""
    for start in range(0, len(messages), 10):
        clients.sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                     for i, m in enumerate(messages[start:start + 10])],
        )


def list_dead_letters(clients: AwsClients, settings: Settings) -> list[dict[str, Any]]:
    letters = []
    for queue, (name, _) in _dead_letter_queues(settings).items():
        url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        messages = _receive_all(clients, url)
        _release(clients, url, messages)
        for message in messages:
            letters.append({"queue": queue, "message_id": message["MessageId"],
                            "summary": _summary(queue, message["Body"]), "body": message["Body"]})
    return letters


def redrive_dead_letters(clients: AwsClients, settings: Settings, validator: Invoke) -> dict[str, int]:
    """SQS dead letters go back to their source queue; stream dead letters are replayed to the validator."""
    moved: dict[str, int] = {}
    for queue, (name, source) in _dead_letter_queues(settings).items():
        url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        count = 0
        left = {m["MessageId"]: m for m in _receive_all(clients, url)}
        try:
            for message in list(left.values()):
                if source is not None:
                    source_url = clients.sqs.get_queue_url(QueueName=source)["QueueUrl"]
                    clients.sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"])
                else:
                    records = stream_records_of(clients, json.loads(message["Body"]))
                    if records is None:
                        continue  # no longer in the stream: left for the operator to see (the sweeper finished it)
                    result = validator({"Records": records})
                    if result.get("batchItemFailures"):
                        continue  # still failing: leave it where it is
                clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                del left[message["MessageId"]]
                count += 1
        finally:
            _release(clients, url, list(left.values()))
        if count:
            moved[queue] = count
    return moved


def stream_records_of(clients: AwsClients, letter: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The stream records a validator dead letter stands for, shaped as the validator's event records: those the
    local worker kept in it, else the inserts of its `DDBStreamBatchInfo` range read back from the stream.
    None if the stream no longer holds them (older than 24 hours)."""
    if "records" in letter:
        return list(letter["records"])
    info = letter["DDBStreamBatchInfo"]
    try:
        records = read_stream_range(clients, info["streamArn"], info["shardId"],
                                    info["startSequenceNumber"], info["endSequenceNumber"])
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code not in ("TrimmedDataAccessException", "ResourceNotFoundException"):
            raise
        log.warning("stream records of a dead letter are gone (the stream keeps 24 hours): %s", info)
        return None
    inserts = [record for record in records if record["eventName"] == STREAM_INSERT]  # the mapping's filter
    return list(stream_event(inserts, info["streamArn"], clients.dynamodbstreams.meta.region_name)["Records"])


def read_stream_range(
    clients: AwsClients, stream_arn: str, shard_id: str, first: str, last: str
) -> list[dict[str, Any]]:
    """Every record of one shard from sequence number `first` to `last`, both included."""
    streams = clients.dynamodbstreams
    iterator: str | None = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    empty_pages = 0
    while iterator and empty_pages < EMPTY_PAGES_AT_SHARD_END:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        page: list[dict[str, Any]] = response["Records"]  # type: ignore[assignment]
        for record in page:
            if int(record["dynamodb"]["SequenceNumber"]) > int(last):
                return records
            records.append(record)
        empty_pages = 0 if page else empty_pages + 1
        iterator = response.get("NextShardIterator")
    return records
