"""The local stand-ins for AWS's event sources, on moto's server: the stream reads each record once, and the
worker stops when asked, even in the middle of a retry chain."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onboarding.adapters.aws import AwsClients
from onboarding.config import Settings
from onboarding.local.worker import Checkpoints, MappingSettings, StreamSource, Worker, topology_from_settings
from onboarding.provision import Resources

WRITERS, CALLS_PER_WRITER, ITEMS_PER_CALL = 16, 10, 25


def write_concurrently(aws: AwsClients, table: str) -> int:
    """BatchWriteItem from many threads at once, as the parser's pipelined writes do; the number of items."""

    def writer(n: int) -> None:
        for call in range(CALLS_PER_WRITER):
            items: list[Any] = [{"PutRequest": {"Item": {"upload_id": {"S": f"UPLOAD_{n}"},
                                              "record_id": {"S": f"{call:03d}-{i:03d}"}}}}
                     for i in range(ITEMS_PER_CALL)]
            aws.dynamodb.batch_write_item(RequestItems={table: items})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return WRITERS * CALLS_PER_WRITER * ITEMS_PER_CALL


def write_records(aws: AwsClients, table: str, count: int) -> None:
    aws.dynamodb.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {"upload_id": {"S": "UPLOAD_1"}, "record_id": {"S": f"{i:03d}"}}}}
        for i in range(count)]})


def recording_validator(batches: list[int]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A validator that records the size of each batch it receives and accepts every record."""

    def validator(event: dict[str, Any]) -> dict[str, Any]:
        batches.append(len(event["Records"]))
        return {"batchItemFailures": []}

    return validator


def test_concurrent_writes_reach_the_stream_in_strictly_increasing_order_and_are_read_once(
    settings: Settings, aws: AwsClients, resources: Resources
) -> None:
    written = write_concurrently(aws, settings.records_table)
    streams = aws.dynamodbstreams
    [shard] = streams.describe_stream(StreamArn=resources.stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=resources.stream_arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    sequence_numbers: list[int] = []
    for _ in range(written):  # more reads than that would mean the iterator went round in circles
        response = streams.get_records(ShardIterator=iterator, Limit=37)
        iterator = response["NextShardIterator"]
        if not response["Records"] and len(sequence_numbers) >= written:
            break
        sequence_numbers += [int(r["dynamodb"]["SequenceNumber"]) for r in response["Records"]]

    assert len(sequence_numbers) == written
    assert sequence_numbers == sorted(set(sequence_numbers))  # unique, and increasing in the order read


class AlwaysFailing:
    """A validator that fails every batch, counting its invocations."""

    def __init__(self) -> None:
        self.invocations = 0
        self.first_call = threading.Event()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.invocations += 1
        self.first_call.set()
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"]]}


def test_stopping_the_worker_ends_a_retry_chain_and_leaves_the_batch_unacknowledged(
    settings: Settings, aws: AwsClients, resources: Resources, tmp_path: Path
) -> None:
    write_concurrently(aws, settings.records_table)
    validator = AlwaysFailing()
    idle: dict[str, Any] = {"csv_parser": lambda e: {}, "error_processor": lambda e: {}}
    topology = topology_from_settings(aws, settings)
    # Hundreds of retries with long backoffs: minutes of work if the stop were not heard inside the chain.
    mappings = MappingSettings(poll_wait_s=0, stream_batch_size=100, stream_max_retries=500,
                               stream_batching_window_s=0.0, sweep_every_s=3600)
    worker = Worker(aws, topology, {**idle, "validator": validator}, tmp_path, mappings)
    worker.start()
    assert validator.first_call.wait(30)

    started = time.monotonic()
    still_running = worker.stop(timeout_s=30)

    assert still_running == []
    assert time.monotonic() - started < 10
    checkpoints = Checkpoints(tmp_path / "stream-checkpoints.json", resources.stream_arn)
    assert checkpoints.get(_shard_id(aws, resources)) is None
    assert validator.invocations < 500


def test_a_delivered_batch_is_not_delivered_again_when_its_checkpoint_cannot_be_saved(
    settings: Settings, aws: AwsClients, resources: Resources, tmp_path: Path
) -> None:
    write_records(aws, settings.records_table, 10)
    batches: list[int] = []
    validator = recording_validator(batches)

    checkpoints = Checkpoints(tmp_path / "missing-folder" / "checkpoints.json", resources.stream_arn)  # saves raise
    source = StreamSource(aws, resources.stream_arn, validator, checkpoints, resources.stream_dlq_url,
                          MappingSettings(stream_batching_window_s=0.0))

    with pytest.raises(OSError):
        source.poll()
    source.poll()
    source.poll()

    assert batches == [10]


def test_an_open_batch_is_delivered_when_its_window_ends_not_a_quiet_wait_later(
    aws: AwsClients, settings: Settings, resources: Resources, tmp_path: Path
) -> None:
    write_records(aws, settings.records_table, 10)
    batches: list[int] = []
    validator = recording_validator(batches)

    window_s, quiet_s = 0.5, 30.0
    source = StreamSource(aws, resources.stream_arn, validator, Checkpoints(tmp_path / "c.json", resources.stream_arn),
                          resources.stream_dlq_url, MappingSettings(stream_batching_window_s=window_s))
    assert source.next_read_in_s(quiet_s) == quiet_s  # nothing read yet: a quiet wait

    assert source.poll() == 0  # read, held for the window
    assert 0 < source.next_read_in_s(quiet_s) <= window_s
    time.sleep(source.next_read_in_s(quiet_s))

    assert source.poll() == 10
    assert batches == [10]
    assert source.next_read_in_s(quiet_s) == quiet_s


def _shard_id(aws: AwsClients, resources: Resources) -> str:
    shards = aws.dynamodbstreams.describe_stream(StreamArn=resources.stream_arn)["StreamDescription"]["Shards"]
    return str(shards[0]["ShardId"])


def test_checkpoints_of_an_old_stream_are_not_used_for_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "stream-checkpoints.json"
    old = Checkpoints(path, "arn:aws:dynamodb:us-east-1:1:table/UploadRecords/stream/2026-12-04T05:00:00.000")
    old.save("shardId-00000001", "00000000000000000042")

    new = Checkpoints(path, "arn:aws:dynamodb:us-east-1:1:table/UploadRecords/stream/2026-12-04T06:00:00.000")
    again = Checkpoints(path, old.stream_arn)

    assert new.get("shardId-00000001") is None
    assert again.get("shardId-00000001") == "00000000000000000042"
