"""validator's use case: a batch of pending rows -> products in PostgreSQL, failures to the error queue.

Per batch, whatever its size: one query for what the rules need of the database (the SKUs' owners, the
stored products, the uploads' modes and whether they are dry runs, the vendors' rules), one transaction
that records every row's outcome, writes the products (not a dry run's) with their history and warnings
and bumps the counters, and a few
`SendMessageBatch` calls carrying all failed rows in bundles. Categories are cached per container.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from onboarding.config import Settings
from onboarding.domain.changes import (
    DEFAULT_MODE,
    ImportMode,
    ProductChange,
    RowWarnings,
    StoredProduct,
    Thresholds,
    UploadContext,
    VendorRules,
    decide_row,
)
from onboarding.domain.errors import UNJUDGED_ROW_CODES, ErrorCode, RowError
from onboarding.domain.messages import ErrorQueueMessage, FailedRow, MessageKind, bundle_failed_rows, original_row
from onboarding.domain.rules import CatalogSnapshot, ProductKey
from onboarding.domain.uploads import PendingRow, RowOutcomes, UploadProgress
from onboarding.pipeline.logs import get_logger, upload_keys
from onboarding.pipeline.ports import Catalog, OutageRetry, Queue, Vendors

logger = get_logger()


@dataclass
class CategoryCache:
    """Active categories, re-read at most every `ttl_s` seconds."""

    ttl_s: int
    names: list[str] = field(default_factory=list)
    loaded_at: float = float("-inf")

    def get(self, catalog: Vendors) -> list[str]:
        if time.monotonic() - self.loaded_at > self.ttl_s:
            self.names = catalog.active_categories()
            self.loaded_at = time.monotonic()
        return self.names


@dataclass(frozen=True)
class ValidatorDependencies:
    settings: Settings
    catalog: Catalog
    error_queue: Queue
    categories: CategoryCache
    while_unreachable: OutageRetry


@dataclass(frozen=True)
class BatchResult:
    valid: int
    invalid: int
    progress: dict[str, UploadProgress]


def validate_batch(deps: ValidatorDependencies, rows: Sequence[PendingRow]) -> BatchResult:
    """Validate and commit one batch. Raises on infrastructure failure, so the batch is retried whole.

    A database outage is waited out here first (bounded): the batch is idempotent, thanks to the ledger.
    """
    return deps.while_unreachable(lambda: _validate_batch(deps, rows))


def _validate_batch(deps: ValidatorDependencies, rows: Sequence[PendingRow]) -> BatchResult:
    if not rows:
        return BatchResult(0, 0, {})
    by_upload: dict[str, list[PendingRow]] = defaultdict(list)
    for row in rows:
        by_upload[row.upload_id].append(row)
    context = deps.catalog.batch_context(
        upload_ids=sorted(by_upload),
        vendor_ids=sorted({r.vendor_id for r in rows}),
        skus=sorted({r.product_data["sku"] for r in rows if r.product_data.get("sku")}),
        keys=sorted({ProductKey(r.vendor_id, r.product_data["vendor_product_id"]) for r in rows
                     if r.product_data.get("vendor_product_id")}, key=lambda k: (k.vendor_id, k.vendor_product_id)),
    )
    snapshot = CatalogSnapshot.build(deps.categories.get(deps.catalog), context.sku_owners)
    thresholds = Thresholds(Decimal(str(deps.settings.price_change_factor)))

    outcomes: list[RowOutcomes] = []
    failed: dict[str, list[FailedRow]] = {}
    claimed: dict[str, ProductKey] = {}  # SKUs the batch's valid rows take, across its uploads
    for upload_id, upload_rows in by_upload.items():
        upload = context.uploads.get(upload_id, UploadContext(DEFAULT_MODE, ()))
        judge = RowJudge(upload.mode, context.stored, context.rules, thresholds)
        # The same rules and lookups for a dry run; only its claims stay its own, as it will write nothing.
        changes, failures = _judge(upload_rows, judge, snapshot, dict(claimed) if upload.dry_run else claimed)
        columns = frozenset(name for row in upload_rows for name in row.product_data)
        warnings = [RowWarnings(changes[r.row_number].warnings, original_row(upload.header, r.cells))
                    for r in upload_rows if r.row_number in changes and changes[r.row_number].warnings]
        outcomes.append(RowOutcomes(upload_id, changes, [f.row_number for f in failures], columns,
                                    upload.dry_run, warnings))
        failed[upload_id] = failures

    progress = deps.catalog.commit_outcomes(outcomes)
    # After the commit: a crash here replays the batch, which re-sends these (the error processor
    # ignores errors it has already recorded), so no failure is lost between the two systems.
    _send_failures(deps, by_upload, failed, progress)

    valid = sum(len(o.changes) for o in outcomes)
    invalid = sum(len(f) for f in failed.values())
    for upload_id, upload_rows in by_upload.items():
        logger.info(
            "batch validated",
            extra=upload_keys(upload_id, upload_rows[0].vendor_id, rows=len(upload_rows),
                              failed=len(failed[upload_id])),
        )
    return BatchResult(valid, invalid, progress)


@dataclass(frozen=True)
class RowJudge:
    """How the rows of one upload are judged: its mode, the stored products, the vendors' rules."""

    mode: ImportMode
    stored: Mapping[ProductKey, StoredProduct]
    rules: Mapping[str, VendorRules]
    thresholds: Thresholds = Thresholds()  # noqa: RUF009 (frozen, immutable)

    def __call__(self, row: PendingRow, snapshot: CatalogSnapshot) -> ProductChange | list[RowError]:
        """The parser's findings (structure, in-file duplicates) plus every rule, without repeats."""
        found = [RowError.from_dict(p) for p in row.problems]
        if any(e.code in UNJUDGED_ROW_CODES for e in found):
            return found  # misaligned or cut short: judging the cells against columns would only add noise
        key = ProductKey(row.vendor_id, row.product_data.get("vendor_product_id", ""))
        result = decide_row(row.vendor_id, row.row_number, row.product_data, self.mode, self.stored.get(key),
                            snapshot, self.rules.get(row.vendor_id), self.thresholds)
        if isinstance(result, ProductChange) and not found:
            return result
        errors = found + ([] if isinstance(result, ProductChange) else result)
        seen: set[tuple[ErrorCode, str]] = set()
        unique = []
        for error in errors:
            if (error.code, error.field) not in seen:
                seen.add((error.code, error.field))
                unique.append(error)
        return unique


def _judge(
    rows: Sequence[PendingRow], judge: RowJudge, snapshot: CatalogSnapshot, claimed: dict[str, ProductKey]
) -> tuple[dict[int, ProductChange], list[FailedRow]]:
    changes: dict[int, ProductChange] = {}
    failures: list[FailedRow] = []
    for row in rows:
        result = judge(row, snapshot)
        if isinstance(result, ProductChange) and result.is_active:
            holder = claimed.setdefault(result.product.sku, result.product.key)
            if holder != result.product.key:
                # A row of another upload earlier in this batch took the SKU: judged as if that product were in
                # the catalog already (as it is on a replay), not left to the unique index to fail the batch.
                result = judge(row, CatalogSnapshot(snapshot.categories, {**snapshot.sku_owners,
                                                                          result.product.sku: holder}))
        if isinstance(result, ProductChange):
            changes[row.row_number] = result
        else:
            failures.append(FailedRow(row.row_number, row.cells, tuple(result)))
    return changes, failures


def _send_failures(
    deps: ValidatorDependencies,
    by_upload: dict[str, list[PendingRow]],
    failed: dict[str, list[FailedRow]],
    progress: dict[str, UploadProgress],
) -> None:
    bodies: list[str] = []
    for upload_id, failures in failed.items():
        vendor_id = by_upload[upload_id][0].vendor_id
        if failures:
            bodies += [
                m.to_json()
                for m in bundle_failed_rows(upload_id, vendor_id, failures, deps.settings.error_message_max_bytes)
            ]
        elif _all_rows_accounted(progress[upload_id]):
            # No failures to carry the news: tell the error processor the upload may be complete.
            bodies.append(ErrorQueueMessage(MessageKind.CHECK_UPLOAD, upload_id, vendor_id).to_json())
    if bodies:
        deps.error_queue.send_all(bodies)


def _all_rows_accounted(progress: UploadProgress) -> bool:
    return progress.total_records is not None and progress.accounted_records >= progress.total_records
