"""The sweeper isolates each upload: one that cannot be finished never holds back another vendor's, goes last with
backoff, and after a bounded number of tries ends `failed` with PROCESSING_FAILED, an operator alert and a short
notification to its vendor (real PostgreSQL, moto's server over HTTP)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import text

from onboarding import bootstrap
from onboarding.domain.errors import ErrorCode, RecordedError, RowError
from onboarding.domain.publishable import check_publishable
from onboarding.domain.uploads import MAX_SWEEP_FAILURES, NewUpload, RowOutcomes
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.pipeline.process_errors import ErrorProcessorDependencies, sweep_stalled_uploads
from tests.harness import RunningPipeline

HEADER = ("vendor_product_id", "sku")


@dataclass
class ReportStorageFailingFor:
    """Object storage whose writes for one upload always fail (as a report that can never be produced)."""

    real: Any
    poisoned: str
    failures: int = 0

    def put_text(self, bucket: str, key: str, body: str, content_type: str) -> None:
        if self.poisoned in key:
            self.failures += 1
            raise RuntimeError("simulated: the report cannot be written")
        self.real.put_text(bucket, key, body, content_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@dataclass
class RecordingNotifier:
    real: Any
    sent: list[tuple[str, str, str, str]] = field(default_factory=list)  # topic, upload, subject, message

    def publish(self, topic_arn: str, vendor_id: str, upload_id: str, subject: str, message: str) -> str:
        message_id: str = self.real.publish(topic_arn, vendor_id, upload_id, subject, message)
        self.sent.append((topic_arn, upload_id, subject, message))
        return message_id


def stalled_upload_with_one_error(configured: RunningPipeline, upload_id: str, vendor_id: str) -> None:
    catalog = configured.catalog
    catalog.start_upload(NewUpload(upload_id, vendor_id, f"{upload_id}.csv", "b", "k", None))
    catalog.set_upload_layout(upload_id, 1, HEADER, [], 1)
    catalog.commit_outcomes([RowOutcomes(upload_id, {}, [1])])
    catalog.record_errors(upload_id, [RecordedError(
        RowError(1, "sku", ErrorCode.MISSING_REQUIRED_FIELDS, "Required field(s) empty: sku."), {"sku": ""})])


def test_an_upload_that_cannot_be_finished_never_delays_another_and_ends_failed_within_the_bound(
    configured: RunningPipeline,
) -> None:
    for vendor_id in ("VEND001", "VEND002"):
        configured.catalog.save_vendor(Vendor(vendor_id, f"{vendor_id} Ltd", "v@example.com", VendorStatus.ACTIVE))
    stalled_upload_with_one_error(configured, "U_POISONED", "VEND001")  # the oldest: swept first
    stalled_upload_with_one_error(configured, "U_HEALTHY", "VEND002")
    real = bootstrap.error_processor_dependencies()
    storage = ReportStorageFailingFor(real.storage, "U_POISONED")
    notifier = RecordingNotifier(real.notifier)
    deps = replace(real, storage=storage, notifier=notifier)  # type: ignore[arg-type]
    assert isinstance(deps, ErrorProcessorDependencies)

    assert sweep_stalled_uploads(deps, idle_seconds=0) == ["U_HEALTHY"]
    assert _status(configured, "U_HEALTHY") == "failed"  # finished: its one row was invalid
    assert _status(configured, "U_POISONED") == "received"  # still in progress (never parsed here)

    # Retried later, not on the very next run: a failing upload backs off.
    assert sweep_stalled_uploads(deps, idle_seconds=0) == []
    assert storage.failures == 1

    sweeps = 1
    while _status(configured, "U_POISONED") == "received":
        _let_its_backoff_pass(configured, "U_POISONED")
        sweep_stalled_uploads(deps, idle_seconds=0)
        sweeps += 1
        assert sweeps <= MAX_SWEEP_FAILURES, "the upload was not given up on within the bound"

    upload = configured.catalog.get_upload("U_POISONED")
    assert upload is not None and upload.status == "failed" and upload.failure_reason
    codes = [e.error.code for e in configured.catalog.upload_errors("U_POISONED")]
    assert ErrorCode.PROCESSING_FAILED in codes
    to_vendor = [n for n in notifier.sent if n[0] == configured.settings.vendor_topic_arn and n[1] == "U_POISONED"]
    to_operators = [n for n in notifier.sent if n[0] == configured.settings.operator_topic_arn
                    and n[1] == "U_POISONED"]
    assert len(to_vendor) == 1 and len(to_operators) == 1
    _, _, subject, message = to_vendor[0]
    check_publishable(subject, message)
    assert "upload" in message.lower() and len(message.encode()) < 2000
    recorded = configured.catalog.get_notification("U_POISONED")
    assert recorded is not None and recorded.audience == "vendor"


def test_a_sweep_that_fails_on_one_upload_records_why(configured: RunningPipeline) -> None:
    configured.catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    stalled_upload_with_one_error(configured, "U_POISONED", "VEND001")
    real = bootstrap.error_processor_dependencies()
    deps = replace(real, storage=ReportStorageFailingFor(real.storage, "U_POISONED"))

    sweep_stalled_uploads(deps, idle_seconds=0)

    with configured.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT sweep_failures, last_sweep_error, next_sweep_at > now() AS later FROM upload_history "
            "WHERE upload_id = 'U_POISONED'")).one()
    assert (row.sweep_failures, row.later) == (1, True)
    assert "RuntimeError" in row.last_sweep_error


def _status(configured: RunningPipeline, upload_id: str) -> str:
    upload = configured.catalog.get_upload(upload_id)
    assert upload is not None
    return str(upload.status)


def _let_its_backoff_pass(configured: RunningPipeline, upload_id: str) -> None:
    with configured.engine.begin() as conn:
        conn.execute(text("UPDATE upload_history SET next_sweep_at = now() - interval '1 second' "
                          "WHERE upload_id = :u"), {"u": upload_id})
