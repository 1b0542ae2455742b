"""Webhook events: raised with the upload's final status, once per upload and type, and the sender told."""

from __future__ import annotations

from onboarding.pipeline.process_errors import finish_if_complete
from tests.unit.use_cases.conftest import InMemoryPipeline, catalog_file

GOOD = "P-1,Mouse,Electronics,SKU-1,9.99,3"
BAD = "P-2,Kettle,Kitchen,SKU-2,free,0"


def test_a_finished_upload_raises_one_event_with_its_status_and_counts(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    upload_id = pipeline.run("VEND001", "catalog.csv", catalog_file(GOOD, BAD))

    [(event_id, event_type, body)] = pipeline.catalog.raised_events(upload_id)
    assert event_type == "upload.completed" and pipeline.announcer.announced == [event_id]
    assert body["type"] == "upload.completed"
    data = body["data"]
    assert (data["upload_id"], data["status"], data["valid_records"], data["error_records"]) == (
        upload_id, "partial", 1, 1)
    assert data["links"]["upload"] == f"/v1/uploads/{upload_id}"


def test_finishing_again_raises_nothing_more(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.run("VEND001", "catalog.csv", catalog_file(GOOD))

    assert finish_if_complete(pipeline.container.error_processor_dependencies, upload_id) is False

    assert len(pipeline.catalog.raised_events(upload_id)) == 1 and len(pipeline.announcer.announced) == 1


def test_a_rejected_file_raises_upload_failed(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    upload_id = pipeline.run("VEND001", "catalog.csv", b"")

    assert [t for _, t, _ in pipeline.catalog.raised_events(upload_id)] == ["upload.failed"]


def test_a_file_refused_for_its_sender_raises_no_vendor_event(pipeline: InMemoryPipeline) -> None:
    upload_id = pipeline.run("VEND404", "catalog.csv", catalog_file(GOOD))  # no such vendor

    assert pipeline.catalog.raised_events(upload_id) == []
    assert pipeline.announcer.announced == []
