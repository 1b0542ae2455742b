"""The contracts of the other ports (pending rows, queues, storage, notifications), fake and real alike."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from onboarding.domain.publishable import Unpublishable
from onboarding.domain.uploads import ObjectGone, PendingRow
from onboarding.pipeline.ports import PendingRowStore
from tests.contract.conftest import NotifierUnderTest, QueueUnderTest, StorageUnderTest


def pending(upload_id: str, number: int) -> PendingRow:
    data = {"vendor_product_id": f"P-{number}", "sku": f"S-{number}"}
    return PendingRow(upload_id, "VEND001", number, data, tuple(data.values()), ({"row_number": number,
                      "field": "", "error_type": "WRONG_FIELD_COUNT", "message": "m", "value": ""},))


@pytest.mark.parametrize("shards", [1, 4])
def test_rows_are_written_read_back_under_their_upload_and_deleted(
    row_store: Callable[[int], PendingRowStore], shards: int
) -> None:
    store = row_store(shards)
    rows = [pending("U1", n) for n in range(1, 8)]

    assert store.write_shards == shards
    assert store.put_rows(iter(rows)) == 7
    assert store.put_rows(rows[:2]) == 2  # a replay rewrites in place
    found = store.get_rows("U1", [2, 5, 99])
    assert sorted(found, key=lambda r: r.row_number) == [rows[1], rows[4]]
    assert store.get_rows("U2", [1]) == []

    store.delete_rows("U1", [2, 3])
    assert sorted(r.row_number for r in store.get_rows("U1", range(1, 8))) == [1, 4, 5, 6, 7]


def test_a_queue_delivers_every_message_sent_once(queue: QueueUnderTest) -> None:
    bodies = [json.dumps({"n": n, "pad": "x" * 30_000}) for n in range(25)]

    assert queue.queue.send_all(iter(bodies)) == 25
    assert queue.queue.send_all([]) == 0

    assert sorted(queue.received(), key=lambda b: json.loads(b)["n"]) == bodies


def test_stored_objects_are_described_read_moved_and_gone(storage: StorageUnderTest) -> None:
    store, bucket = storage.storage, storage.bucket
    text = "sku,price\nS-1,9.99\n"
    store.put_text(bucket, "uploads/VEND001/a.csv", text, "text/csv")

    described = store.describe(bucket, "uploads/VEND001/a.csv")
    with store.open(described) as body:
        assert body.read() == text.encode()
    assert (described.key, described.size) == ("uploads/VEND001/a.csv", len(text))
    store.move(described, "quarantine/VEND001/a.csv")

    assert store.read_text(bucket, "quarantine/VEND001/a.csv") == text
    with pytest.raises(ObjectGone):
        store.describe(bucket, "uploads/VEND001/a.csv")


def test_a_notification_is_published_and_a_vendor_subscribed(notifier: NotifierUnderTest) -> None:
    message_id = notifier.notifier.publish(notifier.topic_arn, "VEND001", "U1", "Your upload", "All rows imported.")
    subscription = notifier.notifier.subscribe_vendor(notifier.topic_arn, "VEND001", "email", "v@example.com")

    assert message_id and isinstance(message_id, str)
    assert subscription and isinstance(subscription, str)


def test_subscribing_twice_makes_one_subscription_and_unsubscribing_ends_it(notifier: NotifierUnderTest) -> None:
    first = notifier.notifier.subscribe_vendor(notifier.topic_arn, "VEND001", "email", "old@example.com")
    again = notifier.notifier.subscribe_vendor(notifier.topic_arn, "VEND001", "email", "old@example.com")

    assert first == again
    assert notifier.notifier.unsubscribe(notifier.topic_arn, "email", "old@example.com") == 1
    assert notifier.notifier.unsubscribe(notifier.topic_arn, "email", "old@example.com") == 0


@pytest.mark.parametrize(("subject", "message"), [("s" * 100, "ok"), ("ok", "bell\x07"), ("ok", "x" * 262_145)])
def test_a_notification_sns_would_refuse_is_refused_before_publishing(
    notifier: NotifierUnderTest, subject: str, message: str
) -> None:
    with pytest.raises(Unpublishable):
        notifier.notifier.publish(notifier.topic_arn, "VEND001", "U1", subject, message)
