"""error_processor's use case: record failures, and finish each upload exactly once.

An upload is finished when every data row is either a product or a recorded error (or when the
whole file was rejected). Finishing writes one error report, publishes one notification and sets
the final status, all under the upload's row lock, so two invocations racing on the last rows of
an upload produce one report and one email.

The sweeper (run on a schedule) finishes uploads that stopped making progress: rows lost to a poison
record or a dead-lettered message are reported as such, so no upload stays `processing` forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from onboarding.config import Settings
from onboarding.domain.changes import ImportMode
from onboarding.domain.dry_runs import DryRunOutcome
from onboarding.domain.errors import (
    FILE_LEVEL_ROW,
    OPERATOR_CODES,
    SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR,
    ErrorCode,
    RecordedError,
    RowError,
)
from onboarding.domain.messages import ErrorQueueMessage, FailedRow, MessageKind, original_row
from onboarding.domain.report import (
    Notification,
    NotificationRecord,
    ReportRow,
    UploadSummary,
    build_error_report,
    build_notification,
    build_processing_failed_alert,
    build_processing_failed_notification,
    build_sender_problem_notification,
    upload_page_url,
)
from onboarding.domain.uploads import (
    MAX_SWEEP_FAILURES,
    RowOutcomes,
    Upload,
    UploadStatus,
    final_status,
    import_summary,
    quarantine_key,
    sweep_retry_after_s,
)
from onboarding.domain.webhooks import event_body, event_for_status, new_event_id, upload_link
from onboarding.pipeline import metrics
from onboarding.pipeline.logs import get_logger, upload_keys
from onboarding.pipeline.ports import (
    Catalog,
    CompletionTransaction,
    EventAnnouncer,
    Notifier,
    ObjectStore,
    OutageRetry,
    PendingRowStore,
)

logger = get_logger()

VENDOR_AUDIENCE = "vendor"
REPORT_CONTENT_TYPE = "text/csv; charset=utf-8"
OPERATOR_AUDIENCE = "operators"


@dataclass(frozen=True)
class ErrorProcessorDependencies:
    settings: Settings
    catalog: Catalog
    storage: ObjectStore
    notifier: Notifier
    records: PendingRowStore
    while_unreachable: OutageRetry
    webhook_queue: EventAnnouncer | None = None  # tells the webhook sender at once of a raised event


def process_message(deps: ErrorProcessorDependencies, message: ErrorQueueMessage) -> bool:
    """Record what the message carries, then finish its upload if it is complete. True if finished now.

    A database outage is waited out here first (bounded); replaying a message is harmless.
    """
    return deps.while_unreachable(lambda: _process_message(deps, message))


def _process_message(deps: ErrorProcessorDependencies, message: ErrorQueueMessage) -> bool:
    upload = deps.catalog.get_upload(message.upload_id)
    if upload is None:
        raise LookupError(f"upload {message.upload_id} is not recorded")  # retried, then dead-lettered
    if upload.status.is_final:
        # A replay (a redelivered message, a redriven dead letter) after the report and the email went out:
        # recording more errors now would only make the database disagree with what the vendor was sent.
        return False
    if message.kind is MessageKind.ROW_ERRORS:
        header = upload.source_header or ()
        deps.catalog.record_errors(message.upload_id, _recorded(message.rows, header))
    elif message.kind is MessageKind.FILE_ERROR and message.file_error is not None:
        deps.catalog.record_errors(message.upload_id, [RecordedError(message.file_error, None)])
    return finish_if_complete(deps, message.upload_id)


def _recorded(rows: Sequence[FailedRow], header: Sequence[str]) -> list[RecordedError]:
    recorded: list[RecordedError] = []
    for row in rows:
        original = original_row(header, row.cells)
        recorded += [RecordedError(error, original) for error in row.errors]
    return recorded


def finish_if_complete(deps: ErrorProcessorDependencies, upload_id: str) -> bool:
    # A look without the upload's lock first: most messages carry the errors of an upload still in progress, and
    # its lock would queue the validator's next batch (its inserts reference the upload's row) behind this one.
    # Counters and errors only grow, and every change that can complete an upload is followed by a check made
    # after it commits, so a look that finds the upload unfinished is never the last look.
    progress = deps.catalog.upload_progress(upload_id)
    if progress is None or not progress.may_finish:
        return False
    with deps.catalog.completion(upload_id) as completion:
        if completion is None:
            return False  # already finished (a replay), or not ours
        if not completion.progress.may_finish:
            return False
        # Read only to finish: the errors so far are all of them now (reading them on every message made each
        # message cost as much as the report, so an upload's messages cost its errors squared).
        errors = completion.errors()
        file_errors = [e.error for e in errors if e.error.row_number == FILE_LEVEL_ROW]
        status, event_id = _finish(deps, completion, errors, file_errors)
    # Counted once the final status is committed: a finish rolled back and retried is counted once.
    metrics.upload_finished(completion.upload, status, [str(e.code) for e in file_errors])
    _announce(deps, event_id)
    return True


def _raise_event(
    deps: ErrorProcessorDependencies, completion: CompletionTransaction, status: UploadStatus
) -> str | None:
    """The upload's webhook event, raised in the completion's transaction: one per upload and type."""
    event_type = event_for_status(status)
    if event_type is None:
        return None
    upload = replace(completion.upload, status=status)
    body = event_body(event_type, upload, datetime.now(UTC), upload_link(deps.settings.api_url, upload.upload_id))
    return completion.raise_event(new_event_id(), event_type, body)


def _announce(deps: ErrorProcessorDependencies, event_id: str | None) -> None:
    """Nudge the sender; if that fails the event still waits in the outbox, and the sender's schedule finds it."""
    if event_id is None or deps.webhook_queue is None:
        return
    try:
        deps.webhook_queue.announce([event_id])
    except Exception:  # never let a webhook fail an upload that is finished
        logger.warning("webhook sender not told; its schedule will deliver", extra={"event_id": event_id})


def _finish(
    deps: ErrorProcessorDependencies,
    completion: CompletionTransaction,
    errors: list[RecordedError],
    file_errors: list[RowError],
) -> tuple[UploadStatus, str | None]:
    upload = completion.upload
    settings = deps.settings
    status = final_status(upload.valid_records, upload.error_records, file_failed=bool(file_errors),
                          dry_run=upload.dry_run)
    if upload.mode == ImportMode.REPLACE and status not in (UploadStatus.FAILED, UploadStatus.VALIDATED):
        # Only once the file is applied, and never after a file that failed whole (every row rejected
        # must not empty the catalog) nor for a dry run: the guard was checked by the parser before any row
        # was written.
        upload = replace(upload, deactivated_records=completion.deactivate_absent())
    for_operators = any(e.code in OPERATOR_CODES for e in file_errors)

    report_key = None
    if errors and not for_operators:
        report_key = error_report_key(settings, upload)
        report = _report(upload.source_header or (), errors, settings.error_codes_page)
        deps.storage.put_text(settings.upload_bucket, report_key, report, REPORT_CONTENT_TYPE)

    vendor = None if for_operators else deps.catalog.get_vendor(upload.vendor_id)
    summary = UploadSummary(
        upload_id=upload.upload_id,
        vendor_id=upload.vendor_id,
        vendor_name=vendor.vendor_name if vendor else "operators",
        file_name=upload.file_name,
        status=status,
        total_records=upload.total_records or 0,
        valid_records=upload.valid_records,
        error_records=upload.error_records,
        report_url=upload_page_url(settings.portal_url, upload.upload_id) if report_key and settings.portal_url
        else None,
        errors=[e.error for e in errors],
        notes=upload.file_notes,
        has_report=report_key is not None,
        valid_categories=_categories_if_named(deps, errors),
        error_codes_url=settings.error_codes_page,
        quarantined_to=(
            quarantine_key(upload.s3_key, settings.upload_prefix, settings.quarantine_prefix) if for_operators else None
        ),
        dry_run=DryRunOutcome.of(upload) if upload.dry_run else None,
        changes=import_summary(upload),
    )
    notification = build_notification(summary)
    if for_operators:
        audience, topic_arn = OPERATOR_AUDIENCE, settings.operator_topic_arn
    else:
        audience, topic_arn = VENDOR_AUDIENCE, settings.vendor_topic_arn
    message_id = _publish(deps, topic_arn, upload.vendor_id, upload.upload_id, notification)
    if for_operators:
        _tell_the_folders_vendor(deps, upload, file_errors)
    completion.finish(
        status,
        report_key,
        file_errors[0].message if file_errors else None,
        NotificationRecord(audience, topic_arn, notification.subject, notification.message, message_id),
    )
    # Not for a file refused because of its sender: the folder's vendor may not exist, or not have sent it.
    event_id = None if for_operators else _raise_event(deps, completion, status)
    logger.info(
        "upload finished",
        extra=upload_keys(upload.upload_id, upload.vendor_id, status=str(status), audience=audience,
                          valid=upload.valid_records, errors=upload.error_records),
    )
    return status, event_id


def rebuild_report(deps: ErrorProcessorDependencies, upload_id: str) -> str | None:
    """Write an upload's error report again, from PostgreSQL, to its own key; returns it (None: it has none).

    The database keeps every error with the failed row as the vendor wrote it, so a report the storage
    lost (the local emulator starts empty after a restart) comes back the same as it was sent.
    """
    upload = deps.catalog.get_upload(upload_id)
    if upload is None or not upload.error_report_key:
        return None
    errors = deps.catalog.upload_errors(upload_id)
    report = _report(upload.source_header or (), errors, deps.settings.error_codes_page)
    deps.storage.put_text(upload.s3_bucket, upload.error_report_key, report, REPORT_CONTENT_TYPE)
    return report


def _categories_if_named(deps: ErrorProcessorDependencies, errors: Sequence[RecordedError]) -> list[str]:
    """The valid categories, for an email that has to say a row named an unknown one."""
    if any(e.error.code is ErrorCode.INVALID_CATEGORY for e in errors):
        return sorted(deps.catalog.active_categories())
    return []


def error_report_key(settings: Settings, upload: Upload) -> str:
    """Where the upload's error report goes; a dry run's keeps its own name, so its commit's report is another."""
    run = "_dry_run" if upload.dry_run else ""
    return f"{settings.error_prefix}{upload.vendor_id}/{upload.upload_id}{run}_errors.csv"


def _tell_the_folders_vendor(deps: ErrorProcessorDependencies, upload: Upload, file_errors: list[RowError]) -> None:
    """A sender problem in a registered vendor's own folder: the vendor hears that its file was not processed
    and why, worded for it (nothing about any other vendor), besides the operators' alert."""
    told = [e.code for e in file_errors if e.code in SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR]
    vendor = deps.catalog.get_vendor(upload.vendor_id) if told else None
    if vendor is None:
        return
    notification = build_sender_problem_notification(upload.upload_id, upload.file_name, vendor.vendor_name, told)
    _publish(deps, deps.settings.vendor_topic_arn, upload.vendor_id, upload.upload_id, notification)


def _publish(
    deps: ErrorProcessorDependencies, topic_arn: str, vendor_id: str, upload_id: str, notification: Notification
) -> str:
    audience = OPERATOR_AUDIENCE if topic_arn == deps.settings.operator_topic_arn else VENDOR_AUDIENCE
    try:
        message_id = deps.notifier.publish(topic_arn, vendor_id, upload_id, notification.subject, notification.message)
    except Exception:
        metrics.notification_failed()
        raise
    metrics.notification_sent(audience)
    return message_id


def _report(header: Sequence[str], errors: Sequence[RecordedError], error_codes_url: str | None) -> str:
    by_row: dict[int, list[RecordedError]] = {}
    for error in errors:
        by_row.setdefault(error.error.row_number, []).append(error)
    rows = [
        ReportRow(
            row_number=number,
            cells=[(found[0].original_row or {}).get(name, "") for name in header],
            errors=[e.error for e in found],
        )
        for number, found in by_row.items()
    ]
    return build_error_report(header, rows, error_codes_url)


# -- the sweeper -------------------------------------------------------------------------------


def sweep_stalled_uploads(deps: ErrorProcessorDependencies, idle_seconds: int | None = None) -> list[str]:
    """Finish every upload that made no progress for `idle_seconds`. Returns the uploads finished.

    Each upload is finished on its own: when one fails, why is recorded, it backs off (and comes last in the
    next sweeps), and the sweep goes on, so no upload holds back another vendor's. After MAX_SWEEP_FAILURES
    it is given up on (`_give_up`): finishing can never fail forever.
    """
    idle = deps.settings.stuck_upload_after_s if idle_seconds is None else idle_seconds
    finished = []
    for upload_id in deps.catalog.stalled_uploads(idle):
        if _sweep_one(deps, upload_id):
            finished.append(upload_id)
            metrics.stalled_upload_finished()
    return finished


def _sweep_one(deps: ErrorProcessorDependencies, upload_id: str) -> bool:
    """Finish one stalled upload if it can be; never raises. True if it ended now."""
    try:
        return _account_for_lost_rows(deps, upload_id) and finish_if_complete(deps, upload_id)
    except Exception as error:
        try:
            return _sweep_failed(deps, upload_id, error)
        except Exception as failure:  # the database itself is failing: the next sweep tries again
            logger.error("the sweeper could not record a failure", extra=upload_keys(
                upload_id, "", error_type=type(error).__name__, recording_error_type=type(failure).__name__))
            return False


def _sweep_failed(deps: ErrorProcessorDependencies, upload_id: str, error: Exception) -> bool:
    """Record the failure and back off; give the upload up after MAX_SWEEP_FAILURES. True if it ended now."""
    # The error's type only: its text may quote a vendor's values, which logs and alerts do not carry.
    reason = type(error).__name__
    failures = deps.catalog.record_sweep_failure(upload_id, reason, sweep_retry_after_s)
    giving_up = failures >= MAX_SWEEP_FAILURES
    upload = deps.catalog.get_upload(upload_id)
    logger.error("the sweeper could not finish the upload", extra=upload_keys(
        upload_id, upload.vendor_id if upload else "", error_type=reason, sweep_failures=failures,
        giving_up=giving_up))
    return giving_up and _give_up(deps, upload_id, failures, reason)


def _give_up(deps: ErrorProcessorDependencies, upload_id: str, sweeps: int, reason: str) -> bool:
    """End an upload that cannot be finished: `failed` with PROCESSING_FAILED, a short notification to its vendor
    (nothing from the file in it, so it can always be published) and an alert to operators. Neither message is
    allowed to stop the upload from ending: a failed publish is logged and the status is set all the same."""
    error = RowError(FILE_LEVEL_ROW, "", ErrorCode.PROCESSING_FAILED,
                     "We could not finish processing this file. Please upload it again; if it fails again, "
                     "contact support.")
    deps.catalog.record_errors(upload_id, [RecordedError(error, None)])
    settings = deps.settings
    with deps.catalog.completion(upload_id) as completion:
        if completion is None:
            return False  # finished meanwhile
        upload = completion.upload
        vendor = deps.catalog.get_vendor(upload.vendor_id)
        record = None
        if vendor is not None:
            note = build_processing_failed_notification(upload.upload_id, upload.file_name, vendor.vendor_name)
            message_id = _publish_or_log(deps, settings.vendor_topic_arn, upload.vendor_id, upload.upload_id, note)
            record = NotificationRecord(VENDOR_AUDIENCE, settings.vendor_topic_arn, note.subject, note.message,
                                        message_id)
        alert = build_processing_failed_alert(upload.upload_id, upload.vendor_id, sweeps, reason)
        _publish_or_log(deps, settings.operator_topic_arn, upload.vendor_id, upload.upload_id, alert)
        completion.finish(UploadStatus.FAILED, None, error.message, record)
        event_id = _raise_event(deps, completion, UploadStatus.FAILED)
    _announce(deps, event_id)
    metrics.upload_finished(upload, UploadStatus.FAILED, [str(error.code)])
    logger.error("upload given up and marked failed", extra=upload_keys(upload_id, upload.vendor_id, sweeps=sweeps))
    return True


def _publish_or_log(
    deps: ErrorProcessorDependencies, topic_arn: str, vendor_id: str, upload_id: str, notification: Notification
) -> str | None:
    try:
        return _publish(deps, topic_arn, vendor_id, upload_id, notification)
    except Exception as error:
        logger.error("notification not published", extra=upload_keys(upload_id, vendor_id, topic_arn=topic_arn,
                                                                    error_type=type(error).__name__))
        return None


def _account_for_lost_rows(deps: ErrorProcessorDependencies, upload_id: str) -> bool:
    upload = deps.catalog.get_upload(upload_id)
    if upload is None or upload.status.is_final:
        return False
    log = upload_keys(upload_id, upload.vendor_id)
    if upload.total_records is None:
        error = RowError(FILE_LEVEL_ROW, "", ErrorCode.PROCESSING_FAILED,
                         "We could not process this file. Please upload it again; if it fails again, contact support.")
        deps.catalog.record_errors(upload_id, [RecordedError(error, None)])
        logger.error("upload stalled before its rows were written", extra=log)
        return True
    missing = deps.catalog.rows_without_outcome(upload_id, upload.total_records)
    if missing:
        deps.catalog.commit_outcomes([RowOutcomes(upload_id, {}, missing, dry_run=upload.dry_run)])
    unreported = deps.catalog.invalid_rows_without_errors(upload_id)
    if unreported:
        stored = deps.records.get_rows(upload_id, unreported, upload.write_shards)
        cells = {row.row_number: row.cells for row in stored}
        header = upload.source_header or ()
        lost = [
            RecordedError(
                RowError(n, "", ErrorCode.ROW_NOT_PROCESSED,
                         "This row could not be processed. Please upload it again."),
                original_row(header, cells.get(n, ())),
            )
            for n in unreported
        ]
        deps.catalog.record_errors(upload_id, lost)
    logger.error("stalled upload accounted for", extra={**log, "rows_lost": len(missing),
                                                         "unreported": len(unreported)})
    return True
