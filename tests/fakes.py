"""In-memory fakes of every port in `onboarding.pipeline.ports`, for the use cases' unit tests.

Each keeps the promises its port states and the real adapter keeps (replays skipped, one transaction per
completion, a SKU held by one product); `tests/contract/` runs the same assertions against a fake and the
real adapter so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import io
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, BinaryIO, TypeVar

from onboarding import bootstrap
from onboarding.config import Settings
from onboarding.domain.changes import (
    DEFAULT_MODE,
    BatchContext,
    CatalogEffect,
    ChangeKind,
    FileRows,
    ImportMode,
    StoredProduct,
    UploadContext,
    VendorRules,
)
from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.errors import FILE_LEVEL_ROW, RecordedError, Severity
from onboarding.domain.publishable import check_publishable
from onboarding.domain.report import NotificationRecord
from onboarding.domain.rules import Product, ProductKey
from onboarding.domain.uploads import (
    HistoryEntry,
    NewUpload,
    ObjectGone,
    PendingRow,
    RowOutcomes,
    StoredObject,
    Upload,
    UploadProgress,
    UploadStatus,
)
from onboarding.domain.vendors import Vendor
from onboarding.domain.webhooks import EventType

T = TypeVar("T")


class DuplicateSku(Exception):
    """What the database's unique index on `products.sku` does to a transaction that breaks it."""


@dataclass
class _State:
    vendors: dict[str, Vendor] = field(default_factory=dict)
    products: dict[ProductKey, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    touched: dict[str, float] = field(default_factory=dict)  # upload_history.updated_at
    outcomes: dict[str, dict[int, str]] = field(default_factory=dict)  # upload_rows
    errors: dict[str, list[RecordedError]] = field(default_factory=dict)  # validation_errors
    notifications: dict[str, NotificationRecord] = field(default_factory=dict)
    sweep_failures: dict[str, int] = field(default_factory=dict)
    next_sweep_at: dict[str, float] = field(default_factory=dict)
    # webhook_events: (upload id, event type) -> (event id, body); every event counts as subscribed to
    events: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # product_history
    vendor_rules: dict[str, VendorRules] = field(default_factory=dict)
    file_ids: dict[str, set[str]] = field(default_factory=dict)  # upload_product_ids
    statuses: dict[str, list[HistoryEntry]] = field(default_factory=dict)  # upload_status_history


def _note_status(state: _State, upload_id: str, previous: UploadStatus | None) -> None:
    """A status change leaves its line, as the real adapter writes one in the changing transaction."""
    current = state.uploads[upload_id].status
    if current is not previous:
        state.statuses.setdefault(upload_id, []).append(HistoryEntry(current, datetime.now(UTC), None))


class FakeCatalog:
    """The catalog and upload ledger in memory. Every method is one transaction: it works on a copy of the
    state and swaps it in only when it succeeds, so a failure leaves nothing behind, as a rollback would."""

    def __init__(self, categories: Iterable[str] = ("Electronics", "Kitchen", "Books")) -> None:
        self._state = _State()
        self._categories = list(categories)
        self._lock = threading.RLock()  # one writer at a time, as row locks serialise the real writes
        self._upload_locks: dict[str, threading.Lock] = {}
        self.transactions = 0  # transactions begun: a use case's round trips to the database

    @contextmanager
    def _transaction(self) -> Iterator[_State]:
        with self._lock:
            self.transactions += 1
            working = copy.deepcopy(self._state)
            before = {upload_id: upload.status for upload_id, upload in working.uploads.items()}
            yield working
            for upload_id in working.uploads:
                _note_status(working, upload_id, before.get(upload_id))
            self._state = working

    def _read(self) -> _State:
        self.transactions += 1
        return self._state

    # -- vendors

    def get_vendor(self, vendor_id: str) -> Vendor | None:
        return self._read().vendors.get(vendor_id)

    def list_vendors(self) -> list[Vendor]:
        return sorted(self._read().vendors.values(), key=lambda v: v.vendor_id)

    def registered_vendor_ids(self, candidates: Sequence[str]) -> set[str]:
        registered = {vendor_id.lower() for vendor_id in self._read().vendors}
        return {c for c in candidates if c.lower() in registered}

    def save_vendor(self, vendor: Vendor) -> None:
        with self._transaction() as state:
            state.vendors[vendor.vendor_id] = vendor

    def active_categories(self) -> list[str]:
        self.transactions += 1
        return list(self._categories)

    # -- products

    def sku_owners(self, skus: Sequence[str]) -> dict[str, ProductKey]:
        wanted = set(skus)
        return {p["sku"]: key for key, p in self._read().products.items() if p["sku"] in wanted}

    def batch_context(
        self, upload_ids: Sequence[str], vendor_ids: Sequence[str], skus: Sequence[str], keys: Sequence[ProductKey]
    ) -> BatchContext:
        state = self._read()
        wanted_skus, wanted_keys = set(skus), set(keys)
        return BatchContext(
            sku_owners={p["sku"]: key for key, p in state.products.items() if p["sku"] in wanted_skus},
            stored={key: _stored(p) for key, p in state.products.items() if key in wanted_keys},
            uploads={u: UploadContext(state.uploads[u].mode or DEFAULT_MODE, state.uploads[u].source_header or (),
                                      state.uploads[u].dry_run)
                     for u in upload_ids if u in state.uploads},
            rules={v: state.vendor_rules[v] for v in vendor_ids if v in state.vendor_rules},
        )

    def products_of(self, vendor_id: str) -> list[dict[str, Any]]:
        found = [dict(p) for key, p in self._read().products.items() if key.vendor_id == vendor_id]
        return sorted(found, key=lambda p: str(p["vendor_product_id"]))

    def commit_outcomes(self, batches: Sequence[RowOutcomes]) -> dict[str, UploadProgress]:
        progress: dict[str, UploadProgress] = {}
        with self._transaction() as state:
            for batch in batches:
                upload = state.uploads[batch.upload_id]  # KeyError: the real UPDATE ... RETURNING finds no row
                ledger = state.outcomes.setdefault(batch.upload_id, {})
                judged_as_it_is = upload.dry_run == batch.dry_run  # else an old dry-run batch, replayed
                new_valid = [n for n in batch.changes if n not in ledger] if judged_as_it_is else []
                for n in new_valid:
                    ledger[n] = "valid"
                new_invalid = [n for n in batch.invalid_rows if n not in ledger] if judged_as_it_is else []
                for n in new_invalid:
                    ledger[n] = "invalid"
                changes = [batch.changes[n] for n in new_valid]
                for change in [] if batch.dry_run else changes:
                    if change.kind.writes:
                        _upsert(state, change.product, batch.upload_id, batch.columns, change.is_active)
                        _record_history(state, batch.upload_id, change.product.key, str(change.kind),
                                        {f: {"old": old, "new": new} for f, (old, new) in change.changes.items()})
                recorded = state.errors.setdefault(batch.upload_id, [])
                for row in batch.warnings:
                    recorded += [RecordedError(w, row.original_row) for w in row.warnings
                                 if w.row_number in new_valid and _error_key(RecordedError(w, None)) not in
                                 {_error_key(e) for e in recorded}]
                counts = Counter(c.kind for c in changes)
                upload = replace(
                    upload, valid_records=upload.valid_records + len(new_valid),
                    error_records=upload.error_records + len(new_invalid),
                    would_update_records=upload.would_update_records + (
                        len(changes) - counts[ChangeKind.CREATE] if batch.dry_run else 0),
                    created_records=upload.created_records + counts[ChangeKind.CREATE],
                    updated_records=upload.updated_records + counts[ChangeKind.UPDATE] + counts[ChangeKind.REACTIVATE],
                    unchanged_records=upload.unchanged_records + counts[ChangeKind.UNCHANGED],
                    deactivated_records=upload.deactivated_records + counts[ChangeKind.DEACTIVATE],
                    warning_records=upload.warning_records + sum(1 for c in changes if c.warnings),
                )
                if upload.status is UploadStatus.VALIDATING and upload.total_records is not None \
                        and upload.valid_records + upload.error_records >= upload.total_records:
                    upload = replace(upload, status=UploadStatus.REPORTING)
                state.uploads[batch.upload_id] = upload
                state.touched[batch.upload_id] = time.monotonic()
                progress[batch.upload_id] = UploadProgress(upload.total_records, upload.valid_records,
                                                           upload.error_records, reported_error_rows=0)
        return progress

    # -- uploads

    def start_upload(self, upload: NewUpload) -> Upload:
        with self._transaction() as state:
            if upload.upload_id not in state.uploads:
                state.uploads[upload.upload_id] = Upload(
                    upload_id=upload.upload_id, vendor_id=upload.vendor_id, file_name=upload.file_name,
                    s3_bucket=upload.s3_bucket, s3_key=upload.s3_key, status=UploadStatus.RECEIVED,
                    total_records=None, valid_records=0, error_records=0, source_header=None, file_notes=(),
                    write_shards=None, error_report_key=None, failure_reason=None,
                    started_at=datetime.now(UTC), completed_at=None, dry_run=upload.dry_run,
                    object_version=upload.object_version,
                )
                state.touched[upload.upload_id] = time.monotonic()
            return state.uploads[upload.upload_id]

    def receive_ticket_upload(self, upload_id: str, s3_key: str, object_version: str | None) -> Upload | None:
        with self._transaction() as state:
            upload = state.uploads.get(upload_id)
            if upload is None or upload.s3_key != s3_key:
                return None
            if upload.status is UploadStatus.AWAITING_UPLOAD:
                upload = replace(upload, status=UploadStatus.RECEIVED, object_version=object_version)
                state.uploads[upload_id] = upload
                state.touched[upload_id] = time.monotonic()
            return upload

    def begin_parsing(self, upload_id: str) -> None:
        self._move(upload_id, UploadStatus.RECEIVED, UploadStatus.PARSING)

    def status_history(self, upload_id: str) -> list[HistoryEntry]:
        return list(self._read().statuses.get(upload_id, []))

    def _move(self, upload_id: str, leaving: UploadStatus, to: UploadStatus) -> None:
        with self._transaction() as state:
            upload = state.uploads.get(upload_id)
            if upload is not None and upload.status is leaving:
                state.uploads[upload_id] = replace(upload, status=to)

    def get_upload(self, upload_id: str) -> Upload | None:
        return self._read().uploads.get(upload_id)

    def recent_uploads(self, limit: int = 20, vendor_id: str | None = None) -> list[Upload]:
        uploads = [u for u in self._read().uploads.values() if vendor_id is None or u.vendor_id == vendor_id]
        return sorted(uploads, key=lambda u: u.started_at, reverse=True)[:limit]

    def set_upload_layout(
        self, upload_id: str, total_records: int, header: Sequence[str], notes: Sequence[str], write_shards: int,
        mode: ImportMode = DEFAULT_MODE, confirm_replace: bool = False,
    ) -> None:
        with self._transaction() as state:
            upload = state.uploads.get(upload_id)
            if upload is None or upload.total_records not in (None, total_records):
                return
            state.uploads[upload_id] = replace(upload, total_records=total_records, source_header=tuple(header),
                                               file_notes=tuple(notes), write_shards=write_shards, mode=mode,
                                               confirm_replace=confirm_replace,
                                               status=UploadStatus.VALIDATING if upload.status is UploadStatus.PARSING
                                               else upload.status)
            state.touched[upload_id] = time.monotonic()

    def upload_progress(self, upload_id: str) -> UploadProgress | None:
        return _progress(self._read(), upload_id)

    def rows_cleared(self, upload_id: str) -> None:
        with self._transaction() as state:
            state.uploads[upload_id] = replace(state.uploads[upload_id], rewrite_rows=False)
            state.touched[upload_id] = time.monotonic()

    # -- errors and notifications

    def record_errors(self, upload_id: str, errors: Sequence[RecordedError]) -> int:
        if not errors:
            return 0
        with self._transaction() as state:
            recorded = state.errors.setdefault(upload_id, [])
            seen = {_error_key(e) for e in recorded}
            new = 0
            for error in errors:
                if _error_key(error) not in seen:
                    seen.add(_error_key(error))
                    recorded.append(error)
                    new += 1
            state.touched[upload_id] = time.monotonic()
        return new

    def upload_errors(self, upload_id: str) -> list[RecordedError]:
        return _ordered_errors(self._read(), upload_id)

    def get_notification(self, upload_id: str) -> NotificationRecord | None:
        return self._read().notifications.get(upload_id)

    # -- completion

    @contextmanager
    def completion(self, upload_id: str) -> Iterator[FakeCompletion | None]:
        with self._lock:
            upload_lock = self._upload_locks.setdefault(upload_id, threading.Lock())
        with upload_lock:  # SELECT ... FOR UPDATE: a second finisher waits here
            self.transactions += 1
            upload = self._state.uploads.get(upload_id)
            if upload is None or upload.status.is_final or upload.status is UploadStatus.AWAITING_UPLOAD:
                yield None
                return
            progress = _progress(self._state, upload_id)
            assert progress is not None
            raised = {key for key in self._state.events if key[0] == upload_id}
            completion = FakeCompletion(upload, progress, _ordered_errors(self._state, upload_id), raised,
                                        lambda: _absent_from_file(self._state, upload))
            yield completion
            if completion.finished is not None:  # committed only when the block ends without an error
                with self._lock:
                    self._apply_finish(upload_id, completion)

    def _apply_finish(self, upload_id: str, completion: FakeCompletion) -> None:
        assert completion.finished is not None
        status, report_key, reason, notification = completion.finished
        upload = self._state.uploads[upload_id]
        self._state.uploads[upload_id] = replace(
            upload, status=status, error_report_key=report_key, failure_reason=reason,
            total_records=upload.total_records or 0, completed_at=datetime.now(UTC),
        )
        _note_status(self._state, upload_id, upload.status)
        self._state.touched[upload_id] = time.monotonic()
        for product_key in completion.deactivated:
            self._state.products[product_key].update(is_active=False, upload_id=upload_id)
            _record_history(self._state, upload_id, product_key, str(ChangeKind.DEACTIVATE),
                            {"is_active": {"old": True, "new": False}})
        if completion.deactivated:
            self._state.uploads[upload_id] = replace(
                self._state.uploads[upload_id],
                deactivated_records=self._state.uploads[upload_id].deactivated_records + len(completion.deactivated))
        if notification is not None:
            self._state.notifications.setdefault(upload_id, notification)
        for key, event in completion.raised_now.items():
            self._state.events.setdefault(key, event)

    def raised_events(self, upload_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(event id, type, body) of the webhook events the upload raised."""
        return [(event_id, key[1], body) for key, (event_id, body) in self._read().events.items()
                if key[0] == upload_id]

    # -- committing a dry run

    @contextmanager
    def dry_run_commit(self, upload_id: str) -> Iterator[FakeDryRunCommit | None]:
        with self._transaction() as state:
            upload = state.uploads.get(upload_id)
            yield None if upload is None else FakeDryRunCommit(state, upload)

    # -- the sweeper's view

    def stalled_uploads(self, idle_seconds: int) -> list[str]:
        state = self._read()
        now = time.monotonic()
        stalled = [u for u in state.uploads.values()
                   if u.status.is_in_progress and state.touched[u.upload_id] < now - idle_seconds
                   and state.next_sweep_at.get(u.upload_id, now) <= now]
        order = sorted(stalled, key=lambda u: (state.sweep_failures.get(u.upload_id, 0), state.touched[u.upload_id]))
        return [u.upload_id for u in order]

    def record_sweep_failure(self, upload_id: str, reason: str, retry_after_s: Callable[[int], int]) -> int:
        with self._transaction() as state:
            if upload_id not in state.uploads:
                return 0
            failures = state.sweep_failures[upload_id] = state.sweep_failures.get(upload_id, 0) + 1
            state.next_sweep_at[upload_id] = time.monotonic() + retry_after_s(failures)
        return failures

    def invalid_rows_without_errors(self, upload_id: str) -> list[int]:
        state = self._read()
        reported = {e.error.row_number for e in state.errors.get(upload_id, []) if e.error.severity is Severity.ERROR}
        invalid = [n for n, outcome in state.outcomes.get(upload_id, {}).items() if outcome == "invalid"]
        return sorted(n for n in invalid if n not in reported)

    def rows_without_outcome(self, upload_id: str, total_records: int) -> list[int]:
        ledger = self._read().outcomes.get(upload_id, {})
        return [n for n in range(1, total_records + 1) if n not in ledger]

    # -- vendor rules, the parser's file-level checks, history

    def vendor_and_rules(self, vendor_id: str) -> tuple[Vendor | None, VendorRules | None]:
        state = self._read()
        return state.vendors.get(vendor_id), state.vendor_rules.get(vendor_id)

    def uploads_today(self, vendor_id: str, upload_id: str) -> int:
        today = datetime.now(UTC).date()
        return sum(1 for u in self._read().uploads.values()
                   if u.vendor_id == vendor_id and u.upload_id != upload_id and u.started_at.date() == today
                   and not (u.status is UploadStatus.FAILED and u.valid_records == 0)
                   and u.status not in (UploadStatus.AWAITING_UPLOAD, UploadStatus.EXPIRED))

    def catalog_effect(self, upload_id: str, vendor_id: str, rows: FileRows, mode: ImportMode) -> CatalogEffect:
        with self._transaction() as state:
            if mode is ImportMode.REPLACE:
                state.file_ids.setdefault(upload_id, set()).update(rows.upserted)
            mine = {key.vendor_product_id: p for key, p in state.products.items() if key.vendor_id == vendor_id}
            active = {i for i, p in mine.items() if p["is_active"]}
            activate = sum(1 for i in rows.upserted
                           if (i not in mine and mode is not ImportMode.UPDATE_ONLY) or (i in mine and i not in active))
            deactivate = sum(1 for i in active
                             if (mode is ImportMode.REPLACE and i not in rows.upserted) or i in rows.deleted)
            return CatalogEffect(len(active), activate, deactivate)

    def vendor_rules(self, vendor_id: str) -> VendorRules | None:
        return self._read().vendor_rules.get(vendor_id)

    def save_vendor_rules(self, rules: VendorRules) -> None:
        with self._transaction() as state:
            state.vendor_rules[rules.vendor_id] = rules

    def product_history(self, vendor_id: str, vendor_product_id: str) -> list[dict[str, Any]]:
        state = self._read()
        return [{**h, "file_name": state.uploads[h["upload_id"]].file_name} for h in state.history
                if (h["vendor_id"], h["vendor_product_id"]) == (vendor_id, vendor_product_id)]


class FakeCompletion:
    """The locked upload; `finish` is applied when the completion's `with` block ends (the commit)."""

    def __init__(self, upload: Upload, progress: UploadProgress, errors: list[RecordedError],
                 raised_before: set[tuple[str, str]], absent: Callable[[], list[ProductKey]]) -> None:
        self.upload = upload
        self.progress = progress
        self._errors = errors
        self._raised_before = raised_before
        self.raised_now: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        self._absent = absent
        self.deactivated: list[ProductKey] = []
        self.finished: tuple[UploadStatus, str | None, str | None, NotificationRecord | None] | None = None

    def deactivate_absent(self) -> int:
        self.deactivated = self._absent()
        return self.upload.deactivated_records + len(self.deactivated)

    def errors(self) -> list[RecordedError]:
        return list(self._errors)

    def raise_event(self, event_id: str, event_type: EventType, body: dict[str, Any]) -> str | None:
        key = (self.upload.upload_id, str(event_type))
        if key in self._raised_before or key in self.raised_now:
            return None
        self.raised_now[key] = (event_id, body)
        return event_id

    def finish(
        self,
        status: UploadStatus,
        report_key: str | None,
        failure_reason: str | None,
        notification: NotificationRecord | None,
    ) -> None:
        self.finished = (status, report_key, failure_reason, notification)


class FakeDryRunCommit:
    """A dry run being committed, inside the catalog's transaction."""

    def __init__(self, state: _State, upload: Upload) -> None:
        self._state = state
        self.upload = upload

    def start_real_run(self) -> None:
        upload_id = self.upload.upload_id
        for table in (self._state.outcomes, self._state.errors, self._state.notifications):
            table.pop(upload_id, None)
        self._state.uploads[upload_id] = replace(
            self.upload, dry_run=False, committed_at=datetime.now(UTC), rewrite_rows=True,
            status=UploadStatus.RECEIVED, valid_records=0, error_records=0, would_update_records=0,
            error_report_key=None, failure_reason=None, completed_at=None, created_records=0, updated_records=0,
            unchanged_records=0, deactivated_records=0, warning_records=0,
        )
        _note_status(self._state, upload_id, self.upload.status)
        self._state.sweep_failures.pop(upload_id, None)
        self._state.next_sweep_at.pop(upload_id, None)
        self._state.touched[upload_id] = time.monotonic()


def _upsert(state: _State, product: Product, upload_id: str, columns: frozenset[str], is_active: bool = True) -> None:
    holder = next((key for key, p in state.products.items() if p["sku"] == product.sku), None)
    if holder is not None and holder != product.key:
        raise DuplicateSku(f"sku {product.sku} is held by {holder}")
    values = {"vendor_id": product.vendor_id, **{c: getattr(product, c) for c in CSV_COLUMNS}}
    existing = state.products.get(product.key)
    if existing is None:
        state.products[product.key] = {**values, "is_active": is_active, "upload_id": upload_id}
    else:  # only the file's columns change on an existing product
        existing.update({c: values[c] for c in CSV_COLUMNS[1:] if c in columns})
        existing.update(is_active=is_active, upload_id=upload_id)


def _stored(values: dict[str, Any]) -> StoredProduct:
    product = Product(**{k: v for k, v in values.items() if k not in ("is_active", "upload_id")})
    return StoredProduct(product, bool(values["is_active"]))


def _record_history(state: _State, upload_id: str, key: ProductKey, event: str, changes: dict[str, Any]) -> None:
    """One event per product per upload, as the table's unique constraint keeps it."""
    if any((h["upload_id"], h["vendor_id"], h["vendor_product_id"]) == (upload_id, *astuple(key))
           for h in state.history):
        return
    state.history.append({"vendor_id": key.vendor_id, "vendor_product_id": key.vendor_product_id,
                          "upload_id": upload_id, "event": event, "changes": changes, "at": datetime.now(UTC)})


def _absent_from_file(state: _State, upload: Upload) -> list[ProductKey]:
    named = state.file_ids.get(upload.upload_id, set())
    return [key for key, p in state.products.items()
            if key.vendor_id == upload.vendor_id and p["is_active"] and key.vendor_product_id not in named]


def _progress(state: _State, upload_id: str) -> UploadProgress | None:
    upload = state.uploads.get(upload_id)
    if upload is None:
        return None
    reported = len({e.error.row_number for e in state.errors.get(upload_id, [])
                    if e.error.row_number > 0 and e.error.severity is Severity.ERROR})
    file_failed = any(e.error.row_number == FILE_LEVEL_ROW for e in state.errors.get(upload_id, []))
    return UploadProgress(upload.total_records, upload.valid_records, upload.error_records, reported, file_failed)


def _error_key(error: RecordedError) -> tuple[int, str, str]:
    return error.error.row_number, str(error.error.code), error.error.field


def _ordered_errors(state: _State, upload_id: str) -> list[RecordedError]:
    return sorted(state.errors.get(upload_id, []), key=lambda e: e.error.row_number)


class FakeRowStore:
    """`UploadRecords` in memory: one item per (upload, row), rewritten in place by a replay."""

    def __init__(self, write_shards: int = 1) -> None:
        self._write_shards = write_shards
        self.rows: dict[tuple[str, int], PendingRow] = {}
        self.writes = 0  # rows written, rewrites included (a rewrite is a MODIFY on the stream, not an INSERT)

    @property
    def write_shards(self) -> int:
        return self._write_shards

    def put_rows(self, rows: Iterable[PendingRow]) -> int:
        written = 0
        for row in rows:
            self.rows[(row.upload_id, row.row_number)] = row
            written += 1
        self.writes += written
        return written

    def get_rows(self, upload_id: str, row_numbers: Sequence[int], write_shards: int | None = None) -> list[PendingRow]:
        return [self.rows[(upload_id, n)] for n in row_numbers if (upload_id, n) in self.rows]

    def delete_rows(self, upload_id: str, row_numbers: Iterable[int], write_shards: int | None = None) -> int:
        asked = list(row_numbers)
        for n in asked:
            self.rows.pop((upload_id, n), None)
        return len(asked)

    def of_upload(self, upload_id: str) -> list[PendingRow]:
        return sorted((r for (u, _), r in self.rows.items() if u == upload_id), key=lambda r: r.row_number)


class FakeQueue:
    """The error queue: what was sent, in order; `take()` hands it to the next consumer."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.calls = 0

    def send_all(self, bodies: Iterable[str]) -> int:
        batch = list(bodies)
        self.calls += 1
        self.sent += batch
        return len(batch)

    def take(self) -> list[str]:
        taken, self.sent = self.sent, []
        return taken


class FakeStorage:
    """Objects by bucket and key, one version each."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self._versions = itertools.count(1)
        self._version_of: dict[tuple[str, str], str] = {}
        self._metadata_of: dict[tuple[str, str], dict[str, str]] = {}
        self.opened = 0

    def put(self, bucket: str, key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
        self.objects[(bucket, key)] = body
        self._version_of[(bucket, key)] = f"v{next(self._versions)}"
        self._metadata_of[(bucket, key)] = dict(metadata or {})

    def describe(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        found = self.objects.get((bucket, key))
        if found is None or (version_id and version_id != self._version_of[(bucket, key)]):
            raise ObjectGone(f"s3://{bucket}/{key} no longer exists")
        return StoredObject(bucket, key, len(found), f"etag-{hash(found) & 0xFFFF:x}",
                            self._version_of[(bucket, key)], datetime(2026, 1, 1, tzinfo=UTC),
                            self._metadata_of.get((bucket, key), {}))

    def open(self, obj: StoredObject) -> BinaryIO:
        self.opened += 1
        return io.BytesIO(self.objects[(obj.bucket, obj.key)])

    def put_text(self, bucket: str, key: str, text: str, content_type: str) -> None:
        self.put(bucket, key, text.encode("utf-8"))

    def read_text(self, bucket: str, key: str) -> str:
        return self.objects[(bucket, key)].decode("utf-8")

    def move(self, obj: StoredObject, destination_key: str) -> None:
        self.put(obj.bucket, destination_key, self.objects.pop((obj.bucket, obj.key)))


@dataclass(frozen=True)
class Published:
    topic_arn: str
    vendor_id: str
    upload_id: str
    subject: str
    message: str


class FakeNotifier:
    def __init__(self) -> None:
        self.published: list[Published] = []
        self.subscriptions: list[tuple[str, str, str, str]] = []
        self._lock = threading.Lock()

    def publish(self, topic_arn: str, vendor_id: str, upload_id: str, subject: str, message: str) -> str:
        check_publishable(subject, message)  # as the real notifier: what SNS would refuse never goes out
        with self._lock:
            self.published.append(Published(topic_arn, vendor_id, upload_id, subject, message))
            return f"message-{len(self.published)}"

    def subscribe_vendor(self, topic_arn: str, vendor_id: str, protocol: str, endpoint: str) -> str:
        if (topic_arn, vendor_id, protocol, endpoint) not in self.subscriptions:  # SNS makes no duplicates
            self.subscriptions.append((topic_arn, vendor_id, protocol, endpoint))
        return f"{topic_arn}:{endpoint}"

    def unsubscribe(self, topic_arn: str, protocol: str, endpoint: str) -> int:
        ended = [s for s in self.subscriptions if (s[0], s[2], s[3]) == (topic_arn, protocol, endpoint)]
        self.subscriptions = [s for s in self.subscriptions if s not in ended]
        return len(ended)


class FakeAnnouncer:
    """The webhook sender's queue: the event ids it was told of."""

    def __init__(self) -> None:
        self.announced: list[str] = []

    def announce(self, event_ids: Sequence[str]) -> None:
        self.announced += event_ids


def run_once(action: Callable[[], T]) -> T:
    """No database to wait for."""
    return action()


@dataclass
class Fakes:
    """Every port faked, and the container the composition root wires from them."""

    catalog: FakeCatalog = field(default_factory=FakeCatalog)
    records: FakeRowStore = field(default_factory=FakeRowStore)
    error_queue: FakeQueue = field(default_factory=FakeQueue)
    storage: FakeStorage = field(default_factory=FakeStorage)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    announcer: FakeAnnouncer = field(default_factory=FakeAnnouncer)
    settings: Settings = field(default_factory=Settings)

    @cached_property
    def container(self) -> bootstrap.Container:
        return bootstrap.build(self.settings, bootstrap.Overrides(
            catalog=self.catalog, records=self.records, error_queue=self.error_queue, storage=self.storage,
            notifier=self.notifier, while_unreachable=run_once, webhook_queue=self.announcer,
        ))
