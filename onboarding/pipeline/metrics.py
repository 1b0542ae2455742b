"""Business metrics, in CloudWatch's embedded metric format (EMF).

Each metric is one JSON line on stdout (Powertools' `single_metric`): in AWS, Lambda's log stream turns it into
a CloudWatch metric with no API call; locally the worker collects the same lines and `onboard metrics` sums
them up. The names are defined here once: the template's dashboard and alarms use them (tests/infra checks).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from onboarding.domain.uploads import Upload, UploadStatus
from onboarding.pipeline.logs import SERVICE_NAME

NAMESPACE = "ProductOnboarding"


class Metric(StrEnum):
    UPLOADS_FINISHED = "UploadsFinished"  # by final status
    ROWS_ACCEPTED = "RowsAccepted"
    ROWS_REJECTED = "RowsRejected"
    FILE_REJECTIONS = "FileRejections"  # by error code
    TIME_TO_FINAL_STATUS = "TimeToFinalStatus"  # from the parser's first read to the final status
    ROWS_PER_SECOND = "RowsPerSecond"  # per upload, over that same time
    NOTIFICATIONS_SENT = "NotificationsSent"  # by audience
    NOTIFICATIONS_FAILED = "NotificationsFailed"
    STALLED_UPLOADS_FINISHED = "StalledUploadsFinished"  # uploads the sweeper had to finish
    # Per invocation, from the handlers' own Metrics: what each function was handed, and what it handed back.
    BATCH_ITEMS = "BatchItems"
    FAILED_ITEMS = "FailedItems"


def emit(metric: Metric, unit: MetricUnit, value: float, **dimensions: str) -> None:
    with single_metric(name=metric.value, unit=unit, value=value, namespace=NAMESPACE,
                       default_dimensions={"service": SERVICE_NAME, **dimensions}):
        pass  # printed when the block closes


def upload_finished(upload: Upload, status: UploadStatus, file_error_codes: list[str],
                    finished_at: datetime | None = None) -> None:
    """The metrics of one upload reaching its final status (call it once the status is committed)."""
    emit(Metric.UPLOADS_FINISHED, MetricUnit.Count, 1, status=str(status))
    emit(Metric.ROWS_ACCEPTED, MetricUnit.Count, upload.valid_records)
    emit(Metric.ROWS_REJECTED, MetricUnit.Count, upload.error_records)
    for code in file_error_codes:
        emit(Metric.FILE_REJECTIONS, MetricUnit.Count, 1, code=code)
    elapsed_s = max(((finished_at or datetime.now(UTC)) - upload.started_at).total_seconds(), 0.001)
    emit(Metric.TIME_TO_FINAL_STATUS, MetricUnit.Seconds, round(elapsed_s, 3))
    if upload.total_records:
        emit(Metric.ROWS_PER_SECOND, MetricUnit.CountPerSecond, round(upload.total_records / elapsed_s, 1))


def notification_sent(audience: str) -> None:
    emit(Metric.NOTIFICATIONS_SENT, MetricUnit.Count, 1, audience=audience)


def notification_failed() -> None:
    """Not by audience: one alarm watches every failure (infra/template.yaml)."""
    emit(Metric.NOTIFICATIONS_FAILED, MetricUnit.Count, 1)


def stalled_upload_finished() -> None:
    emit(Metric.STALLED_UPLOADS_FINISHED, MetricUnit.Count, 1)
