"""Each port twice: the in-memory fake the unit tests use, and the real adapter the composition root builds
(PostgreSQL, moto's server over HTTP). The contract tests run the same assertions against both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from onboarding import bootstrap
from onboarding.pipeline.ports import Catalog, Notifier, ObjectStore, PendingRowStore, Queue
from onboarding.provision import Resources
from tests.fakes import FakeCatalog, FakeNotifier, FakeQueue, FakeRowStore, FakeStorage

IMPLEMENTATIONS = ["fake", "real"]


def _real(request: pytest.FixtureRequest) -> bootstrap.Container:
    request.getfixturevalue("resources")  # the queues, table, bucket and topics exist
    container: bootstrap.Container = request.getfixturevalue("container")
    return container


@pytest.fixture(params=IMPLEMENTATIONS)
def ledger(request: pytest.FixtureRequest) -> Catalog:
    if request.param == "fake":
        return FakeCatalog()
    container: bootstrap.Container = request.getfixturevalue("container")
    return container.catalog


@pytest.fixture(params=IMPLEMENTATIONS)
def row_store(request: pytest.FixtureRequest) -> Callable[[int], PendingRowStore]:
    """A row store writing under the given number of write shards."""
    if request.param == "fake":
        return FakeRowStore
    container = _real(request)
    return lambda shards: bootstrap.build(replace(container.settings, write_shards=shards)).records


@dataclass
class QueueUnderTest:
    queue: Queue
    received: Callable[[], list[str]]


@pytest.fixture(params=IMPLEMENTATIONS)
def queue(request: pytest.FixtureRequest) -> QueueUnderTest:
    if request.param == "fake":
        fake = FakeQueue()
        return QueueUnderTest(fake, fake.take)
    container = _real(request)
    sqs = container.aws.sqs
    url = sqs.get_queue_url(QueueName=container.settings.error_queue)["QueueUrl"]

    def received() -> list[str]:
        bodies: list[str] = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies += [m["Body"] for m in messages]
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return bodies

    return QueueUnderTest(container.error_queue, received)


@dataclass
class StorageUnderTest:
    storage: ObjectStore
    bucket: str


@pytest.fixture(params=IMPLEMENTATIONS)
def storage(request: pytest.FixtureRequest) -> StorageUnderTest:
    if request.param == "fake":
        return StorageUnderTest(FakeStorage(), "bucket")
    container = _real(request)
    resources: Resources = request.getfixturevalue("resources")
    return StorageUnderTest(container.storage, resources.bucket)


@dataclass
class NotifierUnderTest:
    notifier: Notifier
    topic_arn: str


@pytest.fixture(params=IMPLEMENTATIONS)
def notifier(request: pytest.FixtureRequest) -> NotifierUnderTest:
    if request.param == "fake":
        return NotifierUnderTest(FakeNotifier(), "arn:aws:sns:us-east-1:123456789012:vendors")
    container = _real(request)
    resources: Resources = request.getfixturevalue("resources")
    return NotifierUnderTest(container.notifier, resources.vendor_topic_arn)
