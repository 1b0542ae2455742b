"""Dry runs: when one may be committed, what it ends as, and how its email reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from onboarding.domain.dry_runs import (
    CommitDecision,
    CommitProblem,
    CommitRefused,
    DryRunOutcome,
    decide_commit,
    is_dry_run_metadata,
)
from onboarding.domain.report import UploadSummary, build_notification
from onboarding.domain.uploads import Upload, UploadStatus, final_status

VALIDATED_AT = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)
DRY_RUN = Upload(
    upload_id="U1", vendor_id="VEND001", file_name="f.csv", s3_bucket="b", s3_key="uploads/VEND001/f.csv",
    status=UploadStatus.VALIDATED, total_records=4, valid_records=2, error_records=2, source_header=None,
    file_notes=(), write_shards=1, error_report_key=None, failure_reason=None, started_at=VALIDATED_AT,
    completed_at=VALIDATED_AT, dry_run=True, would_update_records=1,
)


def test_a_validated_dry_run_within_the_window_is_committed() -> None:
    assert decide_commit(DRY_RUN, VALIDATED_AT + WINDOW, WINDOW) is CommitDecision.COMMIT


def test_a_dry_run_committed_already_is_committed_again_harmlessly() -> None:
    committed = replace(DRY_RUN, dry_run=False, status=UploadStatus.VALIDATING, committed_at=VALIDATED_AT)
    assert decide_commit(committed, VALIDATED_AT + 10 * WINDOW, WINDOW) is CommitDecision.ALREADY_COMMITTED


@pytest.mark.parametrize(("upload", "problem"), [
    (replace(DRY_RUN, dry_run=False, status=UploadStatus.COMPLETED), CommitProblem.NOT_A_DRY_RUN),
    (replace(DRY_RUN, status=UploadStatus.VALIDATING, completed_at=None), CommitProblem.DRY_RUN_NOT_FINISHED),
    (replace(DRY_RUN, status=UploadStatus.FAILED), CommitProblem.NOTHING_TO_COMMIT),
])
def test_what_is_not_a_validated_dry_run_cannot_be_committed(upload: Upload, problem: CommitProblem) -> None:
    with pytest.raises(CommitRefused) as refused:
        decide_commit(upload, VALIDATED_AT, WINDOW)
    assert refused.value.code is problem
    assert refused.value.detail.endswith(".")


def test_a_dry_run_past_its_window_cannot_be_committed() -> None:
    with pytest.raises(CommitRefused) as refused:
        decide_commit(DRY_RUN, VALIDATED_AT + WINDOW + timedelta(seconds=1), WINDOW)
    assert refused.value.code is CommitProblem.COMMIT_WINDOW_EXPIRED
    assert "72 hours" in refused.value.detail


def test_a_dry_run_ends_validated_unless_the_whole_file_was_rejected() -> None:
    assert final_status(0, 5, dry_run=True) is UploadStatus.VALIDATED
    assert final_status(5, 0, dry_run=True) is UploadStatus.VALIDATED
    assert final_status(0, 0, file_failed=True, dry_run=True) is UploadStatus.FAILED
    assert UploadStatus.VALIDATED.is_final


def test_what_a_commit_would_do_is_counted_from_the_dry_run() -> None:
    assert DryRunOutcome.of(DRY_RUN).to_dict() == {"would_create": 1, "would_update": 1, "invalid": 2}


@pytest.mark.parametrize(("metadata", "expected"), [
    ({"dry-run": "true"}, True), ({"dry-run": "TRUE "}, True), ({"dry-run": "false"}, False), ({}, False),
])
def test_object_metadata_marks_a_dry_run(metadata: dict[str, str], expected: bool) -> None:
    assert is_dry_run_metadata(metadata) is expected


def test_a_dry_runs_email_is_marked_and_says_what_a_commit_would_do() -> None:
    summary = UploadSummary("U1", "VEND001", "Vendor One", "f.csv", UploadStatus.VALIDATED, 4, 2, 2,
                            "https://portal.example/uploads/U1", [], has_report=True, dry_run=DryRunOutcome(1, 1, 2))

    email = build_notification(summary)

    assert email.subject == "[Dry run] Catalog upload f.csv: 1 to create, 1 to update, 2 rows need fixing"
    assert "nothing from it was written to your catalog" in email.message
    assert "Products a commit would create: 1\nProducts a commit would update: 1\nRows with errors: 2" in email.message
    assert "https://portal.example/uploads/U1" in email.message


def test_a_real_runs_email_is_not_marked() -> None:
    summary = UploadSummary("U1", "VEND001", "Vendor One", "f.csv", UploadStatus.COMPLETED, 2, 2, 0, None, [])
    assert not build_notification(summary).subject.startswith("[Dry run]")
