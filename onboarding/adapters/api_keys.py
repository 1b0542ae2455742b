"""PostgreSQL: API keys (hashes only) and who a presented key speaks for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from onboarding.domain.api_keys import ApiKey, Caller, NewKey, hash_key, new_key


class ApiKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, vendor_id: str | None, operator: bool = False) -> tuple[ApiKey, NewKey]:
        """A new key for the vendor (or an operator key); the plain key exists only in the return value."""
        key = new_key()
        with self.engine.begin() as conn:
            row = conn.execute(
                text(
                    """
                    INSERT INTO api_keys (key_id, vendor_id, key_hash, operator) VALUES (:id, :v, :hash, :op)
                    RETURNING key_id, vendor_id, operator, created_at, revoked_at
                    """
                ),
                {"id": key.key_id, "v": vendor_id, "hash": key.key_hash, "op": operator},
            ).one()
        return _api_key(row), key

    def list(self, vendor_id: str) -> list[ApiKey]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT key_id, vendor_id, operator, created_at, revoked_at FROM api_keys "
                    "WHERE vendor_id = :v ORDER BY created_at, key_id"
                ),
                {"v": vendor_id},
            )
            return [_api_key(r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke at once (idempotent: a revoked key keeps its first revocation time). None if unknown."""
        with self.engine.begin() as conn:
            row = conn.execute(
                text(
                    """
                    UPDATE api_keys SET revoked_at = COALESCE(revoked_at, clock_timestamp()) WHERE key_id = :k
                    RETURNING key_id, vendor_id, operator, created_at, revoked_at
                    """
                ),
                {"k": key_id},
            ).one_or_none()
        return _api_key(row) if row else None

    def caller(self, api_key: str) -> Caller | None:
        """Who an unrevoked key speaks for, with its vendor's status; None for an unknown or revoked key."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT k.key_id, k.vendor_id, k.operator, v.status AS vendor_status
                    FROM api_keys k LEFT JOIN vendors v ON v.vendor_id = k.vendor_id
                    WHERE k.key_hash = :hash AND k.revoked_at IS NULL
                    """
                ),
                {"hash": hash_key(api_key)},
            ).one_or_none()
        return Caller(row.key_id, row.vendor_id, row.operator, row.vendor_status) if row else None


def _api_key(row: Any) -> ApiKey:
    return ApiKey(row.key_id, row.vendor_id, row.operator, row.created_at, row.revoked_at)
