"""Dry runs: what a commit would do, and whether a dry run may be committed now.

A dry run is judged exactly like a real upload (same reading, same rules, same catalog lookups) and
writes nothing to the catalog; it ends `validated`. Committing it processes the same stored file for
real, under the same upload id, within a window after it was validated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from onboarding.domain.uploads import Upload, UploadStatus

DRY_RUN_METADATA_KEY = "dry-run"
"""S3 object metadata (`x-amz-meta-dry-run: true`) that marks an object uploaded without a ticket as a dry run."""


def is_dry_run_metadata(metadata: Mapping[str, str]) -> bool:
    return metadata.get(DRY_RUN_METADATA_KEY, "").strip().lower() == "true"


class CommitProblem(StrEnum):
    NOT_A_DRY_RUN = "NOT_A_DRY_RUN"
    DRY_RUN_NOT_FINISHED = "DRY_RUN_NOT_FINISHED"
    NOTHING_TO_COMMIT = "NOTHING_TO_COMMIT"
    COMMIT_WINDOW_EXPIRED = "COMMIT_WINDOW_EXPIRED"


class CommitRefused(Exception):
    """A commit that cannot happen (answered 409): a code for machines, a sentence for the vendor."""

    def __init__(self, code: CommitProblem, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class CommitDecision(StrEnum):
    COMMIT = "commit"  # start the real run now
    ALREADY_COMMITTED = "already_committed"  # a repeated commit: harmless, nothing more to do


def decide_commit(upload: Upload, now: datetime, window: timedelta) -> CommitDecision:
    """Whether the upload's dry run is committed now. Raises `CommitRefused` when it cannot be."""
    if upload.committed_at is not None:
        return CommitDecision.ALREADY_COMMITTED
    if not upload.dry_run:
        raise CommitRefused(CommitProblem.NOT_A_DRY_RUN,
                            "This upload was not a dry run: its rows were processed already, nothing to commit.")
    if upload.status is UploadStatus.FAILED:
        raise CommitRefused(CommitProblem.NOTHING_TO_COMMIT,
                            "The dry run rejected the whole file: fix it and upload it again.")
    if upload.status is not UploadStatus.VALIDATED or upload.completed_at is None:
        raise CommitRefused(CommitProblem.DRY_RUN_NOT_FINISHED,
                            "The dry run is still being checked: commit it once its status is validated.")
    if now > upload.completed_at + window:
        hours = window.total_seconds() / 3600
        raise CommitRefused(CommitProblem.COMMIT_WINDOW_EXPIRED,
                            f"Dry runs can be committed for {hours:g} hours after validation: upload the file again.")
    return CommitDecision.COMMIT


@dataclass(frozen=True)
class DryRunOutcome:
    """What committing the dry run would do, row by row, as counted when it was judged."""

    would_create: int
    would_update: int
    invalid: int

    @classmethod
    def of(cls, upload: Upload) -> DryRunOutcome:
        return cls(upload.would_create_records, upload.would_update_records, upload.error_records)

    def to_dict(self) -> dict[str, int]:
        return {"would_create": self.would_create, "would_update": self.would_update, "invalid": self.invalid}
