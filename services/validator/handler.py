"""validator Lambda: DynamoDB stream batches of pending rows -> products and error messages."""

from __future__ import annotations

from typing import Any

from onboarding import bootstrap
from onboarding.adapters.records import pending_row
from onboarding.domain.uploads import PendingRow
from onboarding.events import STREAM_INSERT, batch_item_failures, stream_sequence_number
from onboarding.pipeline.observability import lambda_handler, logger
from onboarding.pipeline.validate_batch import validate_batch


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = bootstrap.validator_dependencies()
    rows: list[PendingRow] = []
    sequence_numbers: list[str] = []
    failed: list[str] = []
    for record in event.get("Records", []):
        if record.get("eventName") != STREAM_INSERT:
            continue  # the event source mapping filters these out in AWS; replays rewrite as MODIFY
        try:
            rows.append(pending_row(record))
            sequence_numbers.append(stream_sequence_number(record))
        except (KeyError, TypeError, ValueError):
            logger.exception("malformed stream record", extra={"event_id": record.get("eventID")})
            failed.append(stream_sequence_number(record))
    try:
        validate_batch(deps, rows)
    except Exception:
        # Database or queue trouble: the whole batch is retried (the ledger makes the replay harmless).
        logger.exception("batch failed", extra={"rows": len(rows)})
        failed = sequence_numbers + failed
    return batch_item_failures(failed)
