"""Committing a dry run: the same stored file, processed for real under the same upload id.

The decision and the reset happen under the upload's row lock, so two commits racing do one reset. The
parser is then asked for the file again with the message S3 itself would send. A repeated commit is
harmless: it changes nothing, and while the parser has not yet started the real run it asks again (so a
message lost between the lock and the queue is recovered by the vendor's retry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from onboarding.config import Settings
from onboarding.domain.dry_runs import CommitDecision, decide_commit
from onboarding.domain.uploads import Upload
from onboarding.events import s3_object_created_body
from onboarding.pipeline.logs import get_logger, upload_keys
from onboarding.pipeline.ports import Catalog, Queue

logger = get_logger()


class UploadNotFound(LookupError):
    """No such upload for this vendor (another vendor's upload is not found either)."""


@dataclass(frozen=True)
class CommitDependencies:
    settings: Settings
    catalog: Catalog
    upload_queue: Queue


@dataclass(frozen=True)
class CommitResult:
    decision: CommitDecision
    upload: Upload  # as it stands after the commit


def commit_upload(
    deps: CommitDependencies, vendor_id: str, upload_id: str, now: datetime | None = None
) -> CommitResult:
    """Commit a validated dry run of `vendor_id`. Raises `UploadNotFound` or `CommitRefused` (a 409)."""
    window = timedelta(seconds=deps.settings.dry_run_commit_window_s)
    with deps.catalog.dry_run_commit(upload_id) as pending:
        if pending is None or pending.upload.vendor_id != vendor_id:
            raise UploadNotFound(upload_id)
        decision = decide_commit(pending.upload, now or datetime.now(UTC), window)
        if decision is CommitDecision.COMMIT:
            pending.start_real_run()
    upload = deps.catalog.get_upload(upload_id)
    assert upload is not None  # noqa: S101 (committed uploads are never deleted)
    if upload.rewrite_rows:
        deps.upload_queue.send_all([s3_object_created_body(upload.s3_bucket, upload.s3_key, upload.object_version)])
    logger.info("dry run commit", extra=upload_keys(upload_id, vendor_id, decision=str(decision)))
    return CommitResult(decision, upload)
