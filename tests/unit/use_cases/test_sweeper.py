"""The sweeper: an upload that stopped making progress is finished, its lost rows reported as such."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from onboarding.domain.errors import ErrorCode, Severity
from onboarding.domain.uploads import MAX_SWEEP_FAILURES, NewUpload, UploadStatus
from onboarding.pipeline import process_errors
from onboarding.pipeline.ports import ObjectStore
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
    lost = [e for e in pipeline.catalog.upload_errors(result.upload_id) if e.error.severity is Severity.ERROR]
    assert [(e.error.row_number, e.error.code) for e in lost] == [(2, ErrorCode.ROW_NOT_PROCESSED),
                                                                  (3, ErrorCode.ROW_NOT_PROCESSED)]
    assert lost[0].original_row is not None and lost[0].original_row["sku"] == "SKU-2"


def test_an_upload_still_making_progress_is_left_alone(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.upload("VEND001", "catalog.csv", catalog_file(*ROWS))

    assert sweep_stalled_uploads(pipeline.container.error_processor_dependencies, idle_seconds=3600) == []
    assert pipeline.notifier.published == []


class ReportsFailFor:
    """Object storage whose report writes for one upload always fail: an upload that cannot be finished."""

    def __init__(self, real: ObjectStore, upload_id: str) -> None:
        self._real, self._upload_id = real, upload_id

    def put_text(self, bucket: str, key: str, body: str, content_type: str) -> None:
        if self._upload_id in key:
            raise RuntimeError("simulated: the report cannot be written")
        self._real.put_text(bucket, key, body, content_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_an_upload_that_cannot_be_finished_holds_back_no_other_and_is_given_up_within_the_bound(
    pipeline: InMemoryPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    for vendor_id, upload_id in (("VEND001", "U_POISONED"), ("VEND002", "U_HEALTHY")):  # the poisoned one is older
        pipeline.add_vendor(vendor_id)
        pipeline.catalog.start_upload(NewUpload(upload_id, vendor_id, "f.csv", "b", f"uploads/{vendor_id}/f.csv", None))
    deps = replace(pipeline.container.error_processor_dependencies,
                   storage=ReportsFailFor(pipeline.storage, "U_POISONED"))
    monkeypatch.setattr(process_errors, "sweep_retry_after_s", lambda failures: 0)  # no waiting out the backoff

    assert sweep_stalled_uploads(deps, idle_seconds=0) == ["U_HEALTHY"]
    sweeps = [sweep_stalled_uploads(deps, idle_seconds=0) for _ in range(MAX_SWEEP_FAILURES - 1)]

    assert sweeps[-1] == ["U_POISONED"] and all(s == [] for s in sweeps[:-1])
    upload = pipeline.catalog.get_upload("U_POISONED")
    assert upload is not None and upload.status is UploadStatus.FAILED
    told = [(p.topic_arn, p.subject) for p in pipeline.notifier.published if p.upload_id == "U_POISONED"]
    assert told == [(pipeline.settings.vendor_topic_arn, "Catalog upload f.csv: processing failed"),
                    (pipeline.settings.operator_topic_arn, "Upload U_POISONED: given up, marked failed")]
