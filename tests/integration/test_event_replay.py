"""Replaying a recorded AWS event through its handler changes nothing the second time.

The events in tests/events/ are shaped exactly as AWS delivers them; only the resource names are
pointed at this test's own stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from onboarding.config import Settings
from onboarding.domain.uploads import NewUpload
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.local.functions import Invoke, load_handler
from tests.harness import RunningPipeline

EVENTS = Path(__file__).parents[1] / "events"
RECORDED_UPLOAD = "UPLOAD_VEND001_20251221034236_6C1D2E3F4A5B"
RECORDED_KEY = "uploads/VEND001/VEND001_20251221_034236.csv"
VOLATILE = ("updated_at", "created_at", "sent_at", "completed_at", "started_at", "error_id", "product_id")


def recorded_event(name: str, settings: Settings) -> dict[str, Any]:
    """A recorded event, pointed at this test's bucket."""
    text = (EVENTS / name).read_text().replace("product-onboarding-uploads", settings.upload_bucket)
    event: dict[str, Any] = json.loads(text)
    return event


def database_state(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    state = {}
    with engine.connect() as conn:
        for table in ("products", "upload_history", "upload_rows", "validation_errors", "upload_notifications",
                      "product_history"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings()  # noqa: S608 (constant names)
            state[table] = sorted(
                ({k: v for k, v in row.items() if k not in VOLATILE} for row in rows), key=repr
            )
    return state


def stored_objects(pipeline: RunningPipeline) -> dict[str, bytes]:
    s3 = pipeline.aws.s3
    listed = s3.list_objects_v2(Bucket=pipeline.settings.upload_bucket).get("Contents", [])
    bucket = pipeline.settings.upload_bucket
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def record_count(pipeline: RunningPipeline) -> int:
    return int(pipeline.aws.dynamodb.scan(TableName=pipeline.settings.records_table, Select="COUNT")["Count"])


@pytest.fixture
def handlers(configured: RunningPipeline) -> dict[str, Invoke]:
    return {name: load_handler(name) for name in ("csv_parser", "validator", "error_processor")}


@pytest.fixture
def recorded_upload(configured: RunningPipeline) -> RunningPipeline:
    """The vendor and upload the recorded stream and queue events belong to."""
    configured.catalog.save_vendor(Vendor("VEND001", "TechTrend", "t@example.com", VendorStatus.ACTIVE))
    configured.catalog.start_upload(
        NewUpload(RECORDED_UPLOAD, "VEND001", "VEND001_20251221_034236.csv", configured.settings.upload_bucket,
                  RECORDED_KEY, None)
    )
    header = json.loads((EVENTS / "dynamodb_stream_batch.json").read_text())["Records"][0]["dynamodb"]["NewImage"]
    columns = list(header["product_data"]["M"])
    configured.catalog.set_upload_layout(RECORDED_UPLOAD, 3, columns, [], 1)
    return configured


def test_replaying_an_s3_upload_event_rewrites_nothing(
    configured: RunningPipeline, handlers: dict[str, Invoke]
) -> None:
    configured.catalog.save_vendor(Vendor("VEND001", "TechTrend", "t@example.com", VendorStatus.ACTIVE))
    body = (Path(__file__).parents[1] / "files" / "every_rule.csv").read_bytes()
    configured.aws.s3.put_object(Bucket=configured.settings.upload_bucket, Key=RECORDED_KEY, Body=body)
    event = recorded_event("s3_upload_via_sqs.json", configured.settings)

    assert handlers["csv_parser"](event) == {"batchItemFailures": []}
    first = (database_state(configured.engine), record_count(configured))
    assert handlers["csv_parser"](event) == {"batchItemFailures": []}

    assert first[1] == 14
    assert (database_state(configured.engine), record_count(configured)) == first


def test_the_s3_test_event_is_ignored(configured: RunningPipeline, handlers: dict[str, Invoke]) -> None:
    before = database_state(configured.engine)
    assert handlers["csv_parser"](recorded_event("s3_test_event_via_sqs.json", configured.settings)) == {
        "batchItemFailures": []
    }
    assert database_state(configured.engine) == before


def test_replaying_a_stream_batch_counts_no_row_twice(
    recorded_upload: RunningPipeline, handlers: dict[str, Invoke]
) -> None:
    event = recorded_event("dynamodb_stream_batch.json", recorded_upload.settings)

    assert handlers["validator"](event) == {"batchItemFailures": []}
    first = database_state(recorded_upload.engine)
    assert handlers["validator"](event) == {"batchItemFailures": []}

    upload = first["upload_history"][0]
    assert (upload["valid_records"], upload["error_records"]) == (2, 1)
    assert len(first["products"]) == 2
    assert [h["event"] for h in first["product_history"]] == ["create", "create"]
    assert database_state(recorded_upload.engine) == first


def test_replaying_an_error_message_records_nothing_twice_and_sends_one_email(
    recorded_upload: RunningPipeline, handlers: dict[str, Invoke]
) -> None:
    handlers["validator"](recorded_event("dynamodb_stream_batch.json", recorded_upload.settings))
    event = recorded_event("sqs_error_batch.json", recorded_upload.settings)

    assert handlers["error_processor"](event) == {"batchItemFailures": []}
    first = (database_state(recorded_upload.engine), stored_objects(recorded_upload))
    assert handlers["error_processor"](event) == {"batchItemFailures": []}

    assert first[0]["upload_history"][0]["status"] == "partial"
    severities = [e["severity"] for e in first[0]["validation_errors"]]
    assert (severities.count("error"), severities.count("warning")) == (3, 1)  # a valid row lacks image_url
    assert len(first[0]["upload_notifications"]) == 1
    assert (database_state(recorded_upload.engine), stored_objects(recorded_upload)) == first


def test_the_scheduled_sweep_leaves_progressing_uploads_alone(
    recorded_upload: RunningPipeline, handlers: dict[str, Invoke]
) -> None:
    before = database_state(recorded_upload.engine)
    result = handlers["error_processor"](json.loads((EVENTS / "scheduled_sweep.json").read_text()))
    assert result == {"finished_uploads": [], "expired_tickets": []}
    assert database_state(recorded_upload.engine) == before
