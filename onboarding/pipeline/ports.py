"""What the use cases need from the outside world, stated as Protocols.

The use cases (`parse_upload`, `validate_batch`, `process_errors`, `register_vendor`) import these and the
domain, never an adapter. `onboarding.bootstrap` hands them the real adapters (PostgreSQL, DynamoDB, SQS,
S3, SNS); the unit tests hand them the in-memory fakes in `tests/fakes.py`, and `tests/contract/` runs the
same assertions against both, so the fakes cannot drift from what the adapters do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Protocol, TypeVar

from onboarding.domain.changes import (
    DEFAULT_MODE,
    BatchContext,
    CatalogEffect,
    FileRows,
    ImportMode,
    VendorRules,
)
from onboarding.domain.errors import RecordedError
from onboarding.domain.report import NotificationRecord
from onboarding.domain.rules import ProductKey
from onboarding.domain.source_file import FileScan, Limits, OpenStream, SourceRow
from onboarding.domain.uploads import (
    HistoryEntry,
    NewUpload,
    PendingRow,
    RowOutcomes,
    StoredObject,
    Upload,
    UploadProgress,
    UploadStatus,
)
from onboarding.domain.vendors import Vendor
from onboarding.domain.webhooks import DeliveryAttempt, DueDelivery, EventType, PostResult, Webhook

T = TypeVar("T")


# -- the catalog and the upload ledger (PostgreSQL) ---------------------------------------------


class Vendors(Protocol):
    def get_vendor(self, vendor_id: str) -> Vendor | None: ...

    def list_vendors(self) -> list[Vendor]: ...

    def registered_vendor_ids(self, candidates: Sequence[str]) -> set[str]:
        """Which of `candidates` (as written) are registered vendor ids, compared case-insensitively."""
        ...

    def save_vendor(self, vendor: Vendor) -> None: ...

    def active_categories(self) -> list[str]: ...


class Products(Protocol):
    def sku_owners(self, skus: Sequence[str]) -> dict[str, ProductKey]:
        """The current owner of each SKU that has one."""
        ...

    def products_of(self, vendor_id: str) -> list[dict[str, Any]]: ...

    def commit_outcomes(self, batches: Sequence[RowOutcomes]) -> dict[str, UploadProgress]:
        """In one transaction: each row's outcome (once: a replayed row is skipped), the valid rows' products
        (none for a dry run, which counts the products it would update), the upload's counters. Returns each
        upload's progress after the commit."""
        ...

    def batch_context(
        self, upload_ids: Sequence[str], vendor_ids: Sequence[str], skus: Sequence[str], keys: Sequence[ProductKey]
    ) -> BatchContext:
        """In one round trip, what the rules need for a batch: the SKUs' owners (deactivated products keep
        theirs), the stored products named by `keys` (with whether they are active), each upload's mode, header
        and dry-run flag, and the vendors' rules."""
        ...


class UploadLedger(Protocol):
    def start_upload(self, upload: NewUpload) -> Upload:
        """Record the upload once as `received` (a replayed event finds it) and return it as it stands."""
        ...

    def receive_ticket_upload(self, upload_id: str, s3_key: str, object_version: str | None) -> Upload | None:
        """An API ticket's file arrived (`awaiting_upload` -> `received`); None if no ticket has this id and key."""
        ...

    def begin_parsing(self, upload_id: str) -> None:
        """`received` -> `parsing` (a replayed event, further on already, changes nothing)."""
        ...

    def status_history(self, upload_id: str) -> list[HistoryEntry]:
        """Every status the upload took, in order."""
        ...

    def get_upload(self, upload_id: str) -> Upload | None: ...

    def recent_uploads(self, limit: int = 20, vendor_id: str | None = None) -> list[Upload]: ...

    def set_upload_layout(
        self, upload_id: str, total_records: int, header: Sequence[str], notes: Sequence[str], write_shards: int,
        mode: ImportMode = DEFAULT_MODE, confirm_replace: bool = False,
    ) -> None: ...

    def upload_progress(self, upload_id: str) -> UploadProgress | None: ...

    def rows_cleared(self, upload_id: str) -> None:
        """The parser deleted a committed dry run's pending rows: the next writes are new rows."""
        ...


class ErrorLedger(Protocol):
    def record_errors(self, upload_id: str, errors: Sequence[RecordedError]) -> int:
        """Record errors; ones already recorded (same row, field and code) are skipped. Returns the new ones."""
        ...

    def upload_errors(self, upload_id: str) -> list[RecordedError]: ...

    def get_notification(self, upload_id: str) -> NotificationRecord | None: ...


class CompletionTransaction(Protocol):
    """An upload locked for finishing, inside one open database transaction.

    Everything read or written through it commits together when the `with` block that opened it ends,
    or not at all; concurrent finishers of the same upload wait for the lock, then find it final.
    """

    upload: Upload
    progress: UploadProgress

    def errors(self) -> list[RecordedError]: ...

    def raise_event(self, event_id: str, event_type: EventType, body: dict[str, Any]) -> str | None:
        """Raise the upload's webhook event in this transaction (once per upload and type). Returns the event id
        when endpoints are to be told, None when none subscribed or it was raised already."""
        ...

    def deactivate_absent(self) -> int:
        """A replace upload: deactivate (with history) its vendor's active products the file did not name.
        Returns the upload's deactivations, its delete rows included."""
        ...

    def finish(
        self,
        status: UploadStatus,
        report_key: str | None,
        failure_reason: str | None,
        notification: NotificationRecord | None,
    ) -> None: ...


class Completions(Protocol):
    def completion(self, upload_id: str) -> AbstractContextManager[CompletionTransaction | None]:
        """The upload locked for finishing, as one transaction; None when it is not there or already final."""
        ...


class DryRunCommitTransaction(Protocol):
    """A dry run locked while its commit is decided, inside one open database transaction."""

    upload: Upload

    def start_real_run(self) -> None:
        """Forget the dry run's outcomes and let the same file run for real, under the same upload id."""
        ...


class DryRunCommits(Protocol):
    def dry_run_commit(self, upload_id: str) -> AbstractContextManager[DryRunCommitTransaction | None]:
        """The upload locked while a commit is decided, as one transaction; None when there is no such upload."""
        ...


class StalledUploads(Protocol):
    def stalled_uploads(self, idle_seconds: int) -> list[str]:
        """Uploads still processing whose last change is older than `idle_seconds`, oldest first; ones the sweeper
        failed on come last, and only once their backoff has passed."""
        ...

    def record_sweep_failure(self, upload_id: str, reason: str, retry_after_s: Callable[[int], int]) -> int:
        """Note that finishing the upload failed; not swept again before `retry_after_s(failures)` seconds.
        Returns how many sweeps have failed on it."""
        ...

    def invalid_rows_without_errors(self, upload_id: str) -> list[int]:
        """Rows judged invalid whose errors were never recorded (a dead-lettered error message)."""
        ...

    def rows_without_outcome(self, upload_id: str, total_records: int) -> list[int]:
        """Rows 1..total_records that never got a valid or invalid outcome (a lost stream record)."""
        ...


class CatalogRules(Protocol):
    """Per-vendor rules and quotas, the parser's file-level checks, and product history."""

    def vendor_and_rules(self, vendor_id: str) -> tuple[Vendor | None, VendorRules | None]:
        """The vendor and its rules, in one round trip."""
        ...

    def uploads_today(self, vendor_id: str, upload_id: str) -> int:
        """The vendor's other uploads since midnight UTC, not counting files rejected whole."""
        ...

    def catalog_effect(self, upload_id: str, vendor_id: str, rows: FileRows, mode: ImportMode) -> CatalogEffect:
        """What the file would do to the vendor's active products; for a replace, also records the file's ids
        (what the completion's `deactivate_absent` keeps)."""
        ...

    def vendor_rules(self, vendor_id: str) -> VendorRules | None: ...

    def save_vendor_rules(self, rules: VendorRules) -> None: ...

    def product_history(self, vendor_id: str, vendor_product_id: str) -> list[dict[str, Any]]:
        """Every recorded change to one product, oldest first: upload_id, file_name, event, changes, at."""
        ...


class Catalog(
    Vendors, Products, UploadLedger, ErrorLedger, Completions, DryRunCommits, StalledUploads, CatalogRules, Protocol
):
    """The catalog and the upload ledger: PostgreSQL in production, `FakeCatalog` in unit tests."""


class WebhookStore(Protocol):
    """Vendors' webhook endpoints, the outbox of deliveries and every attempt (PostgreSQL)."""

    def create_webhook(self, webhook: Webhook, secret: str) -> None: ...

    def webhooks_of(self, vendor_id: str) -> list[Webhook]: ...

    def get_webhook(self, vendor_id: str, webhook_id: str) -> Webhook | None: ...

    def delete_webhook(self, vendor_id: str, webhook_id: str) -> bool:
        """Stop delivering to it; False when the vendor has no such webhook."""
        ...

    def delivery_attempts(self, webhook_id: str, limit: int, after_attempt_id: int | None) -> list[DeliveryAttempt]:
        ...

    def claim_due_deliveries(
        self, limit: int, lease_s: int, event_ids: Sequence[str] | None = None
    ) -> list[DueDelivery]:
        """Deliveries due now (of these events, or all), leased to the caller for `lease_s` seconds."""
        ...

    def record_attempt(
        self, delivery: DueDelivery, status_code: int | None, error: str | None, delivered: bool,
        retry_in_s: int | None,
    ) -> None: ...


class Poster(Protocol):
    """HTTP POST to a webhook endpoint: its status code, or why there was none (timeout, refused, TLS)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult: ...


class EventAnnouncer(Protocol):
    """The webhook sender's queue: told of each raised event, so it is tried at once."""

    def announce(self, event_ids: Sequence[str]) -> None: ...


# -- the rest of the outside world ----------------------------------------------------------------


class PendingRowStore(Protocol):
    """`UploadRecords`: the parser's rows waiting for the validator (DynamoDB and its stream)."""

    @property
    def write_shards(self) -> int:
        """Partition key values per upload that `put_rows` writes under (recorded with the upload)."""
        ...

    def put_rows(self, rows: Iterable[PendingRow]) -> int:
        """Write every row (rewriting one that is there already); returns rows written."""
        ...

    def get_rows(self, upload_id: str, row_numbers: Sequence[int], write_shards: int | None = None) -> list[PendingRow]:
        """The stored rows among `row_numbers` (missing ones are left out)."""
        ...

    def delete_rows(self, upload_id: str, row_numbers: Iterable[int], write_shards: int | None = None) -> int:
        """Delete rows by number (the stream reports REMOVE, which the validator ignores); returns rows asked."""
        ...


class Queue(Protocol):
    """A queue we send to: the error queue (to the error processor), the upload queue (to the parser)."""

    def send_all(self, bodies: Iterable[str]) -> int: ...


class ObjectStore(Protocol):
    """Uploaded objects, error reports and the quarantine (S3)."""

    def describe(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        """Raises `ObjectGone` when the object (or that version) does not exist."""
        ...

    def open(self, obj: StoredObject) -> BinaryIO: ...

    def put_text(self, bucket: str, key: str, text: str, content_type: str) -> None: ...

    def read_text(self, bucket: str, key: str) -> str: ...

    def move(self, obj: StoredObject, destination_key: str) -> None: ...


class Notifier(Protocol):
    """Vendor emails and operator alerts (SNS, filtered per vendor)."""

    def publish(self, topic_arn: str, vendor_id: str, upload_id: str, subject: str, message: str) -> str:
        """Publish one notification; returns its message id."""
        ...

    def subscribe_vendor(self, topic_arn: str, vendor_id: str, protocol: str, endpoint: str) -> str:
        """Subscribe an endpoint to one vendor's notifications only; returns the subscription's id."""
        ...

    def unsubscribe(self, topic_arn: str, protocol: str, endpoint: str) -> int:
        """End every confirmed subscription of `endpoint` to the topic; returns how many."""
        ...


class FileReader(Protocol):
    """The two passes over a vendor's file (`onboarding.reading`); the bench hands in a timed one."""

    def scan_file(
        self, open_stream: OpenStream, file_name: str, limits: Limits, required_columns: Sequence[str] = ...
    ) -> FileScan:
        """`required_columns`: what the header must name (default: every required column)."""
        ...

    def read_rows(self, open_stream: OpenStream, scan: FileScan, limits: Limits) -> Iterator[SourceRow]: ...


class OutageRetry(Protocol):
    """Runs an idempotent action, again while the database is briefly unreachable (bounded), then raises."""

    def __call__(self, action: Callable[[], T]) -> T: ...
