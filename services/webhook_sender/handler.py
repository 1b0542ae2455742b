"""webhook_sender Lambda: deliver the webhook events uploads raised, signed, at least once.

Its queue names events to try at once (sent by the error processor as an upload becomes final); a schedule
runs it every minute for the retries that have come due. A failed POST is not an error of this function: it is
recorded and retried on the schedule; only a failure to reach the database fails the message (and, after a few
receives, dead-letters it: the DLQ's alarm tells operators).
"""

from __future__ import annotations

from typing import Any

from onboarding import bootstrap
from onboarding.adapters.webhook_delivery import announced_event_id
from onboarding.events import batch_item_failures, is_scheduled_event
from onboarding.pipeline.observability import lambda_handler, logger
from onboarding.pipeline.webhooks import send_due


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = bootstrap.webhook_dependencies()
    if is_scheduled_event(event):
        report = send_due(deps)
        return {"delivered": report.delivered, "retrying": report.retrying, "given_up": report.given_up}
    failed: list[str] = []
    for message in event.get("Records", []):
        try:
            send_due(deps, [announced_event_id(message["body"])])
        except Exception:
            logger.exception("webhook message failed", extra={"message_id": message.get("messageId")})
            failed.append(message["messageId"])
    return batch_item_failures(failed)
