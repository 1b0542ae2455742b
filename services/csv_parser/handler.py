"""csv_parser Lambda: S3 upload notifications (through SQS) -> pending rows in DynamoDB."""

from __future__ import annotations

from typing import Any

from onboarding import bootstrap
from onboarding.events import batch_item_failures, s3_objects
from onboarding.pipeline.observability import lambda_handler, logger
from onboarding.pipeline.parse_upload import parse_upload


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = bootstrap.parser_dependencies()
    failed: list[str] = []
    for message in event.get("Records", []):
        try:
            for obj in s3_objects(message["body"]):
                parse_upload(deps, obj.bucket, obj.key, obj.version_id)
        except Exception:
            # Infrastructure trouble (vendor data problems never raise): retry just this message.
            logger.exception("upload message failed", extra={"message_id": message.get("messageId")})
            failed.append(message["messageId"])
    return batch_item_failures(failed)
