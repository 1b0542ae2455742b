"""The worker: what Lambda's event source mappings do, for the local stack.

moto cannot run our functions (see EMULATORS.md), so this process polls the sources and calls the
handlers with events shaped exactly as AWS shapes them:

- upload queue -> csv_parser and error queue -> error_processor: SQS mappings with batch size,
  `ReportBatchItemFailures` (only the failed messages come back, after a backoff), and the queues'
  own redrive policy moving a message that keeps failing to its dead-letter queue;
- UploadRecords stream -> validator: a stream mapping with batch size, a filter on INSERT, retries
  from the first failed record, bisection of a failing batch, and an on-failure destination (an SQS
  queue) for a record that still fails. Its position is checkpointed to disk, so a killed worker,
  restarted, carries on after the last batch it finished;
- a schedule -> error_processor's sweeper, which finishes stalled uploads.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.batching import backoff_delay_s
from onboarding.events import STREAM_INSERT, scheduled_event, sqs_event, stream_event
from onboarding.local.functions import Invoke
from onboarding.local.mailbox import Mailboxes, drain_mailbox_queues

log = logging.getLogger("onboarding.worker")


@dataclass(frozen=True)
class MappingSettings:
    """The event source mapping settings the worker emulates (the SAM template sets the same)."""

    upload_batch_size: int = 5
    error_batch_size: int = 10
    stream_batch_size: int = 1000
    stream_batching_window_s: float = 1.0
    stream_max_retries: int = 3
    stream_bisect_on_error: bool = True
    visibility_timeout_s: int = 30  # per receive; extended while an invocation runs
    poll_wait_s: int = 1
    sweep_every_s: float = 30.0
    mailbox_every_s: float = 0.5


# -- SQS --------------------------------------------------------------------------------------


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
            failed = _failed_identifiers(self._invoke, event, [m["MessageId"] for m in messages])
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


def _failed_identifiers(invoke: Invoke, event: dict[str, Any], all_ids: Sequence[str]) -> set[str]:
    """The items the function reported as failed; all of them if the invocation itself failed."""
    try:
        result = invoke(event)
    except Exception:
        log.exception("invocation failed")
        return set(all_ids)
    return {str(f["itemIdentifier"]) for f in result.get("batchItemFailures", [])}


# -- DynamoDB stream ----------------------------------------------------------------------------


class Checkpoints:
    """The last stream sequence number each shard was processed to, kept on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._positions: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}

    def get(self, shard_id: str) -> str | None:
        return self._positions.get(shard_id)

    def save(self, shard_id: str, sequence_number: str) -> None:
        self._positions[shard_id] = sequence_number
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._positions))
        temporary.replace(self.path)


SHARD_REFRESH_S = 30.0


@dataclass
class _Batch:
    """Records read from a shard and not yet delivered: Lambda's batching window, emulated."""

    records: list[dict[str, Any]] = field(default_factory=list)
    last_sequence: str | None = None  # the last record read, wanted or filtered out
    opened_at: float | None = None

    def add(self, records: list[dict[str, Any]], last_sequence: str) -> None:
        if records and self.opened_at is None:
            self.opened_at = time.monotonic()
        self.records += records
        self.last_sequence = last_sequence

    def ready(self, batch_size: int, window_s: float) -> bool:
        """Full, or its window has passed; a batch of filtered-out records only is checkpointed at once."""
        if not self.records:
            return self.last_sequence is not None
        assert self.opened_at is not None  # noqa: S101 (set with the first record)
        return len(self.records) >= batch_size or time.monotonic() - self.opened_at >= window_s


@dataclass
class StreamSource:
    clients: AwsClients
    stream_arn: str
    invoke: Invoke
    checkpoints: Checkpoints
    on_failure_queue_url: str
    settings: MappingSettings
    stopping: threading.Event = field(default_factory=threading.Event)
    _iterators: dict[str, str] = field(default_factory=dict)
    _batches: dict[str, _Batch] = field(default_factory=dict)
    _shards: list[str] = field(default_factory=list)
    _shards_read_at: float = float("-inf")

    def poll(self) -> int:
        delivered = 0
        for shard_id in self._shard_ids():
            batch = self._batches.setdefault(shard_id, _Batch())
            if len(batch.records) < self.settings.stream_batch_size:
                self._read_into(shard_id, batch)
            if batch.ready(self.settings.stream_batch_size, self.settings.stream_batching_window_s):
                if batch.records and not self._deliver(shard_id, batch.records):
                    return delivered  # stopping: left unacknowledged, read again after a restart
                # Checkpointed only once delivered: if delivery raised, the batch is kept and tried again,
                # and a worker stopped or killed before the save re-reads it after restart.
                self._batches[shard_id] = _Batch()
                if batch.last_sequence:
                    self.checkpoints.save(shard_id, batch.last_sequence)
                delivered += len(batch.records)
        return delivered

    def _shard_ids(self) -> list[str]:
        if time.monotonic() - self._shards_read_at > SHARD_REFRESH_S:
            description = self.clients.dynamodbstreams.describe_stream(StreamArn=self.stream_arn)
            self._shards = [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]
            self._shards_read_at = time.monotonic()
        return self._shards

    def _read_into(self, shard_id: str, batch: _Batch) -> None:
        iterator = self._iterators.get(shard_id) or self._new_iterator(shard_id)
        limit = self.settings.stream_batch_size - len(batch.records)
        response = self.clients.dynamodbstreams.get_records(ShardIterator=iterator, Limit=limit)
        self._iterators[shard_id] = response.get("NextShardIterator", iterator)
        records: list[dict[str, Any]] = response["Records"]  # type: ignore[assignment]
        if records:
            wanted = [r for r in records if r["eventName"] == STREAM_INSERT]  # the mapping's filter
            batch.add(wanted, records[-1]["dynamodb"]["SequenceNumber"])

    def _new_iterator(self, shard_id: str) -> str:
        position = self.checkpoints.get(shard_id)
        kwargs: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            if position
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        return self.clients.dynamodbstreams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, **kwargs
        )["ShardIterator"]

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> bool:
        """Invoke, retry, bisect, dead-letter: until every record is done with. False if the worker is stopping
        first (a retry chain can take minutes; it must not outlive `Worker.stop`)."""
        pending = [records]
        while pending:
            batch = pending.pop(0)
            for attempt in range(self.settings.stream_max_retries + 1):
                if self.stopping.is_set():
                    return False
                failed_at = self._invoke(batch)
                if failed_at is None:
                    break
                batch = batch[failed_at:]  # Lambda retries from the first failed record
                self.stopping.wait(backoff_delay_s(attempt, base_s=0.2, cap_s=5.0))
            else:
                if self.settings.stream_bisect_on_error and len(batch) > 1:
                    half = len(batch) // 2
                    pending[0:0] = [batch[:half], batch[half:]]
                else:
                    self._send_to_on_failure_destination(shard_id, batch)
        return True

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        event = stream_event(batch, self.stream_arn, self.clients.dynamodbstreams.meta.region_name)
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
        failed = _failed_identifiers(self.invoke, event, sequence)
        if not failed:
            return None
        return min(sequence.index(s) for s in failed if s in sequence) if failed & set(sequence) else 0

    def _send_to_on_failure_destination(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        """What Lambda sends to a stream mapping's on-failure destination, plus the records themselves
        (locally we keep them, so `onboard dlq redrive` can replay them)."""
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        body = {
            "requestContext": {
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.settings.stream_max_retries + 1,
            },
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
            "timestamp": datetime.now(UTC).isoformat(),
            "records": stream_event(batch, self.stream_arn, self.clients.dynamodbstreams.meta.region_name)["Records"],
        }
        self.clients.sqs.send_message(QueueUrl=self.on_failure_queue_url, MessageBody=json.dumps(body, default=str))
        log.error("stream records sent to the on-failure destination", extra={"records": len(batch)})


# -- the worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerTopology:
    """Where the worker's sources are (from provisioning, or the environment)."""

    upload_queue_url: str
    error_queue_url: str
    stream_arn: str
    validator_dlq_url: str
    sweep_rule_arn: str


class Worker:
    def __init__(
        self,
        clients: AwsClients,
        topology: WorkerTopology,
        functions: Mapping[str, Invoke],
        home: Path,
        settings: MappingSettings | None = None,
        account_id: str = "123456789012",
    ) -> None:
        self.settings = settings or MappingSettings()
        self.clients = clients
        self.topology = topology
        self._functions = functions
        self._account_id = account_id
        self.uploads = SqsSource(clients, topology.upload_queue_url, functions["csv_parser"],
                                 self.settings.upload_batch_size, self.settings)
        self.errors = SqsSource(clients, topology.error_queue_url, functions["error_processor"],
                                self.settings.error_batch_size, self.settings)
        self._stop = threading.Event()
        self.stream = StreamSource(clients, topology.stream_arn, functions["validator"],
                                   Checkpoints(home / "stream-checkpoints.json"), topology.validator_dlq_url,
                                   self.settings, stopping=self._stop)
        self.mailboxes = Mailboxes(home / "mailbox")
        self._threads: list[threading.Thread] = []

    def sweep(self) -> dict[str, Any]:
        event = scheduled_event(self.clients.sqs.meta.region_name, self._account_id, self.topology.sweep_rule_arn)
        return self._functions["error_processor"](event)

    def drain_mailboxes(self) -> int:
        return drain_mailbox_queues(self.clients, self.mailboxes)

    def start(self) -> None:
        loops: dict[str, Callable[[], object]] = {
            "uploads": self.uploads.poll,
            "stream": self.stream.poll,
            "errors": self.errors.poll,
        }
        for name, poll in loops.items():
            self._threads.append(threading.Thread(target=self._loop, args=(name, poll, 0.2), name=name, daemon=True))
        self._threads.append(
            threading.Thread(target=self._loop, args=("sweeper", self.sweep, self.settings.sweep_every_s),
                             name="sweeper", daemon=True)
        )
        self._threads.append(
            threading.Thread(target=self._loop, args=("mailbox", self.drain_mailboxes, self.settings.mailbox_every_s),
                             name="mailbox", daemon=True)
        )
        for thread in self._threads:
            thread.start()

    def _loop(self, name: str, poll: Callable[[], object], idle_s: float) -> None:
        while not self._stop.is_set():
            try:
                busy = poll()
            except Exception:
                log.exception("worker loop %s failed; carrying on", name)
                busy = 0
            if not busy or isinstance(busy, dict):
                self._stop.wait(idle_s)

    def stop(self, timeout_s: float = 60) -> list[str]:
        """Stop polling and let the invocations under way finish; the names of threads still running after
        `timeout_s` (a function stuck in a call), which the caller must not ignore in tests: such a thread
        would go on invoking functions whose configuration has since changed."""
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        still_running = [thread.name for thread in self._threads if thread.is_alive()]
        if still_running:
            log.error("worker threads still running after %.0f s: %s", timeout_s, ", ".join(still_running))
        self._threads.clear()
        return still_running

    def run_until_stopped(self) -> None:
        self.start()
        try:
            while not self._stop.wait(0.5):
                pass
        finally:
            self.stop()

    def request_stop(self) -> None:
        self._stop.set()


def wait_for(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


def topology_from_settings(clients: AwsClients, upload_queue: str, error_queue: str, validator_dlq: str,
                           records_table: str, region: str, account_id: str) -> WorkerTopology:
    """Find the worker's sources by name, as a deployed mapping would be configured."""
    sqs = clients.sqs
    return WorkerTopology(
        upload_queue_url=sqs.get_queue_url(QueueName=upload_queue)["QueueUrl"],
        error_queue_url=sqs.get_queue_url(QueueName=error_queue)["QueueUrl"],
        stream_arn=clients.dynamodb.describe_table(TableName=records_table)["Table"]["LatestStreamArn"],
        validator_dlq_url=sqs.get_queue_url(QueueName=validator_dlq)["QueueUrl"],
        sweep_rule_arn=f"arn:aws:events:{region}:{account_id}:rule/product-onboarding-sweep",
    )
