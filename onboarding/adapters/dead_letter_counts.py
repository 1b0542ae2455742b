"""SQS: how many messages wait in each dead-letter queue (the operators' view in the portal)."""

from __future__ import annotations

from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.config import Settings

DLQ_SUFFIX = "-dlq"  # an SQS queue's dead-letter queue is named after it


def dead_letter_queue_names(settings: Settings) -> dict[str, str]:
    """The dead-letter queues by what they hold: the stream's (validator) and each SQS queue's."""
    return {
        "uploads": settings.upload_queue + DLQ_SUFFIX,
        "errors": settings.error_queue + DLQ_SUFFIX,
        "webhooks": settings.webhook_queue + DLQ_SUFFIX,
        "validator": settings.validator_dlq,
    }


class DeadLetterCounts:
    def __init__(self, clients: AwsClients, settings: Settings) -> None:
        self._clients = clients
        self._settings = settings

    def __call__(self) -> list[dict[str, Any]]:
        """One attribute read per queue (four queues); SQS keeps no timestamp of its oldest message, so
        `oldest_at` is null here (CloudWatch's ApproximateAgeOfOldestMessage has it, and alarms on it)."""
        counts = []
        for queue, name in dead_letter_queue_names(self._settings).items():
            url = self._clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = self._clients.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            counts.append({"queue": queue, "messages": int(attributes.get("ApproximateNumberOfMessages", 0)),
                           "oldest_at": None})
        return counts
