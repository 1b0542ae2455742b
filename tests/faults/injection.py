"""How faults are injected: wrappers around the real handlers, and the event sources driven by hand.

A wrapper is what the worker calls instead of the function (`RunningPipeline.start(functions=...)`).
Only invocations that carry records are faulted; the scheduled sweep passes through untouched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from onboarding.events import sqs_event, stream_event
from onboarding.local.functions import Invoke, load_handler
from onboarding.local.mailbox import capture_queue_prefix, drain_mailbox_queues
from onboarding.waiting import wait_for
from tests.harness import RunningPipeline

FUNCTION_NAMES = ("csv_parser", "validator", "error_processor")
HEADER = ("vendor_product_id,product_name,category,subcategory,description,sku,brand,price,compare_at_price,"
          "stock_quantity,unit,weight_kg,dimensions_cm,image_url")


class SimulatedCrash(RuntimeError):
    """The function's container died (out of memory, timeout, kill) at the injected point."""


def real_functions() -> dict[str, Invoke]:
    return {name: load_handler(name) for name in FUNCTION_NAMES}


def _has_records(event: dict[str, Any]) -> bool:
    return bool(event.get("Records"))


class CrashAfter:
    """Runs the function (commits included), then crashes before the event source hears back: `times` times."""

    def __init__(self, invoke: Invoke, times: int = 1) -> None:
        self._invoke, self._left, self._lock = invoke, times, threading.Lock()
        self.crashes = 0

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        result = self._invoke(event)
        if _has_records(event) and self._take():
            raise SimulatedCrash("after the commit, before the ack")
        return result

    def _take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            self.crashes += 1
            return True


class CrashBefore(CrashAfter):
    """Crashes on arrival, before the function touches anything: `times` times."""

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if _has_records(event) and self._take():
            raise SimulatedCrash("before the commit")
        return self._invoke(event)


class DeliveredTwice:
    """Lambda hands the same event to the function twice (a retried batch, an at-least-once delivery)."""

    def __init__(self, invoke: Invoke) -> None:
        self._invoke = invoke
        self.deliveries = 0

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if not _has_records(event):
            return self._invoke(event)
        self._invoke(event)
        self.deliveries += 2
        return self._invoke(event)


class Echoed:
    """The queue delivers every message a second time, later and possibly in another batch."""

    def __init__(self, invoke: Invoke, pipeline: RunningPipeline, queue_url: str) -> None:
        self._invoke, self._sqs, self._url = invoke, pipeline.aws.sqs, queue_url
        self.echoed: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        result = self._invoke(event)
        for record in event.get("Records", []):
            body = record["body"]
            with self._lock:
                if body in self.echoed:
                    continue
                self.echoed.append(body)
            self._sqs.send_message(QueueUrl=self._url, MessageBody=body)
        return result


class PoisonRow:
    """The validator crashes on every batch holding one particular row (a bug that input triggers)."""

    def __init__(self, invoke: Invoke, upload_id: str, row_number: int) -> None:
        self._invoke, self.upload_id, self.row_number = invoke, upload_id, row_number
        self.crashes = 0

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for record in event.get("Records", []):
            image = record["dynamodb"].get("NewImage", {})
            if (image.get("upload_id", {}).get("S") == self.upload_id
                    and image.get("row_number", {}).get("N") == str(self.row_number)):
                self.crashes += 1
                raise SimulatedCrash(f"poison row {self.row_number}")
        return self._invoke(event)


# -- vendor files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogFile:
    body: bytes
    rows: int
    invalid: int

    @property
    def valid(self) -> int:
        return self.rows - self.invalid


def catalog_file(vendor_id: str, rows: int, bad_every: int = 5, skus: dict[int, str] | None = None) -> CatalogFile:
    """`rows` products of one vendor; every `bad_every`-th has an unreadable price. `skus` overrides row SKUs."""
    lines = [HEADER]
    invalid = 0
    for n in range(1, rows + 1):
        bad = bad_every > 0 and n % bad_every == 0
        invalid += bad
        sku = (skus or {}).get(n, f"SKU-{vendor_id}-{n:05d}")
        price = "abc" if bad else f"{1 + n % 500}.{n % 100:02d}"
        lines.append(f"{vendor_id}-{n:05d},Product {n},Electronics,,,{sku},Brand,{price},,{n % 50},piece,,,")
    return CatalogFile(("\n".join(lines) + "\n").encode(), rows, invalid)


# -- waiting ----------------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1) -> None:
    if not wait_for(predicate, timeout_s, interval_s):
        raise TimeoutError(f"not within {timeout_s:.0f} s: {what}")


def queue_depth(pipeline: RunningPipeline, url: str) -> int:
    attributes = pipeline.aws.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def wait_until_quiet(pipeline: RunningPipeline, quiet_s: float = 1.0, timeout_s: float = 60) -> None:
    """Until the upload and error queues (in flight and delayed included) stay empty for `quiet_s`,
    then once more through the mailboxes: a late replay would have shown by now."""
    urls = (pipeline.resources.upload_queue_url, pipeline.resources.error_queue_url)
    deadline = time.monotonic() + timeout_s
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if any(queue_depth(pipeline, url) for url in urls):
            quiet_since = None
        else:
            quiet_since = quiet_since or now
            if now - quiet_since >= quiet_s:
                break
        if now > deadline:
            raise TimeoutError(f"queues still busy after {timeout_s:.0f} s")
        time.sleep(0.2)
    drain_mailbox_queues(pipeline.aws, capture_queue_prefix(pipeline.settings), pipeline.mailboxes)


def dead_letters(pipeline: RunningPipeline, queue: str = "validator") -> list[dict[str, Any]]:
    from onboarding.local.dead_letters import list_dead_letters

    return [d for d in list_dead_letters(pipeline.aws, pipeline.settings) if d["queue"] == queue]


# -- driving the event sources by hand (to control who runs when) ----------------------------------


class HandDriven:
    """The event sources, driven by the test instead of the worker: receive, invoke, delete, read the stream."""

    def __init__(self, pipeline: RunningPipeline) -> None:
        self.pipeline = pipeline
        self.functions = real_functions()
        self._region = pipeline.settings.aws_region

    def receive_all(self, url: str) -> list[dict[str, Any]]:
        sqs = self.pipeline.aws.sqs
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                           AttributeNames=["All"]).get("Messages", []):
            messages += [dict(m) for m in batch]
        return messages

    def delete(self, url: str, messages: Sequence[dict[str, Any]]) -> None:
        for message in messages:
            self.pipeline.aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def sqs_invoke(self, function: str, url: str, messages: Sequence[dict[str, Any]]) -> dict[str, Any]:
        arn = "arn:aws:sqs:{}:{}:{}".format(self._region, self.pipeline.settings.aws_account_id,
                                            url.rsplit("/", 1)[-1])
        return self.functions[function](sqs_event(messages, arn, self._region))

    def parse_uploads(self) -> None:
        """Hand every waiting S3 notification to csv_parser, as one batch."""
        url = self.pipeline.resources.upload_queue_url
        messages = [m for m in self.receive_all(url) if "s3:TestEvent" not in m["Body"]]
        assert self.sqs_invoke("csv_parser", url, messages) == {"batchItemFailures": []}
        self.delete(url, messages)

    def stream_inserts(self) -> list[dict[str, Any]]:
        """Every INSERT on the UploadRecords stream so far, as GetRecords returns them."""
        streams = self.pipeline.aws.dynamodbstreams
        arn = self.pipeline.resources.stream_arn
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while True:
                response = streams.get_records(ShardIterator=iterator, Limit=1000)
                records += [dict(r) for r in response["Records"] if r["eventName"] == "INSERT"]
                if not response["Records"] or "NextShardIterator" not in response:
                    break
                iterator = response["NextShardIterator"]
        return records

    def validate(self, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
        event = stream_event(records, self.pipeline.resources.stream_arn, self._region)
        return self.functions["validator"](json.loads(json.dumps(event, default=str)))

    def collect_mail(self) -> None:
        drain_mailbox_queues(self.pipeline.aws, capture_queue_prefix(self.pipeline.settings), self.pipeline.mailboxes)


def at_once(*calls: Callable[[], dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the calls in threads released together (two Lambda invocations racing)."""
    barrier = threading.Barrier(len(calls))
    results: list[dict[str, Any] | BaseException | None] = [None] * len(calls)

    def run(i: int, call: Callable[[], dict[str, Any]]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as error:  # re-raised in the test's thread below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, dict)]
