"""API upload tickets: what one is, how a repeated request is recognised, and a rate limit's verdict."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onboarding.domain.changes import ImportMode

IDEMPOTENCY_TTL_S = 24 * 3600  # the contract: a replay within 24 hours gets the first answer


@dataclass(frozen=True)
class NewTicket:
    upload_id: str
    vendor_id: str
    file_name: str
    s3_bucket: str
    s3_key: str
    dry_run: bool
    mode: ImportMode | None
    confirm_replace: bool
    expires_at: datetime


@dataclass(frozen=True)
class IdempotentRequest:
    idempotency_key: str
    request_hash: str


def request_fingerprint(body: dict[str, Any]) -> str:
    """Two requests are the same request when their (defaulted) bodies are equal, whatever the key order."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used, within its lifetime, for a different request."""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int  # 0 when allowed
