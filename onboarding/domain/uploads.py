"""Uploads: where a file must live, what it is called, and when it is finished."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from onboarding.domain.changes import ImportMode, ImportSummary, ProductChange, RowWarnings
from onboarding.domain.characters import described, first_not_in_a_name
from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.errors import ErrorCode, FileRejected

MAX_VENDOR_ID_CHARS = 64
VENDOR_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Where a vendor id at the start of a file name can end: `VEND002_prices.csv`, `VEND002.csv`, `VEND002 march.csv`.
_NAME_SEPARATORS = "_.- "
SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".xlsx")
MAX_FILE_NAME_CHARS = 255


# The sweeper's patience with an upload it cannot finish (its report or notification keeps failing): it retries
# after SWEEP_RETRY_AFTER_S, then twice that, and so on, and after MAX_SWEEP_FAILURES gives up on it (failed,
# PROCESSING_FAILED, operators alerted, the vendor told to upload again).
MAX_SWEEP_FAILURES = 3
SWEEP_RETRY_AFTER_S = 120


def sweep_retry_after_s(failures: int) -> int:
    """How long the sweeper leaves an upload alone after its `failures`-th failed attempt."""
    return int(SWEEP_RETRY_AFTER_S * 2 ** max(0, failures - 1))


class UploadStatus(StrEnum):
    """Where an upload is. The in-progress statuses follow the pipeline's stages; the rest are final."""

    AWAITING_UPLOAD = "awaiting_upload"  # an API ticket, its file not received yet
    RECEIVED = "received"  # the file is in S3 and its event reached the parser
    PARSING = "parsing"  # the parser is reading the file
    VALIDATING = "validating"  # rows are being written and judged
    REPORTING = "reporting"  # every row has an outcome; the report and the email are being made
    COMPLETED = "completed"  # every row is in the catalog
    PARTIAL = "partial"  # some rows are in the catalog, the rest in the error report
    FAILED = "failed"  # nothing reached the catalog
    EXPIRED = "expired"  # a ticket whose file never came
    VALIDATED = "validated"  # a dry run, judged; final until committed

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_in_progress(self) -> bool:
        """The pipeline is working on it (the sweeper's concern)."""
        return self in IN_PROGRESS_STATUSES


FINAL_STATUSES: frozenset[UploadStatus] = frozenset({
    UploadStatus.COMPLETED, UploadStatus.PARTIAL, UploadStatus.FAILED, UploadStatus.EXPIRED, UploadStatus.VALIDATED,
})
IN_PROGRESS_STATUSES: tuple[UploadStatus, ...] = (
    UploadStatus.RECEIVED, UploadStatus.PARSING, UploadStatus.VALIDATING, UploadStatus.REPORTING,
)


@dataclass(frozen=True)
class UploadKey:
    """An object key under the upload prefix, checked: `uploads/<VENDOR_ID>/<file name>`, or for an API
    ticket `uploads/<VENDOR_ID>/<UPLOAD_ID>/<file name>` (the ticket's id travels in the key)."""

    vendor_id: str
    file_name: str
    ticket_upload_id: str | None = None


_TICKET_ID = re.compile(r"^UPLOAD_[A-Za-z0-9][A-Za-z0-9_-]{0,63}_[0-9]{14}_T[0-9A-F]{12}$")


def parse_upload_key(key: str, upload_prefix: str) -> UploadKey:
    """Split an S3 key into vendor and file name. Raises `FileRejected` for any other shape."""
    if not key.startswith(upload_prefix):
        raise FileRejected(ErrorCode.INVALID_UPLOAD_KEY, f"Files must be uploaded under {upload_prefix}<VENDOR_ID>/.")
    parts = key[len(upload_prefix):].split("/")
    ticket_upload_id = None
    if len(parts) == 3 and _TICKET_ID.match(parts[1]) and parts[1].startswith(f"UPLOAD_{parts[0]}_"):
        ticket_upload_id = parts.pop(1)
    if len(parts) != 2 or not parts[1]:
        raise FileRejected(
            ErrorCode.INVALID_UPLOAD_KEY,
            f"Files must be uploaded directly under {upload_prefix}<VENDOR_ID>/, not in a sub-folder.",
        )
    vendor_id, file_name = parts
    if not VENDOR_ID_PATTERN.match(vendor_id):
        raise FileRejected(ErrorCode.INVALID_UPLOAD_KEY, "The folder name is not a valid vendor id.")
    return UploadKey(vendor_id=vendor_id, file_name=file_name, ticket_upload_id=ticket_upload_id)


def ticket_upload_id(vendor_id: str, created_at: datetime, nonce: str) -> str:
    """An API ticket's upload id: the same shape as a derived one, its last part random (`T` + 12 hex)."""
    return f"UPLOAD_{vendor_id}_{created_at:%Y%m%d%H%M%S}_T{nonce.upper()[:12]}"


def ticket_object_key(upload_prefix: str, vendor_id: str, upload_id: str, file_name: str) -> str:
    """Where a ticket's file must be posted: the presigned POST's policy pins exactly this key."""
    return f"{upload_prefix}{vendor_id}/{upload_id}/{file_name}"


def claimed_vendor_ids(file_name: str) -> list[str]:
    """Every vendor id the name could start with: each prefix that ends before a separator and is shaped like a
    vendor id (`ACME-EU_prices.csv` -> `ACME`, `ACME-EU`). Only the ones that are registered vendors matter."""
    return [
        file_name[:end]
        for end, char in enumerate(file_name[: MAX_VENDOR_ID_CHARS + 1])
        if char in _NAME_SEPARATORS and end and VENDOR_ID_PATTERN.match(file_name[:end])
    ]


def check_file_name(upload: UploadKey, registered_claims: Collection[str]) -> None:
    """A file name must be one a mailbox, a log line and an email can carry, must not start with another
    registered vendor's id, and must be a type we read.

    `registered_claims`: which of `claimed_vendor_ids(file_name)` are registered vendor ids. The longest one is
    what the name claims (`ACME-EU_x.csv` in ACME-EU's folder claims ACME-EU, even if ACME is a vendor too);
    a name like `catalog2024.csv` or `Q4-2025.csv` claims no one.
    """
    name = upload.file_name
    bad = first_not_in_a_name(name)
    if bad is not None:
        raise FileRejected(
            ErrorCode.INVALID_FILE_NAME,
            f"The file name contains a control character, line separator or direction mark ({described(bad)}), "
            "which we cannot show faithfully in an email or a report: rename the file using letters, digits, "
            "spaces, '-', '_' and '.', "
            "and upload it again.",
        )
    if len(name) > MAX_FILE_NAME_CHARS:
        raise FileRejected(
            ErrorCode.INVALID_FILE_NAME,
            f"The file name has {len(name)} characters; rename the file to at most {MAX_FILE_NAME_CHARS} "
            "and upload it again.",
        )
    claimed = max(registered_claims, key=len, default=None)
    if claimed is not None and claimed.casefold() != upload.vendor_id.casefold():
        raise FileRejected(
            ErrorCode.VENDOR_MISMATCH,
            f"The file name starts with vendor id {claimed} but was uploaded to the folder of {upload.vendor_id}.",
        )
    if not name.lower().endswith(SUPPORTED_SUFFIXES):
        raise FileRejected(
            ErrorCode.UNSUPPORTED_FILE_TYPE,
            f"Only {', '.join(SUPPORTED_SUFFIXES)} files are accepted; '{upload.file_name}' is none of them.",
        )


def make_upload_id(vendor_id: str, object_identity: str, created_at: datetime) -> str:
    """A stable id for one version of one object.

    The same S3 event delivered twice (or moto's two events for one multipart upload) names the same
    object version, so gets the same id; two vendors uploading the same file name in the same second
    differ in key, so get two ids (a bare `UPLOAD_<timestamp>` would merge the one and split the other).
    """
    digest = hashlib.sha256(object_identity.encode()).hexdigest()[:12].upper()
    return f"UPLOAD_{vendor_id}_{created_at:%Y%m%d%H%M%S}_{digest}"


@dataclass(frozen=True)
class UploadProgress:
    """How far an upload has come; every row ends as valid (a product) or an error (in the report)."""

    total_records: int | None
    valid_records: int
    error_records: int
    reported_error_rows: int  # error rows the error processor has recorded for the report
    file_failed: bool = False  # an error about the whole file is recorded: the upload ends whatever its rows

    @property
    def accounted_records(self) -> int:
        return self.valid_records + self.error_records

    @property
    def is_complete(self) -> bool:
        return (
            self.total_records is not None
            and self.accounted_records >= self.total_records
            and self.reported_error_rows >= self.error_records
        )

    @property
    def may_finish(self) -> bool:
        """Every row has its outcome and its errors, or the whole file failed: the upload can be finished."""
        return self.file_failed or self.is_complete


def final_status(
    valid_records: int, error_records: int, file_failed: bool = False, dry_run: bool = False
) -> UploadStatus:
    if dry_run and not file_failed:
        return UploadStatus.VALIDATED  # even with no valid row: the vendor asked what a commit would do
    if file_failed or valid_records == 0:
        return UploadStatus.FAILED
    if error_records == 0:
        return UploadStatus.COMPLETED
    return UploadStatus.PARTIAL


@dataclass(frozen=True)
class Upload:
    """One upload as recorded in `upload_history`."""

    upload_id: str
    vendor_id: str
    file_name: str
    s3_bucket: str
    s3_key: str
    status: UploadStatus
    total_records: int | None
    valid_records: int
    error_records: int
    source_header: tuple[str, ...] | None
    file_notes: tuple[str, ...]
    write_shards: int | None  # partition key values its rows were written under; None: not written yet
    error_report_key: str | None
    failure_reason: str | None
    started_at: datetime
    completed_at: datetime | None
    mode: ImportMode | None = None  # as asked (the API's ticket) or resolved by the parser; None = upsert
    confirm_replace: bool = False
    created_records: int = 0
    updated_records: int = 0  # reactivated products included
    unchanged_records: int = 0
    deactivated_records: int = 0  # by delete rows, and by a replace after the file
    warning_records: int = 0  # accepted rows with at least one warning
    dry_run: bool = False
    would_update_records: int = 0  # of a dry run's valid rows, those whose product exists already
    committed_at: datetime | None = None  # when a dry run was committed (it then runs for real)
    rewrite_rows: bool = False  # a commit asked the parser to write the rows again, as new
    object_version: str | None = None  # the S3 version read (None where the bucket is not versioned)
    expires_at: datetime | None = None  # an API ticket's deadline for its file

    @property
    def would_create_records(self) -> int:
        return self.valid_records - self.would_update_records


@dataclass(frozen=True)
class NewUpload:
    """An upload as the parser first records it, from the object that arrived."""

    upload_id: str
    vendor_id: str
    file_name: str
    s3_bucket: str
    s3_key: str
    object_version: str | None
    dry_run: bool = False


@dataclass(frozen=True)
class RowOutcomes:
    """What the validator decided for the rows of one upload in one batch."""

    upload_id: str
    changes: Mapping[int, ProductChange]  # row_number -> what the valid row does to its product
    invalid_rows: Sequence[int]
    # The product columns the file has: only these change on an existing product.
    columns: frozenset[str] = field(default_factory=lambda: frozenset(CSV_COLUMNS))
    dry_run: bool = False  # judged as a dry run: counted, and nothing written to the catalog
    warnings: Sequence[RowWarnings] = ()  # of valid rows: recorded with the changes, reported with the errors


def quarantine_key(key: str, upload_prefix: str, quarantine_prefix: str) -> str:
    """Where a file from the wrong sender is moved: the same path under the quarantine prefix."""
    return quarantine_prefix + key.removeprefix(upload_prefix)


@dataclass(frozen=True)
class StoredObject:
    """One version of an uploaded object, as storage describes it."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None
    last_modified: datetime
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata (x-amz-meta-*), keys lower-case

    @property
    def identity(self) -> str:
        """What makes this object version unique, for the upload id."""
        version = self.version_id if self.version_id not in (None, "null") else f"etag:{self.etag}"
        return f"s3://{self.bucket}/{self.key}#{version}"


class ObjectGone(LookupError):
    """The object (or the version) named by an event no longer exists: deleted, or quarantined already."""


@dataclass(frozen=True)
class PendingRow:
    """One data row as the parser stores it and the validator reads it from the stream."""

    upload_id: str
    vendor_id: str
    row_number: int
    product_data: dict[str, str]
    cells: tuple[str, ...]
    problems: tuple[dict[str, Any], ...] = ()  # RowError dicts found by the parser (structure, in-file duplicates)


def import_summary(upload: Upload) -> ImportSummary:
    """What the upload did to the catalog (so far), from its counters."""
    return ImportSummary(
        created=upload.created_records, updated=upload.updated_records, unchanged=upload.unchanged_records,
        deactivated=upload.deactivated_records, rejected=upload.error_records, warnings=upload.warning_records,
    )
@dataclass(frozen=True)
class HistoryEntry:
    """One status an upload took, when, and why."""

    status: UploadStatus
    at: datetime
    detail: str | None


@dataclass(frozen=True)
class UploadDetail:
    upload: Upload
    history: list[HistoryEntry]
