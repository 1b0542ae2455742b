"""The pipeline with its rows spread over several partition key values per upload, as deployed in AWS
(`WRITE_SHARDS`, bench/AWS_MODEL.md): same outcome as with one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from onboarding.config import Settings
from tests.harness import RunningPipeline

FILES = Path(__file__).parents[1] / "files"
WRITE_SHARDS = 8


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, write_shards=WRITE_SHARDS)


def test_an_upload_written_over_eight_partition_keys_ends_as_with_one(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.put("VEND001", "VEND001_rules.csv", (FILES / "every_rule.csv").read_bytes())

    status = pipeline.wait(upload_id)

    assert (status["status"], status["total_records"], status["valid_records"], status["error_records"]) == (
        "partial", 14, 2, 12)
    assert len(status["errors"]) >= 12
    items = pipeline.aws.dynamodb.scan(TableName=pipeline.settings.records_table)["Items"]
    keys = {item["upload_id"]["S"] for item in items}
    assert keys == {f"{upload_id}#{shard}" for shard in range(WRITE_SHARDS)}
    assert len(items) == 14
    upload = pipeline.catalog.get_upload(upload_id)
    assert upload is not None and upload.write_shards == WRITE_SHARDS  # recorded for the sweeper
