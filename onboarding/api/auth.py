"""The authorizer's side of API Gateway: a key in, an IAM policy with the caller as context out; and the
function's side: the caller read back from `requestContext.authorizer`.

API Gateway (REST, TOKEN authorizer) answers 401 itself when the header is missing or the authorizer says
"Unauthorized", and 403 on a Deny policy; the local server (`onboarding/local/api_server.py`) does the same.
"""

from __future__ import annotations

from typing import Any

from onboarding.domain.api_keys import Caller, bearer_token
from onboarding.pipeline.vendor_api import Access, AccessDecision, KeyLookup, authorize

UNAUTHORIZED_MESSAGE = "Unauthorized"  # the exact error text that makes API Gateway answer 401


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__(UNAUTHORIZED_MESSAGE)


def authorizer_response(keys: KeyLookup, event: dict[str, Any]) -> dict[str, Any]:
    """A TOKEN authorizer's answer. Raises `Unauthorized` (401) for a missing, unknown or revoked key."""
    decision = authorize(keys, bearer_token(event.get("authorizationToken")))
    if decision.access is Access.UNAUTHORIZED or decision.caller is None:
        raise Unauthorized
    return _policy(decision, event["methodArn"])


def _policy(decision: AccessDecision, method_arn: str) -> dict[str, Any]:
    caller = decision.caller
    assert caller is not None  # noqa: S101 (checked by the caller)
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> every method of this stage, so a
    # cached decision (if caching is ever enabled) covers the caller's other routes too.
    api_arn = "/".join(method_arn.split("/")[:2]) + "/*"
    effect = "Allow" if decision.access is Access.ALLOW else "Deny"
    return {
        "principalId": caller.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": api_arn}],
        },
        # Context values must be strings, numbers or booleans.
        "context": {
            "key_id": caller.key_id,
            "vendor_id": caller.vendor_id or "",
            "operator": "true" if caller.operator else "false",
            "vendor_status": caller.vendor_status or "",
        },
    }


def caller_from_event(event: dict[str, Any]) -> Caller | None:
    """The caller the authorizer established; None if the request did not come through it."""
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    key_id = context.get("key_id")
    if not key_id:
        return None
    return Caller(
        key_id=str(key_id),
        vendor_id=str(context.get("vendor_id") or "") or None,
        operator=str(context.get("operator")).lower() == "true",
        vendor_status=str(context.get("vendor_status") or "") or None,
    )
