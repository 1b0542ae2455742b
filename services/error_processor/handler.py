"""error_processor Lambda: error-queue messages -> recorded errors, one report and one email per upload.

Also run on a schedule, to finish uploads that stopped making progress and expire unused API tickets.
"""

from __future__ import annotations

from typing import Any

from onboarding import bootstrap
from onboarding.domain.messages import ErrorQueueMessage
from onboarding.events import batch_item_failures, is_scheduled_event
from onboarding.pipeline.observability import lambda_handler, logger
from onboarding.pipeline.process_errors import process_message, sweep_stalled_uploads
from onboarding.pipeline.vendor_api import expire_unused_tickets


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = bootstrap.error_processor_dependencies()
    if is_scheduled_event(event):
        expired = expire_unused_tickets(bootstrap.tickets(), deps.settings)
        finished = sweep_stalled_uploads(deps)
        return {"finished_uploads": finished, "expired_tickets": expired}
    failed: list[str] = []
    for message in event.get("Records", []):
        try:
            process_message(deps, ErrorQueueMessage.from_json(message["body"]))
        except Exception:
            logger.exception("error message failed", extra={"message_id": message.get("messageId")})
            failed.append(message["messageId"])
    return batch_item_failures(failed)
