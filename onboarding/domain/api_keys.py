"""API keys: what a key looks like and how it is kept (only its SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "onb_"  # recognisable in logs and secret scanners


@dataclass(frozen=True)
class NewKey:
    key_id: str
    api_key: str  # shown once, never stored

    @property
    def key_hash(self) -> str:
        return hash_key(self.api_key)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    vendor_id: str | None
    operator: bool
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who a valid key speaks for (what the authorizer hands the API)."""

    key_id: str
    vendor_id: str | None
    operator: bool
    vendor_status: str | None


def new_key() -> NewKey:
    return NewKey(key_id=f"key_{secrets.token_hex(8)}", api_key=KEY_PREFIX + secrets.token_urlsafe(32))


def hash_key(api_key: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 cannot be reversed by guessing."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
