"""error_processor's use case: errors recorded, and each upload finished exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from onboarding.domain.errors import Severity
from onboarding.domain.messages import ErrorQueueMessage
from onboarding.domain.uploads import UploadStatus
from onboarding.pipeline.process_errors import finish_if_complete, process_message
from tests.unit.use_cases.conftest import HEADER, InMemoryPipeline, catalog_file

GOOD = ("P-1,Mouse,Electronics,SKU-1,9.99,3", "P-2,Kettle,Kitchen,SKU-2,19.99,0")
# The same rows with the recommended fields filled in: nothing to warn about.
RECOMMENDED = ",description,brand,image_url"
COMPLETE = tuple(f"{row},A fine product,Acme,https://img.example.com/{n}.jpg" for n, row in enumerate(GOOD))


def test_an_upload_without_errors_is_completed_with_one_email_and_no_report(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    upload_id = pipeline.run("VEND001", "catalog.csv", catalog_file(*COMPLETE, header=HEADER + RECOMMENDED))

    upload = pipeline.catalog.get_upload(upload_id)
    assert upload is not None
    assert (upload.status, upload.valid_records, upload.error_report_key) == (UploadStatus.COMPLETED, 2, None)
    [email] = pipeline.notifier.published
    assert (email.vendor_id, email.upload_id, email.topic_arn) == ("VEND001", upload_id,
                                                                   pipeline.settings.vendor_topic_arn)
    assert pipeline.catalog.get_notification(upload_id) is not None


def test_an_upload_with_errors_is_partial_with_a_report_of_the_failed_rows(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    upload_id = pipeline.run("VEND001", "catalog.csv", catalog_file(
        COMPLETE[0], "P-2,Kettle,Kitchen,SKU-2,free,0,A kettle,Acme,https://img.example.com/2.jpg",
        header=HEADER + RECOMMENDED))

    upload = pipeline.catalog.get_upload(upload_id)
    assert upload is not None and upload.status is UploadStatus.PARTIAL
    assert upload.error_report_key is not None
    report = pipeline.storage.read_text(pipeline.settings.upload_bucket, upload.error_report_key)
    assert "free" in report and "INVALID_PRICE" in report and "SKU-1" not in report
    assert len(pipeline.notifier.published) == 1


def test_a_rejected_file_fails_the_upload_and_tells_the_vendor_why(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")

    upload_id = pipeline.run("VEND001", "catalog.csv", b"")

    upload = pipeline.catalog.get_upload(upload_id)
    assert upload is not None and upload.status is UploadStatus.FAILED
    assert upload.failure_reason is not None and "empty" in upload.failure_reason


def test_concurrent_finishers_produce_one_report_and_one_email(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(GOOD[0], "P-2,Kettle,Kitchen,SKU-2,free,0"))
    assert result.upload_id is not None
    pipeline.validate(pipeline.records.of_upload(result.upload_id))
    [body] = pipeline.error_queue.take()
    deps = pipeline.container.error_processor_dependencies
    barrier = threading.Barrier(8)
    finished: list[bool] = []

    def deliver() -> None:  # the same message delivered eight times at once (redelivery, redrive)
        barrier.wait()
        finished.append(process_message(deps, ErrorQueueMessage.from_json(body)))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(finished) == [False] * 7 + [True]
    assert len(pipeline.notifier.published) == 1
    reports = [key for (_, key) in pipeline.storage.objects if key.startswith(pipeline.settings.error_prefix)]
    assert len(reports) == 1
    assert finish_if_complete(deps, result.upload_id) is False


def test_a_replayed_message_after_the_upload_finished_changes_nothing(pipeline: InMemoryPipeline) -> None:
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(GOOD[0], "P-2,Kettle,Kitchen,SKU-2,free,0"))
    assert result.upload_id is not None
    pipeline.validate(pipeline.records.of_upload(result.upload_id))
    bodies = list(pipeline.error_queue.sent)
    pipeline.process_queue()

    pipeline.error_queue.sent = bodies
    assert pipeline.process_queue() == [False] * len(bodies)

    assert len(pipeline.notifier.published) == 1
    errors = pipeline.catalog.upload_errors(result.upload_id)
    assert len([e for e in errors if e.error.severity is Severity.ERROR]) == 1


def test_the_errors_of_an_upload_still_in_progress_are_recorded_without_its_lock(
    pipeline: InMemoryPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock would hold the validator's next batch back, and reading every error so far on every message made an
    # upload's messages cost its errors squared: only the message that can finish the upload takes it.
    pipeline.add_vendor("VEND001")
    result = pipeline.upload("VEND001", "catalog.csv", catalog_file(GOOD[0], "P-3,Lamp,Kitchen,SKU-3,free,0", GOOD[1]))
    assert result.upload_id is not None
    rows = pipeline.records.of_upload(result.upload_id)
    locked: list[str] = []
    completion = pipeline.catalog.completion

    def spied(upload_id: str) -> Any:
        locked.append(upload_id)
        return completion(upload_id)

    monkeypatch.setattr(pipeline.catalog, "completion", spied)
    pipeline.validate(rows[:2])  # the failed row, and one row still to come

    assert pipeline.process_queue() == [False]
    assert locked == []
    errors = pipeline.catalog.upload_errors(result.upload_id)
    assert [e.error.row_number for e in errors if e.error.severity is Severity.ERROR] == [2]

    pipeline.validate(rows[2:])
    assert pipeline.process_queue() == [True]
    assert locked == [result.upload_id]
    upload = pipeline.catalog.get_upload(result.upload_id)
    assert upload is not None and upload.status is UploadStatus.PARTIAL
