"""api_authorizer Lambda (same image as the API, other command): a bearer key -> the vendor it speaks for.

Raises "Unauthorized" (API Gateway answers 401) for a missing, unknown or revoked key; a Deny policy
(403) for a vendor that is not active; otherwise Allow, with the vendor as the request's context.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from onboarding import bootstrap
from onboarding.api.auth import authorizer_response
from onboarding.pipeline.logs import SERVICE_NAME

logger = Logger(service=SERVICE_NAME)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorizer_response(bootstrap.api_keys(), event)
