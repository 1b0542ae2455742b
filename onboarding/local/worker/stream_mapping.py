"""The DynamoDB stream mapping: UploadRecords stream -> validator.

Batch size and batching window, a filter on INSERT, retries from the first failed record, bisection
of a failing batch, and an on-failure destination (an SQS queue) for a record that still fails. Its
position is checkpointed to disk, so a killed worker, restarted, carries on after the last batch it
finished.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.batching import backoff_delay_s
from onboarding.events import STREAM_INSERT, stream_event
from onboarding.local.functions import Invoke
from onboarding.local.worker.raw_records import RawStreamReader
from onboarding.local.worker.settings import MappingSettings, failed_identifiers

log = logging.getLogger("onboarding.worker")


class Checkpoints:
    """The last stream sequence number each shard of one stream was processed to, kept on disk.

    Positions belong to the stream they were read from (its ARN, which carries the stream's creation
    time): a table created again, as moto's is on every `onboard up`, has a new stream whose shard ids
    and sequence numbers may repeat the old ones, and starts from its beginning, never from a position
    of the old stream (which would skip or stall on the new records).
    """

    def __init__(self, path: Path, stream_arn: str) -> None:
        self.path = path
        self.stream_arn = stream_arn
        stored = json.loads(path.read_text()) if path.is_file() else {}
        positions = stored.get("positions") if stored.get("stream_arn") == stream_arn else None
        self._positions: dict[str, str] = dict(positions) if isinstance(positions, dict) else {}

    def get(self, shard_id: str) -> str | None:
        return self._positions.get(shard_id)

    def save(self, shard_id: str, sequence_number: str) -> None:
        self._positions[shard_id] = sequence_number
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"stream_arn": self.stream_arn, "positions": self._positions}))
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
    _reader: RawStreamReader = field(init=False)

    def __post_init__(self) -> None:
        self._reader = RawStreamReader(self.clients.dynamodbstreams)

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

    def next_read_in_s(self, idle_s: float) -> float:
        """How long the loop may wait before polling again: `idle_s`, or less while a batch's window is open
        (its records are delivered when the window ends, not a whole idle wait later)."""
        opened = [b.opened_at for b in self._batches.values() if b.opened_at is not None]
        if not opened:
            return idle_s
        window_ends_in = min(opened) + self.settings.stream_batching_window_s - time.monotonic()
        return max(0.0, min(idle_s, window_ends_in))

    def _shard_ids(self) -> list[str]:
        if time.monotonic() - self._shards_read_at > SHARD_REFRESH_S:
            description = self.clients.dynamodbstreams.describe_stream(StreamArn=self.stream_arn)
            self._shards = [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]
            self._shards_read_at = time.monotonic()
        return self._shards

    def _read_into(self, shard_id: str, batch: _Batch) -> None:
        iterator = self._iterators.get(shard_id) or self._new_iterator(shard_id)
        limit = self.settings.stream_batch_size - len(batch.records)
        records, next_iterator = self._reader.get_records(iterator, limit)
        self._iterators[shard_id] = next_iterator or iterator
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
        failed = failed_identifiers(self.invoke, event, sequence)
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
