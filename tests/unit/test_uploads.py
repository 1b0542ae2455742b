"""Upload keys, ids and states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.uploads import (
    UploadKey,
    UploadProgress,
    UploadStatus,
    check_file_name,
    final_status,
    make_upload_id,
    parse_upload_key,
)

WHEN = datetime(2025, 12, 21, 3, 42, 36, tzinfo=UTC)


def test_a_key_under_the_vendor_folder_names_vendor_and_file() -> None:
    assert parse_upload_key("uploads/VEND001/VEND001_20251221_034236.csv", "uploads/") == UploadKey(
        "VEND001", "VEND001_20251221_034236.csv")


@pytest.mark.parametrize("key", ["other/VEND001/a.csv", "uploads/a.csv", "uploads/VEND001/sub/a.csv",
                                 "uploads/VEND001/", "uploads/../a.csv", "uploads/VEND 1/a.csv"])
def test_keys_outside_a_vendor_folder_are_rejected(key: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        parse_upload_key(key, "uploads/")
    assert rejected.value.code is ErrorCode.INVALID_UPLOAD_KEY


def test_a_file_name_claiming_another_vendor_is_rejected() -> None:
    with pytest.raises(FileRejected) as rejected:
        check_file_name(UploadKey("VEND001", "VEND002_20251221_034236.csv"), {"VEND002"})
    assert rejected.value.code is ErrorCode.VENDOR_MISMATCH


@pytest.mark.parametrize("name", ["VEND001_20251221.csv", "catalog.csv", "products_2025.csv", "vend001-x.xlsx",
                                  "feed.csv.gz"])
def test_file_names_of_the_folders_vendor_or_none_are_accepted(name: str) -> None:
    check_file_name(UploadKey("VEND001", name), {"VEND001"} if name.lower().startswith("vend001") else set())


def test_other_file_types_are_rejected() -> None:
    with pytest.raises(FileRejected) as rejected:
        check_file_name(UploadKey("VEND001", "catalog.pdf"), set())
    assert rejected.value.code is ErrorCode.UNSUPPORTED_FILE_TYPE


def test_the_same_object_version_always_gets_the_same_upload_id() -> None:
    assert make_upload_id("VEND001", "s3://b/k#v1", WHEN) == make_upload_id("VEND001", "s3://b/k#v1", WHEN)


def test_two_vendors_same_file_same_second_get_different_ids() -> None:
    first = make_upload_id("VEND001", "s3://b/uploads/VEND001/c.csv#v1", WHEN)
    second = make_upload_id("VEND002", "s3://b/uploads/VEND002/c.csv#v1", WHEN)
    assert first != second
    assert first.startswith("UPLOAD_VEND001_20251221034236_")


def test_an_upload_is_complete_when_every_row_is_accounted_and_every_error_recorded() -> None:
    assert UploadProgress(10, 7, 3, reported_error_rows=3).is_complete
    assert not UploadProgress(10, 7, 3, reported_error_rows=2).is_complete
    assert not UploadProgress(10, 7, 2, reported_error_rows=2).is_complete
    assert not UploadProgress(None, 0, 0, reported_error_rows=0).is_complete


def test_an_upload_may_finish_when_complete_or_when_the_whole_file_failed() -> None:
    assert UploadProgress(10, 7, 3, reported_error_rows=3).may_finish
    assert not UploadProgress(10, 7, 2, reported_error_rows=2).may_finish
    assert UploadProgress(None, 0, 0, reported_error_rows=0, file_failed=True).may_finish


@pytest.mark.parametrize(("valid", "errors", "file_failed", "expected"), [
    (5, 0, False, UploadStatus.COMPLETED), (3, 2, False, UploadStatus.PARTIAL),
    (0, 5, False, UploadStatus.FAILED), (0, 0, True, UploadStatus.FAILED)])
def test_final_status_follows_the_counts(valid: int, errors: int, file_failed: bool, expected: UploadStatus) -> None:
    assert final_status(valid, errors, file_failed) is expected
