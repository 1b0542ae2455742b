"""Replaying dead letters (`onboard dlq redrive`) through the use cases: what is new is recorded, nothing twice."""

from __future__ import annotations

from onboarding.domain.errors import ErrorCode, Severity
from onboarding.domain.uploads import UploadStatus
from onboarding.pipeline.process_errors import sweep_stalled_uploads
from tests.unit.use_cases.conftest import InMemoryPipeline, catalog_file

ROWS = ("P-1,Mouse,Electronics,SKU-1,9.99,3", "P-2,Kettle,Kitchen,SKU-2,free,0")


def test_a_redriven_error_message_finishes_the_upload_it_was_holding_back(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))
    assert result.upload_id is not None
    pipeline.validate(pipeline.records.of_upload(result.upload_id))
    dead_letters = pipeline.error_queue.take()  # the error processor failed on them until they were dead-lettered

    pipeline.error_queue.sent = dead_letters  # redriven to their source queue
    assert pipeline.process_queue() == [True]

    upload = pipeline.catalog.get_upload(result.upload_id)
    assert upload is not None and upload.status is UploadStatus.PARTIAL
    assert len(pipeline.notifier.published) == 1


def test_a_redriven_message_of_an_upload_the_sweeper_finished_is_ignored(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))
    assert result.upload_id is not None
    pipeline.validate(pipeline.records.of_upload(result.upload_id))
    dead_letters = pipeline.error_queue.take()
    sweep_stalled_uploads(pipeline.container.error_processor_dependencies, idle_seconds=0)
    reported = pipeline.catalog.upload_errors(result.upload_id)

    pipeline.error_queue.sent = dead_letters
    assert pipeline.process_queue() == [False]

    assert pipeline.catalog.upload_errors(result.upload_id) == reported  # the vendor was sent these, no others
    # the valid rows' warnings (no brand, description or image) were recorded with them; the lost row is the error
    assert [e.error.code for e in reported if e.error.severity is Severity.ERROR] == [ErrorCode.ROW_NOT_PROCESSED]
    assert len(pipeline.notifier.published) == 1


def test_a_redriven_stream_batch_counts_no_row_the_sweeper_already_accounted_for(
    pipeline: InMemoryPipeline,
) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))
    assert result.upload_id is not None
    stuck = pipeline.records.of_upload(result.upload_id)  # on the validator's on-failure destination
    sweep_stalled_uploads(pipeline.container.error_processor_dependencies, idle_seconds=0)

    replay = pipeline.validate(stuck)

    upload = pipeline.catalog.get_upload(result.upload_id)
    assert upload is not None and (upload.valid_records, upload.error_records) == (0, 2)
    assert replay.progress[result.upload_id].accounted_records == 2
    assert pipeline.catalog.products_of("VEND001") == []
