"""Dry runs through the whole pipeline: judged like a real upload, nothing written, then committed for real."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from onboarding import bootstrap
from onboarding.domain.dry_runs import CommitDecision, CommitProblem, CommitRefused
from onboarding.pipeline.commit_upload import UploadNotFound, commit_upload
from onboarding.waiting import wait_for
from tests.e2e.test_pipeline import catalog_file
from tests.harness import RunningPipeline

EXISTING = "A-1,Mouse,Electronics,,,SKU-A-1,B,9.99,,3,piece,,,"
UPDATED = "A-1,Mouse,Electronics,,,SKU-A-1,B,8.49,,30,piece,,,"
NEW = "A-2,Keyboard,Electronics,,,SKU-A-2,B,19.99,,7,piece,,,"
TAKEN_SKU = "A-3,Cable,Electronics,,,SKU-B-1,B,4.99,,1,piece,,,"  # VEND002 owns SKU-B-1
BAD_PRICE = "A-4,Stand,Electronics,,,SKU-A-4,B,free,,1,piece,,,"


def catalog_rows(pipeline: RunningPipeline, vendor_id: str) -> list[dict[str, Any]]:
    return pipeline.catalog.products_of(vendor_id)


def wait_for_mail(pipeline: RunningPipeline, upload_id: str, count: int) -> list[Any]:
    assert wait_for(lambda: len(pipeline.mailboxes.mail_for_upload(upload_id)) >= count, 30)
    return pipeline.mailboxes.mail_for_upload(upload_id)


@pytest.fixture
def dry_run(pipeline: RunningPipeline) -> str:
    """VEND001 has A-1, VEND002 has SKU-B-1; VEND001 dry-runs an update, a new product and two bad rows."""
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    pipeline.wait(pipeline.put("VEND001", "first.csv", catalog_file(EXISTING)))
    pipeline.wait(pipeline.put("VEND002", "theirs.csv", catalog_file("B-1,Lamp,Home & Garden,,,SKU-B-1,B,5,,1,,,,")))
    return pipeline.put("VEND001", "next.csv", catalog_file(UPDATED, NEW, TAKEN_SKU, BAD_PRICE), dry_run=True)


def test_a_dry_run_is_judged_by_the_same_rules_and_lookups_and_writes_nothing(
    pipeline: RunningPipeline, dry_run: str
) -> None:
    before = catalog_rows(pipeline, "VEND001")

    status = pipeline.wait(dry_run)

    assert status["status"] == "validated"
    assert catalog_rows(pipeline, "VEND001") == before
    assert {(e["row_number"], e["error_type"]) for e in status["errors"] if e["severity"] == "error"} == {
        (3, "DUPLICATE_SKU"), (4, "INVALID_PRICE")}
    upload = pipeline.catalog.get_upload(dry_run)
    assert upload is not None and upload.dry_run
    assert (upload.would_create_records, upload.would_update_records, upload.error_records) == (1, 1, 2)


def test_a_dry_runs_report_and_email_are_a_real_runs_marked_as_a_dry_run(
    pipeline: RunningPipeline, dry_run: str
) -> None:
    status = pipeline.wait(dry_run)

    assert status["error_report"].endswith(f"/errors/VEND001/{dry_run}_dry_run_errors.csv")
    [mail] = wait_for_mail(pipeline, dry_run, 1)
    assert mail.subject.startswith("[Dry run] Catalog upload next.csv")
    assert "Products a commit would create: 1" in mail.message
    assert "Products a commit would update: 1" in mail.message
    assert "DUPLICATE_SKU" in mail.message and "INVALID_PRICE" in mail.message
    assert "The error report lists every error" in mail.message


def test_committing_a_dry_run_processes_the_same_file_for_real_under_the_same_id(
    pipeline: RunningPipeline, dry_run: str
) -> None:
    pipeline.wait(dry_run)
    wait_for_mail(pipeline, dry_run, 1)

    result = commit_upload(bootstrap.commit_dependencies(), "VEND001", dry_run)
    assert result.decision is CommitDecision.COMMIT
    wait_for(lambda: pipeline.catalog.get_upload(dry_run).status == "partial", 60)  # type: ignore[union-attr]
    status = pipeline.wait(dry_run)

    assert (status["status"], status["valid_records"], status["error_records"]) == ("partial", 2, 2)
    products = {p["vendor_product_id"]: p for p in catalog_rows(pipeline, "VEND001")}
    assert sorted(products) == ["A-1", "A-2"]
    assert (str(products["A-1"]["price"]), products["A-1"]["stock_quantity"]) == ("8.49", 30)
    assert products["A-2"]["upload_id"] == dry_run
    assert status["error_report"].endswith(f"/errors/VEND001/{dry_run}_errors.csv")
    real = wait_for_mail(pipeline, dry_run, 2)[1]
    assert not real.subject.startswith("[Dry run]")


def test_committing_twice_is_harmless(pipeline: RunningPipeline, dry_run: str) -> None:
    pipeline.wait(dry_run)
    commit_upload(bootstrap.commit_dependencies(), "VEND001", dry_run)
    again = commit_upload(bootstrap.commit_dependencies(), "VEND001", dry_run)

    assert again.decision is CommitDecision.ALREADY_COMMITTED
    assert wait_for(lambda: pipeline.catalog.get_upload(dry_run).status == "partial", 60)  # type: ignore[union-attr]
    assert commit_upload(bootstrap.commit_dependencies(), "VEND001", dry_run).decision is \
        CommitDecision.ALREADY_COMMITTED
    status = pipeline.wait(dry_run)
    assert (status["valid_records"], status["error_records"]) == (2, 2)
    assert len(wait_for_mail(pipeline, dry_run, 2)) == 2


def test_only_a_validated_dry_run_of_ones_own_within_the_window_can_be_committed(
    pipeline: RunningPipeline, dry_run: str
) -> None:
    real = pipeline.wait(pipeline.put("VEND001", "real.csv", catalog_file(NEW)))["upload_id"]
    pipeline.wait(dry_run)
    validated = pipeline.catalog.get_upload(dry_run)
    assert validated is not None and validated.completed_at is not None
    deps = bootstrap.commit_dependencies()

    with pytest.raises(CommitRefused) as not_dry:
        commit_upload(deps, "VEND001", real)
    with pytest.raises(CommitRefused) as expired:
        commit_upload(deps, "VEND001", dry_run, now=validated.completed_at + timedelta(hours=72, seconds=1))
    with pytest.raises(UploadNotFound):
        commit_upload(deps, "VEND002", dry_run)

    assert (not_dry.value.code, expired.value.code) == (CommitProblem.NOT_A_DRY_RUN,
                                                        CommitProblem.COMMIT_WINDOW_EXPIRED)
    assert pipeline.catalog.get_upload(dry_run).status == "validated"  # type: ignore[union-attr]
