"""What is retried and what is not: vendor data problems never; one failing message alone, not its batch;
an unreachable database with backoff, for a bounded time."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from onboarding import bootstrap
from onboarding.adapters.database import while_unreachable
from onboarding.config import Settings
from onboarding.domain.messages import ErrorQueueMessage, MessageKind
from onboarding.local.functions import Invoke
from tests.faults.conftest import FAULT_MAPPINGS, Audit
from tests.faults.injection import FUNCTION_NAMES, HandDriven, catalog_file, real_functions, wait_until_quiet
from tests.harness import RunningPipeline

EVERY_RULE = Path(__file__).parents[1] / "files" / "every_rule.csv"  # 14 rows, 12 break a rule


class Deliveries:
    """How often each record reached the function: an SQS message by its id, a stream record by its sequence."""

    def __init__(self, invoke: Invoke) -> None:
        self._invoke = invoke
        self.count: Counter[str] = Counter()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for record in event.get("Records", []):
            self.count[record.get("messageId") or record["dynamodb"]["SequenceNumber"]] += 1
        return self._invoke(event)


def test_vendor_data_problems_are_never_retried(stack: RunningPipeline, audit: Audit) -> None:
    deliveries = {name: Deliveries(invoke) for name, invoke in real_functions().items()}
    stack.start(FAULT_MAPPINGS, dict(deliveries))
    stack.add_vendor("VEND001")

    upload_id = stack.put("VEND001", "VEND001_rules.csv", EVERY_RULE.read_bytes())
    stack.wait(upload_id)
    wait_until_quiet(stack)

    assert {name: set(deliveries[name].count.values()) for name in FUNCTION_NAMES} == {
        name: {1} for name in FUNCTION_NAMES}
    [result] = audit("vendor data problems (every rule broken)", [(upload_id, 14)])
    assert (result.valid_records, result.error_records) == (2, 12)
    assert result.observed() == result.exactly_once()


def test_the_error_processor_reports_only_the_message_it_could_not_process(
    stack: RunningPipeline, audit: Audit
) -> None:
    by_hand = HandDriven(stack)
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 20)
    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    by_hand.parse_uploads()
    by_hand.validate(by_hand.stream_inserts())
    error_url = stack.resources.error_queue_url
    orphan = ErrorQueueMessage(MessageKind.CHECK_UPLOAD, "UPLOAD_NOT_RECORDED", "VEND001").to_json()
    stack.aws.sqs.send_message(QueueUrl=error_url, MessageBody=orphan)
    messages = by_hand.receive_all(error_url)

    result = by_hand.sqs_invoke("error_processor", error_url, messages)
    by_hand.collect_mail()

    assert result == {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages
                                            if m["Body"] == orphan]}
    [upload] = audit("one failing message in an error batch", [(upload_id, file.rows)])
    assert upload.observed() == upload.exactly_once()


def test_an_unreachable_database_is_retried_until_the_budget_is_spent_then_the_error_raised() -> None:
    from sqlalchemy.exc import OperationalError

    nowhere = bootstrap.build(Settings(database_url="postgresql://postgres@/onboarding?host=/nonexistent")).engine
    attempts = Counter[str]()

    def connect() -> None:
        attempts["connect"] += 1
        with nowhere.connect():
            pass

    started = time.monotonic()
    with pytest.raises(OperationalError):
        while_unreachable(connect, budget_s=1.5)
    elapsed = time.monotonic() - started

    assert attempts["connect"] >= 3
    assert 1.5 <= elapsed < 1.5 + 5.0  # at most one capped backoff past the budget
