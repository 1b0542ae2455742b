"""An SQS event source mapping: upload queue -> csv_parser, error queue -> error_processor.

Batch size, `ReportBatchItemFailures` (only the failed messages come back, after a backoff), and the
queues' own redrive policy moving a message that keeps failing to its dead-letter queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.events import sqs_event
from onboarding.local.functions import Invoke
from onboarding.local.worker.settings import MappingSettings, failed_identifiers

log = logging.getLogger("onboarding.worker")


class SqsSource:
    def __init__(
        self,
        clients: AwsClients,
        queue_url: str,
        invoke: Invoke,
        batch_size: int,
        settings: MappingSettings,
    ) -> None:
        self._sqs = clients.sqs
        self._region = clients.sqs.meta.region_name
        self.queue_url = queue_url
        self._arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._invoke = invoke
        self._batch_size = batch_size
        self._settings = settings

    def poll(self) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._settings.poll_wait_s,
            VisibilityTimeout=self._settings.visibility_timeout_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, self._arn, self._region)
        with _VisibilityHeartbeat(self._sqs, self.queue_url, messages, self._settings.visibility_timeout_s):
            failed = failed_identifiers(self._invoke, event, [m["MessageId"] for m in messages])
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry:
            # Back off before the message is seen again; the queue's redrive policy dead-letters it
            # after its maxReceiveCount, as in AWS.
            self._sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": _retry_delay_s(m),
                    }
                    for i, m in enumerate(retry)
                ],
            )
        return len(messages)


def _retry_delay_s(message: Mapping[str, Any]) -> int:
    receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
    return int(min(30, 2**receives))


class _VisibilityHeartbeat:
    """Keeps messages invisible while a long invocation (a big file) runs."""

    def __init__(self, sqs: Any, queue_url: str, messages: Sequence[Mapping[str, Any]], timeout_s: int) -> None:
        self._sqs, self._url, self._messages, self._timeout = sqs, queue_url, messages, timeout_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._timeout / 2):
            try:
                self._sqs.change_message_visibility_batch(
                    QueueUrl=self._url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self._timeout}
                        for i, m in enumerate(self._messages)
                    ],
                )
            except Exception:  # the heartbeat is best effort; a missed beat only means a redelivery
                log.warning("visibility heartbeat failed", exc_info=True)
