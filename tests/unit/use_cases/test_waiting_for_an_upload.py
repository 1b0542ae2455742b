"""Waiting for an upload (`onboard upload --wait`, the demo, the bench): cheap while it runs, whole once final."""

from __future__ import annotations

from typing import Any

import pytest

from onboarding.status import wait_until_final
from tests.unit.use_cases.conftest import InMemoryPipeline, catalog_file


def test_a_wait_reads_the_upload_s_errors_once_it_is_final_and_not_on_every_poll(
    pipeline: InMemoryPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file("P-1,Mouse,Electronics,SKU-1,9.99,3",
                                                                    "P-2,Kettle,Kitchen,SKU-2,free,0"))
    assert result.upload_id is not None
    upload_id = result.upload_id
    reads: list[str] = []
    upload_errors = pipeline.catalog.upload_errors

    def counted(read_for: str) -> Any:
        reads.append(read_for)
        return upload_errors(read_for)

    monkeypatch.setattr(pipeline.catalog, "upload_errors", counted)
    shown: list[dict[str, Any]] = []

    def on_progress(status: dict[str, Any]) -> None:
        shown.append(status)
        if len(shown) == 3:  # the pipeline moves on while the wait polls
            pipeline.validate(pipeline.records.of_upload(upload_id))
            pipeline.process_queue()

    status = wait_until_final(pipeline.catalog, upload_id, timeout_s=10, on_progress=on_progress)

    assert (status["status"], status["valid_records"], status["error_records"]) == ("partial", 1, 1)
    assert [e["row_number"] for e in status["errors"] if e["severity"] == "error"] == [2]
    assert [s["status"] for s in shown[:3]] == ["validating"] * 3
    assert shown[0] == {"upload_id": upload_id, "status": "validating", "total_records": 2, "valid_records": 0,
                        "error_records": 0}
    assert shown[-1] == status
    assert reads == [upload_id]
