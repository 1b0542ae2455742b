"""S3's checks of a browser-form (presigned POST) upload, which moto's server does not make.

S3 refuses a form upload whose policy has expired, whose fields break a condition (the exact `key`, the
`bucket`, `starts-with`), whose file is outside `content-length-range`, or whose signature does not match
the policy. moto stores whatever it is sent; `moto_main` installs `violation()` in front of its form
handler so the local stack refuses what AWS would, with S3's error codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Form fields no condition has to cover (S3's own list, plus the file).
_UNCONDITIONED = {"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file", "x-amz-security-token"}


@dataclass(frozen=True)
class Violation:
    status: int
    code: str
    message: str

    def xml(self) -> str:
        return (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{self.code}</Code>"
                f"<Message>{self.message}</Message></Error>")


def violation(
    form: Mapping[str, str], bucket: str, size: int, secret_key: str | None, now: datetime | None = None
) -> Violation | None:
    """What S3 would refuse about this form upload, or None."""
    encoded = form.get("policy")
    if encoded is None:
        return None  # an anonymous form upload: left to the bucket's own policy, as in S3
    if secret_key is not None and not _signature_matches(form, encoded, secret_key):
        return Violation(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
    try:
        policy = json.loads(base64.b64decode(encoded))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return Violation(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if (now or datetime.now(UTC)) >= expiration:
        return Violation(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    fields = {k.lower(): v for k, v in form.items()}
    fields["bucket"] = bucket
    covered: set[str] = set()
    for condition in policy.get("conditions", []):
        problem = _check(condition, fields, size, covered)
        if problem is not None:
            return problem
    extra = {k for k in fields if k not in covered and k not in _UNCONDITIONED and not k.startswith("x-ignore-")}
    if extra:
        return Violation(403, "AccessDenied",
                         f"Invalid according to Policy: Extra input fields: {', '.join(sorted(extra))}")
    return None


def _check(condition: Any, fields: dict[str, str], size: int, covered: set[str]) -> Violation | None:
    if isinstance(condition, dict):
        for name, expected in condition.items():
            covered.add(name.lower())
            if fields.get(name.lower()) != expected:
                return _failed(condition)
        return None
    operator, *args = condition
    if operator == "content-length-range":
        low, high = int(args[0]), int(args[1])
        if size > high:
            return Violation(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            return Violation(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        return None
    name = str(args[0]).lstrip("$").lower()
    covered.add(name)
    value = fields.get(name, "")
    if operator == "eq" and value != args[1]:
        return _failed(condition)
    if operator == "starts-with" and not value.startswith(args[1]):
        return _failed(condition)
    return None


def _failed(condition: Any) -> Violation:
    return Violation(403, "AccessDenied",
                     f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}")


def _signature_matches(form: Mapping[str, str], policy: str, secret_key: str) -> bool:
    if "x-amz-signature" in form:
        credential = form.get("x-amz-credential", "")
        parts = credential.split("/")
        if len(parts) != 5:
            return False
        _, date, region, service, _ = parts
        key = f"AWS4{secret_key}".encode()
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, form["x-amz-signature"])
    if "signature" in form:
        expected_v2 = base64.b64encode(hmac.new(secret_key.encode(), policy.encode(), hashlib.sha1).digest()).decode()
        return hmac.compare_digest(expected_v2, form["signature"])
    return False
