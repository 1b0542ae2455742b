"""The shapes of the events AWS delivers to our functions, decoded and (for the local worker) built.

Defined once: the handlers decode with these, the local worker builds with these, and the samples
in `tests/events/` are checked against them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

STREAM_INSERT = "INSERT"
SCHEDULED_EVENT_SOURCE = "aws.events"


@dataclass(frozen=True)
class S3ObjectRef:
    bucket: str
    key: str
    version_id: str | None


def s3_objects(sqs_body: str) -> Iterator[S3ObjectRef]:
    """The objects named by an S3 notification delivered through SQS (the test event names none)."""
    body = json.loads(sqs_body)
    if isinstance(body, dict) and "Message" in body and "TopicArn" in body:  # relayed through SNS
        body = json.loads(body["Message"])
    for record in body.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        yield S3ObjectRef(
            bucket=s3["bucket"]["name"],
            key=unquote_plus(s3["object"]["key"]),  # S3 URL-encodes keys in notifications
            version_id=s3["object"].get("versionId") or None,
        )


def s3_object_created_body(bucket: str, key: str, version_id: str | None) -> str:
    """The body S3 sends the upload queue for a new object: how a commit asks the parser for the same file again."""
    s3_object: dict[str, Any] = {"key": quote_plus(key)}
    if version_id and version_id != "null":
        s3_object["versionId"] = version_id
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
              "s3": {"bucket": {"name": bucket}, "object": s3_object}}
    return json.dumps({"Records": [record]})


def batch_item_failures(identifiers: Sequence[str]) -> dict[str, Any]:
    """The partial-batch response Lambda's SQS and stream sources read (ReportBatchItemFailures)."""
    return {"batchItemFailures": [{"itemIdentifier": i} for i in identifiers]}


def stream_sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])



def is_scheduled_event(event: Mapping[str, Any]) -> bool:
    return event.get("source") == SCHEDULED_EVENT_SOURCE


# -- building events, as Lambda's event source mappings do (for the local worker) ------------


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS event from `ReceiveMessage` output."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": dict(m.get("MessageAttributes", {})),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def stream_event(records: Sequence[Mapping[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB stream event from `GetRecords` output (the JSON as sent, or as botocore decodes it)."""
    out = []
    for record in records:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")  # Lambda sends whole epoch seconds
        if created is not None:
            dynamodb["ApproximateCreationDateTime"] = int(created if isinstance(created, int | float)
                                                          else created.timestamp())
        out.append(
            {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": record.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": region,
                "dynamodb": dynamodb,
                "eventSourceARN": stream_arn,
            }
        )
    return {"Records": out}


def scheduled_event(region: str, account_id: str, rule_arn: str) -> dict[str, Any]:
    """An EventBridge scheduled event (what triggers the sweeper)."""
    return {
        "version": "0",
        "id": "local-sweep",
        "detail-type": "Scheduled Event",
        "source": SCHEDULED_EVENT_SOURCE,
        "account": account_id,
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }

