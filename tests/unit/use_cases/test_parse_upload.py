"""csv_parser's use case: an uploaded object becomes pending rows, or one file-level error."""

from __future__ import annotations

from onboarding.domain.errors import ErrorCode
from onboarding.domain.messages import ErrorQueueMessage, MessageKind
from onboarding.domain.uploads import UploadStatus
from onboarding.pipeline.parse_upload import ParseOutcome
from tests.unit.use_cases.conftest import InMemoryPipeline, catalog_file

ROWS = ("P-1,Mouse,Electronics,SKU-1,9.99,3", "P-2,Kettle,Kitchen,SKU-2,19.99,0")


def test_a_readable_file_becomes_one_pending_row_per_data_row(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))

    assert (result.outcome, result.rows) == (ParseOutcome.ROWS_WRITTEN, 2)
    assert result.upload_id is not None
    rows = pipeline.records.of_upload(result.upload_id)
    assert [(r.row_number, r.product_data["sku"]) for r in rows] == [(1, "SKU-1"), (2, "SKU-2")]
    upload = pipeline.catalog.get_upload(result.upload_id)
    assert upload is not None
    assert (upload.total_records, upload.status) == (2, UploadStatus.VALIDATING)
    assert pipeline.error_queue.sent == []


def test_a_rejected_file_writes_no_row_and_sends_one_file_error(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    result = pipeline.upload("VEND001", "catalog.csv", catalog_file("P-1,Mouse", header="vendor_product_id,name"))

    assert result.outcome is ParseOutcome.FILE_REJECTED
    assert result.upload_id is not None
    assert pipeline.records.rows == {}
    [message] = [ErrorQueueMessage.from_json(body) for body in pipeline.error_queue.sent]
    assert message.kind is MessageKind.FILE_ERROR
    assert message.file_error is not None and message.file_error.code is ErrorCode.MISSING_COLUMNS


def test_a_file_in_an_unknown_vendors_folder_is_quarantined_for_operators(pipeline: InMemoryPipeline) -> None:
    result = pipeline.upload("VEND404", "catalog.csv", catalog_file(*ROWS))

    assert result.outcome is ParseOutcome.FILE_REJECTED
    assert list(pipeline.storage.objects) == [(pipeline.settings.upload_bucket, "quarantine/VEND404/catalog.csv")]


def test_replaying_the_same_event_rewrites_the_same_rows_under_the_same_upload(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    first = pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))
    rows_before = dict(pipeline.records.rows)

    again = pipeline.parse("uploads/VEND001/catalog.csv")

    assert again == first
    assert pipeline.records.rows == rows_before
    assert len(pipeline.catalog.recent_uploads()) == 1


def test_replaying_the_event_of_a_finished_upload_does_nothing(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.run("VEND001", "catalog.csv", catalog_file(*ROWS))
    writes = pipeline.records.writes

    replay = pipeline.parse("uploads/VEND001/catalog.csv")

    assert (replay.outcome, replay.upload_id) == (ParseOutcome.ALREADY_FINAL, upload_id)
    assert pipeline.records.writes == writes


def test_an_object_deleted_before_its_event_arrives_is_skipped(pipeline: InMemoryPipeline) -> None:
    result = pipeline.parse("uploads/VEND001/gone.csv")

    assert result.outcome is ParseOutcome.OBJECT_GONE
    assert pipeline.catalog.recent_uploads() == []
    assert pipeline.error_queue.sent == []
