"""The sweeper: an upload that stopped making progress is finished, its lost rows reported as such."""

from __future__ import annotations

from onboarding.domain.errors import ErrorCode
from onboarding.domain.uploads import NewUpload, UploadStatus
from onboarding.pipeline.process_errors import sweep_stalled_uploads
from tests.unit.use_cases.conftest import InMemoryPipeline, catalog_file

ROWS = ("P-1,Mouse,Electronics,SKU-1,9.99,3", "P-2,Kettle,Kitchen,SKU-2,19.99,0", "P-3,Book,Books,SKU-3,5,1")


def test_an_upload_stalled_before_its_rows_were_written_fails_and_asks_for_a_new_upload(
    pipeline: InMemoryPipeline,
) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.catalog.start_upload(NewUpload("U1", "VEND001", "f.csv", "b", "uploads/VEND001/f.csv", None))

    assert sweep_stalled_uploads(pipeline.container.error_processor_dependencies, idle_seconds=0) == ["U1"]

    upload = pipeline.catalog.get_upload("U1")
    assert upload is not None and upload.status is UploadStatus.FAILED
    assert [e.error.code for e in pipeline.catalog.upload_errors("U1")] == [ErrorCode.PROCESSING_FAILED]
    assert len(pipeline.notifier.published) == 1


def test_rows_lost_on_the_way_are_reported_with_their_cells_and_the_upload_finished(
    pipeline: InMemoryPipeline,
) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))
    assert result.upload_id is not None
    pipeline.validate(pipeline.records.of_upload(result.upload_id)[:1])  # rows 2 and 3 never reach the validator
    pipeline.error_queue.take()

    finished = sweep_stalled_uploads(pipeline.container.error_processor_dependencies, idle_seconds=0)

    assert finished == [result.upload_id]
    upload = pipeline.catalog.get_upload(result.upload_id)
    assert upload is not None
    assert (upload.status, upload.valid_records, upload.error_records) == (UploadStatus.PARTIAL, 1, 2)
    lost = pipeline.catalog.upload_errors(result.upload_id)
    assert [(e.error.row_number, e.error.code) for e in lost] == [(2, ErrorCode.ROW_NOT_PROCESSED),
                                                                  (3, ErrorCode.ROW_NOT_PROCESSED)]
    assert lost[0].original_row is not None and lost[0].original_row["sku"] == "SKU-2"


def test_an_upload_still_making_progress_is_left_alone(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))

    assert sweep_stalled_uploads(pipeline.container.error_processor_dependencies, idle_seconds=3600) == []
    assert pipeline.notifier.published == []
