"""csv_parser's use case: one uploaded object -> one pending DynamoDB item per data row.

The file is read twice, streaming both times: a scan checks its structure and counts its rows
before anything is written (a broken file fails whole, and the upload's total is known before the
first row reaches the validator), then the rows are written in `BatchWriteItem`s of 25.
Replaying the same event finds the same upload id and rewrites the same items, which DynamoDB's
stream reports as MODIFY, not INSERT: the validator never sees a row twice because of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

from onboarding.config import Settings
from onboarding.domain.changes import (
    CONFIRM_REPLACE_METADATA,
    MODE_METADATA,
    FileRows,
    ImportMode,
    RowAction,
    check_product_quota,
    check_replace_guard,
    check_upload_quota,
    header_required_columns,
    parse_flag,
    parse_mode,
)
from onboarding.domain.characters import carried
from onboarding.domain.columns import ACTION_COLUMN
from onboarding.domain.dry_runs import is_dry_run_metadata
from onboarding.domain.errors import OPERATOR_CODES, ErrorCode, FileRejected
from onboarding.domain.messages import ErrorQueueMessage, MessageKind
from onboarding.domain.rules import InFileDuplicates
from onboarding.domain.source_file import FileScan, Limits, OpenStream
from onboarding.domain.uploads import (
    NewUpload,
    ObjectGone,
    PendingRow,
    StoredObject,
    Upload,
    UploadKey,
    check_file_name,
    claimed_vendor_ids,
    make_upload_id,
    parse_upload_key,
    quarantine_key,
)
from onboarding.domain.vendors import check_vendor_may_upload
from onboarding.pipeline.logs import get_logger, upload_keys
from onboarding.pipeline.ports import Catalog, FileReader, ObjectStore, OutageRetry, PendingRowStore, Queue

logger = get_logger()

UNKNOWN_FOLDER = "UNKNOWN"  # vendor id recorded for a key outside uploads/<VENDOR_ID>/


class ParseOutcome(StrEnum):
    ROWS_WRITTEN = "rows_written"
    FILE_REJECTED = "file_rejected"
    ALREADY_FINAL = "already_final"  # a replayed event for an upload that has finished
    OBJECT_GONE = "object_gone"  # deleted (or quarantined) before we got to it
    TICKET_USED = "ticket_used"  # another file was already posted with this API ticket


@dataclass(frozen=True)
class ParseResult:
    outcome: ParseOutcome
    upload_id: str | None = None
    rows: int = 0


@dataclass(frozen=True)
class ParserDependencies:
    settings: Settings
    storage: ObjectStore
    records: PendingRowStore
    catalog: Catalog
    error_queue: Queue
    file_reader: FileReader
    while_unreachable: OutageRetry


@dataclass(frozen=True)
class UploadIdentity:
    upload_id: str
    vendor_id: str
    file_name: str
    upload_key: UploadKey | None
    key_problem: FileRejected | None


def identify_upload(obj: StoredObject, upload_prefix: str) -> UploadIdentity:
    """Which upload an object version is (the CLI computes the same id right after its PUT)."""
    try:
        upload_key: UploadKey | None = parse_upload_key(obj.key, upload_prefix)
        key_problem = None
    except FileRejected as rejection:
        upload_key, key_problem = None, rejection
    vendor_id = upload_key.vendor_id if upload_key else UNKNOWN_FOLDER
    # As stored and shown: a character PostgreSQL or an email cannot carry is replaced (the name is refused anyway).
    file_name = carried(upload_key.file_name if upload_key else obj.key.rsplit("/", 1)[-1])
    if upload_key is not None and upload_key.ticket_upload_id is not None:
        upload_id = upload_key.ticket_upload_id  # posted through an API ticket: the pipeline keeps its id
    else:
        upload_id = make_upload_id(vendor_id, obj.identity, obj.last_modified)
    return UploadIdentity(upload_id, vendor_id, file_name, upload_key, key_problem)


def _not_a_ticket(identity: UploadIdentity, obj: StoredObject) -> UploadIdentity:
    """A key shaped like a ticket's that no ticket issued: a plain upload in a sub-folder, rejected as such."""
    problem = FileRejected(ErrorCode.INVALID_UPLOAD_KEY,
                           "This upload ticket does not exist; ask the API for a new one and post the file with it.")
    upload_id = make_upload_id(identity.vendor_id, obj.identity, obj.last_modified)
    return UploadIdentity(upload_id, identity.vendor_id, identity.file_name, None, problem)


def parse_upload(deps: ParserDependencies, bucket: str, key: str, version_id: str | None = None) -> ParseResult:
    """Turn one S3 object into pending rows, or into one file-level error for the error processor.

    A database outage is waited out here first (bounded); parsing the same object again is harmless.
    """
    return deps.while_unreachable(lambda: _parse_upload(deps, bucket, key, version_id))


def _parse_upload(deps: ParserDependencies, bucket: str, key: str, version_id: str | None) -> ParseResult:
    try:
        obj = deps.storage.describe(bucket, key, version_id)
    except ObjectGone:
        logger.warning("object no longer exists", extra={"bucket": bucket, "key": key})
        return ParseResult(ParseOutcome.OBJECT_GONE)

    identity = identify_upload(obj, deps.settings.upload_prefix)
    upload = None
    if identity.upload_key is not None and identity.upload_key.ticket_upload_id is not None:
        upload = deps.catalog.receive_ticket_upload(identity.upload_id, key, obj.version_id)
        if upload is None:
            identity = _not_a_ticket(identity, obj)
    upload_id, vendor_id, file_name = identity.upload_id, identity.vendor_id, identity.file_name
    upload_key, key_problem = identity.upload_key, identity.key_problem
    log = upload_keys(upload_id, vendor_id, file_name=file_name)

    if upload is None:
        upload = deps.catalog.start_upload(
            NewUpload(upload_id, vendor_id, file_name, bucket, key, obj.version_id,
                      dry_run=is_dry_run_metadata(obj.metadata))
        )
    if upload.status.is_final:
        logger.info("upload already final; event ignored", extra=log)
        return ParseResult(ParseOutcome.ALREADY_FINAL, upload_id)
    if upload.object_version not in (None, "null") and upload.object_version != obj.version_id:
        # A second file posted with the same ticket: the ticket's upload is the first one.
        logger.warning("ticket already used; later file ignored", extra={**log, "version_id": obj.version_id})
        return ParseResult(ParseOutcome.TICKET_USED, upload_id)
    if upload.rewrite_rows:
        _clear_dry_run_rows(deps, upload)
    deps.catalog.begin_parsing(upload_id)

    try:
        if key_problem is not None:
            raise key_problem
        assert upload_key is not None  # noqa: S101 (no key problem => parsed)
        request = _import_request(upload, obj)
        scan = _check_upload(deps, upload_key, obj, upload_id, request)
    except FileRejected as rejection:
        _reject(deps, obj, upload_id, vendor_id, rejection)
        logger.warning("file rejected", extra={**log, "error_code": str(rejection.code)})
        return ParseResult(ParseOutcome.FILE_REJECTED, upload_id)

    deps.catalog.set_upload_layout(upload_id, scan.data_rows, scan.layout.header, scan.notes,
                                   deps.records.write_shards, request.mode, request.confirm_replace)
    written = deps.records.put_rows(_pending_rows(deps, obj, scan, upload_id, vendor_id))
    logger.info("rows written", extra={**log, "rows": written, "encoding": scan.layout.encoding,
                                       "mode": str(request.mode)})
    return ParseResult(ParseOutcome.ROWS_WRITTEN, upload_id, written)


def _clear_dry_run_rows(deps: ParserDependencies, upload: Upload) -> None:
    """A committed dry run: delete its pending rows, so writing them again reaches the validator as new rows."""
    if upload.total_records and upload.write_shards is not None:
        deps.records.delete_rows(upload.upload_id, range(1, upload.total_records + 1), upload.write_shards)
    deps.catalog.rows_cleared(upload.upload_id)
    logger.info("dry run committed: rows written again", extra=upload_keys(upload.upload_id, upload.vendor_id))


@dataclass(frozen=True)
class ImportRequest:
    mode: ImportMode
    confirm_replace: bool


def _import_request(upload: Upload, obj: StoredObject) -> ImportRequest:
    """The mode the upload asked for: the API's ticket when it set one, else the object's metadata
    (`mode`), else `upsert`. Either may confirm a replace (`confirm_replace`, `confirm-replace: true`)."""
    mode = upload.mode or parse_mode(obj.metadata.get(MODE_METADATA))
    confirm = upload.confirm_replace or parse_flag(obj.metadata.get(CONFIRM_REPLACE_METADATA))
    return ImportRequest(mode, confirm)


def _limits(settings: Settings) -> Limits:
    return Limits(settings.max_file_bytes, settings.max_rows, settings.max_cell_chars)


def _check_upload(
    deps: ParserDependencies, upload_key: UploadKey, obj: StoredObject, upload_id: str, request: ImportRequest
) -> FileScan:
    """Who sent it, what it is called, how big it is, whether it reads as a catalog file, and whether the
    vendor's quotas and (for a replace) the guard allow it."""
    vendor, rules = deps.catalog.vendor_and_rules(upload_key.vendor_id)
    check_vendor_may_upload(upload_key.vendor_id, vendor)
    claims = claimed_vendor_ids(upload_key.file_name)
    check_file_name(upload_key, deps.catalog.registered_vendor_ids(claims))
    if rules is not None and rules.max_uploads_per_day is not None:
        check_upload_quota(deps.catalog.uploads_today(upload_key.vendor_id, upload_id), rules)
    limits = _limits(deps.settings)
    if obj.size > limits.max_file_bytes:
        raise FileRejected(
            ErrorCode.FILE_TOO_LARGE,
            f"The file is {obj.size / 1_048_576:.1f} MB; the limit is {limits.max_file_bytes / 1_048_576:.0f} MB.",
        )
    scan = deps.file_reader.scan_file(_opener(deps.storage, obj), upload_key.file_name, limits,
                                      header_required_columns(request.mode))
    if request.mode is ImportMode.REPLACE or (rules is not None and rules.max_active_products is not None):
        # One more streaming pass, only when needed: the replace guard and the product quota are decided
        # before any row is written, so a file that fails them changes nothing.
        file_rows = _file_rows(deps, obj, scan)
        effect = deps.catalog.catalog_effect(upload_id, upload_key.vendor_id, file_rows, request.mode)
        if request.mode is ImportMode.REPLACE:
            check_replace_guard(effect, deps.settings.replace_guard_share, request.confirm_replace)
        check_product_quota(effect, rules)
    return scan


def _file_rows(deps: ParserDependencies, obj: StoredObject, scan: FileScan) -> FileRows:
    upserted: set[str] = set()
    deleted: set[str] = set()
    for row in deps.file_reader.read_rows(_opener(deps.storage, obj), scan, _limits(deps.settings)):
        product_id = row.product_data.get("vendor_product_id", "")
        if product_id:
            is_delete = row.product_data.get(ACTION_COLUMN, "").strip().casefold() == RowAction.DELETE
            (deleted if is_delete else upserted).add(product_id)
    return FileRows(frozenset(upserted), frozenset(deleted - upserted))


def _opener(storage: ObjectStore, obj: StoredObject) -> OpenStream:
    def open_object() -> BinaryIO:
        return storage.open(obj)

    return open_object


def _pending_rows(
    deps: ParserDependencies, obj: StoredObject, scan: FileScan, upload_id: str, vendor_id: str
) -> Iterator[PendingRow]:
    duplicates = InFileDuplicates()
    for row in deps.file_reader.read_rows(_opener(deps.storage, obj), scan, _limits(deps.settings)):
        problems = [*row.problems, *duplicates.check(row.row_number, row.product_data)]
        yield PendingRow(
            upload_id=upload_id,
            vendor_id=vendor_id,
            row_number=row.row_number,
            product_data=row.product_data,
            cells=row.cells,
            problems=tuple(p.to_dict() for p in problems),
        )


def _reject(
    deps: ParserDependencies, obj: StoredObject, upload_id: str, vendor_id: str, rejection: FileRejected
) -> None:
    """Hand the file-level error to the error processor; quarantine files from the wrong sender."""
    message = ErrorQueueMessage(
        MessageKind.FILE_ERROR, upload_id, vendor_id, file_error=rejection.as_row_error()
    )
    deps.error_queue.send_all([message.to_json()])
    if rejection.code in OPERATOR_CODES:
        settings = deps.settings
        deps.storage.move(obj, quarantine_key(obj.key, settings.upload_prefix, settings.quarantine_prefix))
