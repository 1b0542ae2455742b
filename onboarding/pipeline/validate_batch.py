"""validator's use case: a batch of pending rows -> products in PostgreSQL, failures to the error queue.

Per batch, whatever its size: one query for the SKUs' current owners, one for which uploads are dry
runs, one transaction that records every row's outcome, upserts the valid products (not a dry run's)
and bumps the counters, and a few
`SendMessageBatch` calls carrying all failed rows in bundles. Categories are cached per container.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from onboarding.config import Settings
from onboarding.domain.errors import UNJUDGED_ROW_CODES, ErrorCode, RowError
from onboarding.domain.messages import ErrorQueueMessage, FailedRow, MessageKind, bundle_failed_rows
from onboarding.domain.rules import CatalogSnapshot, Product, ProductKey, validate_row
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
    snapshot = CatalogSnapshot.build(
        deps.categories.get(deps.catalog),
        deps.catalog.sku_owners(sorted({r.product_data["sku"] for r in rows if r.product_data.get("sku")})),
    )
    by_upload: dict[str, list[PendingRow]] = defaultdict(list)
    for row in rows:
        by_upload[row.upload_id].append(row)

    dry_runs = deps.catalog.dry_runs(sorted(by_upload))
    outcomes: list[RowOutcomes] = []
    failed: dict[str, list[FailedRow]] = {}
    claimed: dict[str, ProductKey] = {}  # SKUs the batch's valid rows take, across its uploads
    for upload_id, upload_rows in by_upload.items():
        dry_run = upload_id in dry_runs
        # The same rules and lookups for a dry run; only its claims stay its own, as it will write nothing.
        products, failures = _judge(upload_rows, snapshot, dict(claimed) if dry_run else claimed)
        columns = frozenset(name for row in upload_rows for name in row.product_data)
        outcomes.append(RowOutcomes(upload_id, products, [f.row_number for f in failures], columns, dry_run))
        failed[upload_id] = failures

    progress = deps.catalog.commit_outcomes(outcomes)
    # After the commit: a crash here replays the batch, which re-sends these (the error processor
    # ignores errors it has already recorded), so no failure is lost between the two systems.
    _send_failures(deps, by_upload, failed, progress)

    valid = sum(len(o.products) for o in outcomes)
    invalid = sum(len(f) for f in failed.values())
    for upload_id, upload_rows in by_upload.items():
        logger.info(
            "batch validated",
            extra=upload_keys(upload_id, upload_rows[0].vendor_id, rows=len(upload_rows),
                              failed=len(failed[upload_id])),
        )
    return BatchResult(valid, invalid, progress)


def _judge(
    rows: Sequence[PendingRow], snapshot: CatalogSnapshot, claimed: dict[str, ProductKey]
) -> tuple[dict[int, Product], list[FailedRow]]:
    products: dict[int, Product] = {}
    failures: list[FailedRow] = []
    for row in rows:
        errors = judge_row(row, snapshot)
        if isinstance(errors, Product):
            holder = claimed.setdefault(errors.sku, errors.key)
            if holder != errors.key:
                # A row of another upload earlier in this batch took the SKU: judged as if that product were in
                # the catalog already (as it is on a replay), not left to the unique index to fail the batch.
                errors = judge_row(row, CatalogSnapshot(snapshot.categories, {**snapshot.sku_owners,
                                                                                errors.sku: holder}))
        if isinstance(errors, Product):
            products[row.row_number] = errors
        else:
            failures.append(FailedRow(row.row_number, row.cells, tuple(errors)))
    return products, failures


def judge_row(row: PendingRow, snapshot: CatalogSnapshot) -> Product | list[RowError]:
    """The parser's findings (structure, in-file duplicates) plus every rule, without repeats."""
    found = [RowError.from_dict(p) for p in row.problems]
    if any(e.code in UNJUDGED_ROW_CODES for e in found):
        return found  # misaligned or cut short: judging the cells against columns would only add noise
    result = validate_row(row.vendor_id, row.row_number, row.product_data, snapshot)
    if isinstance(result, Product) and not found:
        return result
    errors = found + ([] if isinstance(result, Product) else result)
    seen: set[tuple[ErrorCode, str]] = set()
    unique = []
    for error in errors:
        if (error.code, error.field) not in seen:
            seen.add((error.code, error.field))
            unique.append(error)
    return unique


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
