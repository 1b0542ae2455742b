"""SQS: the error queue between the validator and the error processor (and the upload queue locally)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from onboarding.adapters.batching import backoff, chunks

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_BATCH_MESSAGES = 10  # SendMessageBatch's limit
MAX_BATCH_BYTES = 256 * 1024  # ...and its total payload limit


class MessageQueue:
    """One queue, its URL resolved once (at cold start)."""

    def __init__(self, sqs: SQSClient, queue_name: str, max_attempts: int = 8) -> None:
        self._sqs = sqs
        self.url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._max_attempts = max_attempts

    def send_all(self, bodies: Iterable[str]) -> int:
        """Send messages in as few `SendMessageBatch` calls as the limits allow. Returns messages sent."""
        sent = 0
        for batch in _size_bounded(bodies):
            self._send_batch(batch)
            sent += len(batch)
        return sent

    def _send_batch(self, bodies: list[str]) -> None:
        entries = {str(i): body for i, body in enumerate(bodies)}
        for attempt in range(self._max_attempts):
            response = self._sqs.send_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in entries.items()],
            )
            failed = response.get("Failed", [])
            retryable = {f["Id"] for f in failed if not f.get("SenderFault")}
            if len(retryable) != len(failed):
                reasons = "; ".join(f.get("Message", f["Code"]) for f in failed if f.get("SenderFault"))
                raise ValueError(f"SQS refused messages: {reasons}")
            if not retryable:
                return
            entries = {entry_id: entries[entry_id] for entry_id in retryable}
            backoff(attempt)
        raise RuntimeError(f"{len(entries)} messages not sent after {self._max_attempts} attempts")


class LazyQueue:
    """A queue whose URL is resolved on first send: a function that seldom sends (the API's commit) makes no
    call for it at cold start. The composition root hands in how to build the real queue."""

    def __init__(self, build: Callable[[], MessageQueue]) -> None:
        self._build = build
        self._queue: MessageQueue | None = None

    def send_all(self, bodies: Iterable[str]) -> int:
        if self._queue is None:
            self._queue = self._build()
        return self._queue.send_all(bodies)


def _size_bounded(bodies: Iterable[str]) -> Iterable[list[str]]:
    """Groups of at most 10 messages and 256 KiB in all."""
    for group in chunks(bodies, MAX_BATCH_MESSAGES):
        batch: list[str] = []
        size = 0
        for body in group:
            body_size = len(body.encode())
            if batch and size + body_size > MAX_BATCH_BYTES:
                yield batch
                batch, size = [], 0
            batch.append(body)
            size += body_size
        if batch:
            yield batch
