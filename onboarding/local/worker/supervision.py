"""The worker's threads: one per source, the sweeper's schedule and the mailbox, started and stopped together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.bootstrap import Container
from onboarding.config import Settings
from onboarding.events import scheduled_event
from onboarding.local.functions import WEBHOOK_SENDER, Invoke
from onboarding.local.mailbox import Mailboxes, capture_queue_prefix, drain_mailbox_queues
from onboarding.local.metrics import METRICS_FILE, EmfCollector, start_collecting, stop_collecting
from onboarding.local.worker.settings import MappingSettings
from onboarding.local.worker.sqs_mapping import SqsSource
from onboarding.local.worker.stream_mapping import Checkpoints, StreamSource

STREAM_CHECKPOINTS = "stream-checkpoints.json"  # under the worker's home

log = logging.getLogger("onboarding.worker")


@dataclass(frozen=True)
class WorkerTopology:
    """Where the worker's sources are (from provisioning, or the environment)."""

    upload_queue_url: str
    error_queue_url: str
    stream_arn: str
    validator_dlq_url: str
    sweep_rule_arn: str
    capture_queue_prefix: str  # the local mailbox's queues (`onboarding.local.mailbox`)
    webhook_queue_url: str | None = None  # None: no webhook sender (a stack provisioned before webhooks)


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
        self._parsing = threading.Event()  # set while the parser runs: it is writing the stream's rows
        self.uploads = SqsSource(clients, topology.upload_queue_url, self._parse,
                                 self.settings.upload_batch_size, self.settings)
        self.errors = SqsSource(clients, topology.error_queue_url, functions["error_processor"],
                                self.settings.error_batch_size, self.settings)
        self._stop = threading.Event()
        checkpoints = Checkpoints(home / STREAM_CHECKPOINTS, topology.stream_arn)
        self.stream = StreamSource(clients, topology.stream_arn, functions["validator"], checkpoints,
                                   topology.validator_dlq_url, self.settings, stopping=self._stop)
        self.mailboxes = Mailboxes(home / "mailbox")
        self.metrics_path = home / METRICS_FILE  # the functions' EMF lines, as CloudWatch would receive them
        self._collector: EmfCollector | None = None
        self.webhooks = None
        if topology.webhook_queue_url and WEBHOOK_SENDER in functions:
            self.webhooks = SqsSource(clients, topology.webhook_queue_url, functions[WEBHOOK_SENDER],
                                      self.settings.error_batch_size, self.settings)
        self._threads: list[threading.Thread] = []
        self._wake: dict[str, threading.Event] = {}

    def _parse(self, event: dict[str, Any]) -> dict[str, Any]:
        self._parsing.set()
        if "stream" in self._wake:
            self._wake["stream"].set()  # it may be in a quiet wait: from now on it reads as often as we poll
        try:
            return self._functions["csv_parser"](event)
        finally:
            self._parsing.clear()

    def sweep(self) -> dict[str, Any]:
        event = scheduled_event(self.clients.sqs.meta.region_name, self._account_id, self.topology.sweep_rule_arn)
        return self._functions["error_processor"](event)

    def send_due_webhooks(self) -> dict[str, Any]:
        event = scheduled_event(self.clients.sqs.meta.region_name, self._account_id, self.topology.sweep_rule_arn)
        return self._functions[WEBHOOK_SENDER](event)

    def drain_mailboxes(self) -> int:
        return drain_mailbox_queues(self.clients, self.topology.capture_queue_prefix, self.mailboxes)

    def start(self) -> None:
        # (poll, seconds to wait between polls while idle): only the uploads queue is fed from outside the
        # worker (an S3 PUT); the rest mostly by this worker's own invocations, which wake them (`_loop`). The
        # stream is read as often as the uploads queue while the parser writes it (a large file's rows reach the
        # validator as they are written), and never later than its open batch's window.
        quiet, active = self.settings.quiet_poll_s, self.settings.active_poll_s

        def stream_idle_s() -> float:
            return self.stream.next_read_in_s(active if self._parsing.is_set() else quiet)

        loops: dict[str, tuple[Callable[[], object], Callable[[], float]]] = {
            "uploads": (self.uploads.poll, lambda: active),
            "stream": (self.stream.poll, stream_idle_s),
            "errors": (self.errors.poll, lambda: quiet),
            "sweeper": (self.sweep, lambda: self.settings.sweep_every_s),
            "mailbox": (self.drain_mailboxes, lambda: self.settings.mailbox_every_s),
        }
        if self.webhooks is not None:
            loops["webhooks"] = (self.webhooks.poll, lambda: quiet)
            loops["webhook-schedule"] = (self.send_due_webhooks, lambda: self.settings.webhook_every_s)
        self._wake = {name: threading.Event() for name in loops if name != "sweeper"}  # the sweeper keeps its time
        for name, (poll, idle_s) in loops.items():
            self._threads.append(threading.Thread(target=self._loop, args=(name, poll, idle_s), name=name, daemon=True))
        self._collector = start_collecting(self.metrics_path)
        for thread in self._threads:
            thread.start()

    def _loop(self, name: str, poll: Callable[[], object], idle_s: Callable[[], float]) -> None:
        """Poll; after work done, wake the other loops (what an invocation wrote is theirs to read next); when
        idle, wait `idle_s` or until woken. Polling every loop often instead cost the local stack most of its
        CPU while it waited (the moto server answering empty receives)."""
        wake = self._wake.get(name, self._stop)
        while not self._stop.is_set():
            try:
                result = poll()
            except Exception:
                log.exception("worker loop %s failed; carrying on", name)
                result = 0
            if did_work(result):
                for other, event in self._wake.items():
                    if other != name:
                        event.set()
            # A source that did work is read again at once; a schedule (its report is a dict) keeps its time.
            if not did_work(result) or isinstance(result, dict):
                wake.wait(idle_s())
                if wake is not self._stop:
                    wake.clear()

    def stop(self, timeout_s: float = 60) -> list[str]:
        """Stop polling and let the invocations under way finish; the names of threads still running after
        `timeout_s` (a function stuck in a call), which the caller must not ignore in tests: such a thread
        would go on invoking functions whose configuration has since changed."""
        self._stop.set()
        for event in self._wake.values():
            event.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        still_running = [thread.name for thread in self._threads if thread.is_alive()]
        if still_running:
            log.error("worker threads still running after %.0f s: %s", timeout_s, ", ".join(still_running))
        self._threads.clear()
        if self._collector is not None:
            stop_collecting(self._collector)
            self._collector = None
        return still_running


def did_work(result: object) -> bool:
    """A poll's result: how many items it delivered, or a scheduled function's report (`{"finished_uploads":
    [...], ...}`), which did work if any of its lists or counts is not empty (the sweeper may have emailed)."""
    if isinstance(result, dict):
        return any(result.values())
    return bool(result)


def build_worker(
    container: Container,
    home: Path,
    functions: Mapping[str, Invoke],
    settings: MappingSettings | None = None,
) -> Worker:
    """The worker for the stack `container` reaches, with the container's clients (the one way to wire one)."""
    topology = topology_from_settings(container.aws, container.settings)
    return Worker(container.aws, topology, functions, home, settings, account_id=container.settings.aws_account_id)


def topology_from_settings(clients: AwsClients, config: Settings) -> WorkerTopology:
    """Find the worker's sources by name, as a deployed mapping would be configured."""
    sqs = clients.sqs
    webhook_queue, webhook_queue_url = config.webhook_queue, None
    if webhook_queue is not None:
        try:
            webhook_queue_url = sqs.get_queue_url(QueueName=webhook_queue)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            log.warning("no webhook queue %s: webhooks will not be sent (run `onboard up` again)", webhook_queue)
    return WorkerTopology(
        upload_queue_url=sqs.get_queue_url(QueueName=config.upload_queue)["QueueUrl"],
        error_queue_url=sqs.get_queue_url(QueueName=config.error_queue)["QueueUrl"],
        stream_arn=clients.dynamodb.describe_table(TableName=config.records_table)["Table"]["LatestStreamArn"],
        validator_dlq_url=sqs.get_queue_url(QueueName=config.validator_dlq)["QueueUrl"],
        sweep_rule_arn=f"arn:aws:events:{config.aws_region}:{config.aws_account_id}:rule/product-onboarding-sweep",
        capture_queue_prefix=capture_queue_prefix(config),
        webhook_queue_url=webhook_queue_url,
    )
