"""Poison records: a row that crashes the validator every time is bisected out of its batch, dead-lettered
alone with what it takes to replay it, and its upload still ends (by the sweeper, or by a redrive)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from onboarding.adapters.records import record_id, serialize
from onboarding.local.dead_letters import redrive_dead_letters
from onboarding.local.functions import Invoke, load_handler
from tests.faults.conftest import FAULT_MAPPINGS, Audit
from tests.faults.injection import (
    HandDriven,
    PoisonRow,
    catalog_file,
    dead_letters,
    real_functions,
    wait_until,
    wait_until_quiet,
)
from tests.harness import RunningPipeline

ROWS = 40  # every 5th row has a bad price
VALID_POISON_ROW = 7
INVALID_POISON_ROW = 10


def poisoned_upload(stack: RunningPipeline, row_number: int) -> tuple[str, PoisonRow]:
    """Upload 40 rows with the validator crashing on every batch that holds `row_number`; wait for its letter
    and for every other row to be accounted for (the halves bisected after the poison one are validated after
    its letter is sent, possibly more than the quiet second later on a busy machine)."""
    stack.add_vendor("VEND001")
    upload_id = stack.put("VEND001", "catalog.csv", catalog_file("VEND001", ROWS).body)
    functions = real_functions()
    poison = PoisonRow(functions["validator"], upload_id, row_number)
    stack.start(FAULT_MAPPINGS, {**functions, "validator": poison})
    wait_until(lambda: bool(dead_letters(stack)), 60, "the poison row is dead-lettered")

    def all_but_the_poison_row_accounted() -> bool:
        progress = stack.catalog.upload_progress(upload_id)
        return progress is not None and progress.accounted_records == ROWS - 1

    wait_until(all_but_the_poison_row_accounted, 60, "every row but the poison one is accounted for")
    wait_until_quiet(stack)
    return upload_id, poison


def letter_rows(letter: dict[str, Any]) -> list[tuple[str, int]]:
    records = json.loads(letter["body"])["records"]
    return [(r["dynamodb"]["NewImage"]["upload_id"]["S"], int(r["dynamodb"]["NewImage"]["row_number"]["N"]))
            for r in records]


def onboard(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "onboarding.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_state(stack: RunningPipeline) -> dict[str, list[Any]]:
    queries = {
        "upload_history": "SELECT upload_id, status, total_records, valid_records, error_records, error_report_key "
                          "FROM upload_history",
        "upload_rows": "SELECT upload_id, row_number, outcome FROM upload_rows ORDER BY 1, 2",
        "validation_errors": "SELECT upload_id, row_number, error_code, field_name FROM validation_errors "
                             "ORDER BY 1, 2, 3, 4",
        "products": "SELECT vendor_id, vendor_product_id, sku, price, upload_id FROM products ORDER BY 1, 2",
        "upload_notifications": "SELECT upload_id, subject, message_id FROM upload_notifications",
    }
    with stack.engine.connect() as conn:
        return {table: [tuple(row) for row in conn.execute(text(sql))] for table, sql in queries.items()}


def test_a_row_that_always_crashes_the_validator_is_dead_lettered_alone(stack: RunningPipeline) -> None:
    upload_id, poison = poisoned_upload(stack, VALID_POISON_ROW)

    [letter] = dead_letters(stack)
    assert letter_rows(letter) == [(upload_id, VALID_POISON_ROW)]
    assert json.loads(letter["body"])["DDBStreamBatchInfo"]["batchSize"] == 1
    progress = stack.catalog.upload_progress(upload_id)
    assert progress is not None and (progress.total_records, progress.accounted_records) == (ROWS, ROWS - 1)
    assert poison.crashes >= 2  # retried before it was given up on


def test_the_sweeper_finishes_an_upload_stalled_by_a_poison_row_reporting_the_row_not_processed(
    stack: RunningPipeline, audit: Audit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUCK_UPLOAD_AFTER_S", "1")
    upload_id, _ = poisoned_upload(stack, VALID_POISON_ROW)
    assert stack.status(upload_id)["status"] == "validating"  # type: ignore[index]  # one row never judged

    assert stack.worker is not None
    swept = stack.worker.sweep()
    status = stack.wait(upload_id)
    wait_until_quiet(stack)

    assert swept == {"finished_uploads": [upload_id], "expired_tickets": []}
    lost = [e for e in status["errors"] if e["error_type"] == "ROW_NOT_PROCESSED"]
    assert [e["row_number"] for e in lost] == [VALID_POISON_ROW]
    [result] = audit("poison row, upload finished by the sweeper", [(upload_id, ROWS)])
    assert (result.status, result.valid_records, result.error_records) == ("partial", 31, 9)
    assert result.observed() == result.exactly_once()


@pytest.mark.slow(6)
def test_dead_lettered_rows_are_listed_and_redriven_by_the_cli(stack: RunningPipeline, audit: Audit) -> None:
    upload_id, _ = poisoned_upload(stack, VALID_POISON_ROW)
    env = stack.write_stack_env()

    listed = onboard(env, "dlq", "list", "--json")
    redriven = onboard(env, "dlq", "redrive", "--json")  # the CLI runs the real validator: the fix is deployed
    stack.wait(upload_id)
    wait_until_quiet(stack)

    assert [(d["queue"], upload_id in d["summary"]) for d in listed] == [("validator", True)]
    assert redriven == {"validator": 1}
    assert dead_letters(stack) == []
    [result] = audit("poison row, dead letter redriven", [(upload_id, ROWS)])
    assert (result.status, result.valid_records, result.error_records) == ("partial", 32, 8)
    assert result.observed() == result.exactly_once()


@pytest.mark.slow(6)
def test_a_dead_letter_redriven_after_its_upload_was_swept_changes_nothing(
    stack: RunningPipeline, audit: Audit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUCK_UPLOAD_AFTER_S", "1")
    upload_id, _ = poisoned_upload(stack, INVALID_POISON_ROW)
    assert stack.worker is not None
    stack.worker.sweep()
    stack.wait(upload_id)
    wait_until_quiet(stack)
    before = database_state(stack)

    redriven = redrive_dead_letters(stack.aws, stack.settings, load_handler("validator"))
    wait_until_quiet(stack)

    assert redriven == {"validator": 1}
    assert database_state(stack) == before
    [result] = audit("poison row, redriven after the sweep", [(upload_id, ROWS)])
    assert result.observed() == result.exactly_once()


def test_the_validator_reports_only_a_malformed_record_as_failed(stack: RunningPipeline, audit: Audit) -> None:
    by_hand = HandDriven(stack)
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 10)
    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    malformed = {"upload_id": upload_id, "record_id": record_id(99), "vendor_id": "VEND001", "row_number": 99,
                 "product_data": "not a map of columns"}
    stack.aws.dynamodb.put_item(TableName=stack.settings.records_table, Item=serialize(malformed))
    by_hand.parse_uploads()
    records = by_hand.stream_inserts()
    [bad] = [r["dynamodb"]["SequenceNumber"] for r in records
             if r["dynamodb"]["Keys"]["record_id"]["S"] == malformed["record_id"]]

    result = by_hand.validate(records)
    error_url = stack.resources.error_queue_url
    assert by_hand.sqs_invoke("error_processor", error_url, by_hand.receive_all(error_url)) == {
        "batchItemFailures": []}
    by_hand.collect_mail()

    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    [upload] = audit("malformed stream record", [(upload_id, file.rows)])
    assert upload.observed() == upload.exactly_once()


class DeadLettering:
    """While on, the error queue gives up on every message at once (as after its maxReceiveCount receives)."""

    def __init__(self, invoke: Invoke, pipeline: RunningPipeline) -> None:
        self._invoke, self._sqs = invoke, pipeline.aws.sqs
        self._dlq_url = pipeline.resources.dead_letter_queues()["errors"]
        self.on = True

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if not self.on or not event.get("Records"):
            return self._invoke(event)
        for record in event["Records"]:
            self._sqs.send_message(QueueUrl=self._dlq_url, MessageBody=record["body"])
        return {"batchItemFailures": []}


def test_dead_lettered_error_messages_are_redriven_to_their_queue_and_finish_the_upload(
    stack: RunningPipeline, audit: Audit
) -> None:
    functions = real_functions()
    dead_lettering = DeadLettering(functions["error_processor"], stack)
    stack.start(FAULT_MAPPINGS, {**functions, "error_processor": dead_lettering})
    stack.add_vendor("VEND001")
    upload_id = stack.put("VEND001", "catalog.csv", catalog_file("VEND001", ROWS).body)
    wait_until(lambda: bool(dead_letters(stack, "errors")), 30, "the error messages are dead-lettered")
    wait_until_quiet(stack)
    stalled = stack.status(upload_id)
    letters = dead_letters(stack, "errors")

    dead_lettering.on = False  # the error processor is fixed
    redriven = redrive_dead_letters(stack.aws, stack.settings, load_handler("validator"))
    stack.wait(upload_id)
    wait_until_quiet(stack)

    assert stalled is not None and stalled["status"] == "reporting"  # every row judged, errors not yet recorded
    assert redriven == {"errors": len(letters)}
    assert dead_letters(stack, "errors") == []
    [result] = audit("error messages dead-lettered, redriven", [(upload_id, ROWS)])
    assert result.observed() == result.exactly_once()
