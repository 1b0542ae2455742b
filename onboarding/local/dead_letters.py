"""Looking into the dead-letter queues, and replaying what is there (`onboard dlq list|redrive`)."""

from __future__ import annotations

import json
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.records import upload_of
from onboarding.config import Settings
from onboarding.local.functions import Invoke
from onboarding.provision import DLQ_SUFFIX

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
        uploads = sorted({upload_of(r["dynamodb"]["NewImage"]["upload_id"]["S"]) for r in data.get("records", [])})
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
                    result = validator({"Records": json.loads(message["Body"]).get("records", [])})
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
