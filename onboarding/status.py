"""Uploading a file and following it: the `--json` contract of `onboard upload` and `onboard status`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onboarding.bootstrap import Container
from onboarding.domain.changes import (
    CONFIRM_REPLACE_METADATA,
    DEFAULT_MODE,
    MODE_METADATA,
    ImportMode,
)
from onboarding.domain.dry_runs import DRY_RUN_METADATA_KEY
from onboarding.domain.uploads import Upload, import_summary
from onboarding.pipeline.parse_upload import identify_upload
from onboarding.pipeline.ports import Catalog
from onboarding.waiting import wait_for

STATUS_FIELDS: tuple[str, ...] = (
    "upload_id", "vendor_id", "file_name", "status", "total_records", "valid_records", "error_records",
    "error_report", "errors", "notification", "notification_count", "mode", "warning_records", "summary",
    "dry_run", "history", "progress",
)


@dataclass(frozen=True)
class Delivered:
    """A notification as delivered (captured locally), or as recorded when nothing captures mail."""

    subject: str
    message: str


def upload_status(
    catalog: Catalog, upload: Upload, delivered: list[Delivered] | None = None
) -> dict[str, Any]:
    """The upload's JSON. `delivered`: what the local mailbox captured; None = use the database's record."""
    errors = catalog.upload_errors(upload.upload_id)
    recorded = catalog.get_notification(upload.upload_id)
    if delivered is None:
        delivered = [Delivered(recorded.subject, recorded.message)] if recorded else []
    notification = delivered[0] if delivered else (Delivered(recorded.subject, recorded.message) if recorded else None)
    report = f"s3://{upload.s3_bucket}/{upload.error_report_key}" if upload.error_report_key else None
    status: dict[str, Any] = {
        "upload_id": upload.upload_id,
        "vendor_id": upload.vendor_id,
        "file_name": upload.file_name,
        "status": str(upload.status),
        "total_records": upload.total_records if upload.total_records is not None else 0,
        "valid_records": upload.valid_records,
        "error_records": upload.error_records,
        "error_report": report,
        "errors": [e.error.to_dict() for e in errors],
        "notification": {"subject": notification.subject, "message": notification.message} if notification else None,
        "notification_count": len(delivered),
        "mode": str(upload.mode or DEFAULT_MODE),
        "warning_records": upload.warning_records,
        "summary": import_summary(upload).as_dict(),
        # The API's fields (GET /v1/uploads/{id}), computed the same way.
        "dry_run": upload.dry_run,
        "history": [{"status": str(h.status), "at": iso_time(h.at), "detail": h.detail}
                    for h in catalog.status_history(upload.upload_id)],
        "progress": {"processed": upload.valid_records + upload.error_records, "total": upload.total_records},
    }
    assert tuple(status) == STATUS_FIELDS  # noqa: S101 (the contract's field order)
    return status


def running_status(upload: Upload) -> dict[str, Any]:
    """An upload's status and counters, as `upload_status` gives them: what a wait shows while the upload runs."""
    return {
        "upload_id": upload.upload_id,
        "status": str(upload.status),
        "total_records": upload.total_records if upload.total_records is not None else 0,
        "valid_records": upload.valid_records,
        "error_records": upload.error_records,
    }


def iso_time(at: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as the API writes times."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


DeliveredFor = Callable[[str], list[Delivered]]
"""What was delivered for an upload id (the local mailbox); None where nothing captures mail."""


def current_status(
    catalog: Catalog, upload_id: str, delivered_for: DeliveredFor | None = None
) -> dict[str, Any] | None:
    upload = catalog.get_upload(upload_id)
    if upload is None:
        return None
    return upload_status(catalog, upload, delivered_for(upload_id) if delivered_for else None)


def upload_file(
    container: Container, path: Path, vendor_id: str, name: str | None = None, dry_run: bool = False,
    mode: ImportMode | None = None, confirm_replace: bool = False,
) -> str:
    """Put a vendor's file where the pipeline picks it up; returns the upload id it will have.

    `dry_run`: judge the file and report, write nothing to the catalog (the object carries `dry-run: true`).
    The import mode travels as the object's metadata too, as it would from any S3 client (`x-amz-meta-mode`).
    """
    settings = container.settings
    key = f"{settings.upload_prefix}{vendor_id}/{name or path.name}"
    metadata = {DRY_RUN_METADATA_KEY: "true"} if dry_run else {}
    if mode is not None:
        metadata[MODE_METADATA] = str(mode)
    if confirm_replace:
        metadata[CONFIRM_REPLACE_METADATA] = "true"
    with path.open("rb") as body:
        response = container.aws.s3.put_object(Bucket=settings.upload_bucket, Key=key, Body=body, Metadata=metadata)
    stored = container.storage.describe(settings.upload_bucket, key, response.get("VersionId"))
    return identify_upload(stored, settings.upload_prefix).upload_id


MAIL_GRACE_S = 10.0


def wait_until_final(
    catalog: Catalog,
    upload_id: str,
    timeout_s: float,
    delivered_for: DeliveredFor | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Poll until the upload is final and its notification delivered. Raises TimeoutError.

    While the upload runs, only its row is read, and `on_progress` gets its `running_status`; the whole status
    (its errors, its history) is read once it is final. Reading all of it on every poll made a big upload's
    wait cost more than its report: every error so far, four times a second, beside the pipeline.
    """
    seen: dict[str, Any] = {}  # the last status read, and when it was first final

    def final_and_mailed() -> bool:
        upload = catalog.get_upload(upload_id)
        if upload is None:
            return False
        if upload.status.is_final:
            status = upload_status(catalog, upload, delivered_for(upload_id) if delivered_for else None)
        else:
            status = running_status(upload)
        seen["status"] = status
        if on_progress is not None:
            on_progress(status)
        if not upload.status.is_final:
            return False
        final_at = seen.setdefault("final_at", time.monotonic())
        # Locally the mail is captured a moment after the status is set: wait for it, briefly.
        mail_seen = delivered_for is None or status["notification_count"] > 0
        return bool(mail_seen or time.monotonic() - final_at > MAIL_GRACE_S)

    if wait_for(final_and_mailed, timeout_s, interval_s=0.25):
        return dict(seen["status"])
    last = seen["status"]["status"] if "status" in seen else "not started"
    raise TimeoutError(f"Timed out after {timeout_s:.0f} s waiting for {upload_id}; last status: {last}.")
