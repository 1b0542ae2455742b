"""PostgreSQL: API upload tickets, their idempotent creation, and the expiry of unused ones."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from onboarding.adapters.upload_status import record_status
from onboarding.domain.tickets import (
    IDEMPOTENCY_TTL_S,
    IdempotencyConflict,
    IdempotentRequest,
    NewTicket,
    StoredResponse,
)
from onboarding.domain.uploads import UploadStatus

RATE_WINDOWS_KEPT_S = 3600
EXPIRED_DETAIL = "No file was uploaded before the ticket expired."


class _KeyTaken(Exception):
    """Another request holds the idempotency key (rolls the transaction back)."""


class TicketStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def stored_response(self, vendor_id: str, request: IdempotentRequest) -> StoredResponse | None:
        """The first answer to this key (raises `IdempotencyConflict` if it answered another request)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT status_code, response, request_hash FROM api_idempotency
                    WHERE vendor_id = :v AND idempotency_key = :k
                      AND created_at > now() - make_interval(secs => :ttl)
                    """
                ),
                {"v": vendor_id, "k": request.idempotency_key, "ttl": IDEMPOTENCY_TTL_S},
            ).one_or_none()
        if row is None:
            return None
        if row.request_hash != request.request_hash:
            raise IdempotencyConflict(request.idempotency_key)
        return StoredResponse(row.status_code, row.response)

    def create(
        self, ticket: NewTicket, status_code: int, response: dict[str, Any], request: IdempotentRequest | None
    ) -> StoredResponse:
        """Record the ticket (its upload, status `awaiting_upload`) and, under its key, the answer: one transaction.

        Two identical requests racing on one key: the second waits on the first's key row, finds it taken,
        records nothing and returns the first's answer.
        """
        try:
            self._create(ticket, status_code, response, request)
        except _KeyTaken:
            assert request is not None  # noqa: S101 (only raised for a keyed request)
            stored = self.stored_response(ticket.vendor_id, request)
            if stored is None:  # its record expired between the two statements: answer as new
                return self.create(ticket, status_code, response, request)
            return stored
        return StoredResponse(status_code, response)

    def _create(
        self, ticket: NewTicket, status_code: int, response: dict[str, Any], request: IdempotentRequest | None
    ) -> None:
        with self.engine.begin() as conn:
            if request is not None:
                claimed = conn.execute(
                    text(
                        """
                        INSERT INTO api_idempotency (vendor_id, idempotency_key, request_hash, status_code, response)
                        VALUES (:v, :k, :h, :code, CAST(:body AS jsonb))
                        ON CONFLICT (vendor_id, idempotency_key) DO UPDATE
                        SET request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code,
                            response = EXCLUDED.response, created_at = now()
                        WHERE api_idempotency.created_at <= now() - make_interval(secs => :ttl)
                        RETURNING 1
                        """
                    ),
                    {"v": ticket.vendor_id, "k": request.idempotency_key, "h": request.request_hash,
                     "code": status_code, "body": json.dumps(response), "ttl": IDEMPOTENCY_TTL_S},
                ).first()
                if claimed is None:
                    raise _KeyTaken
            conn.execute(
                text(
                    """
                    INSERT INTO upload_history (upload_id, vendor_id, file_name, s3_bucket, s3_key, status, dry_run,
                                                mode, confirm_replace, expires_at)
                    VALUES (:upload_id, :vendor_id, :file_name, :s3_bucket, :s3_key, :status, :dry_run, :mode,
                            :confirm_replace, :expires_at)
                    """
                ),
                {**ticket.__dict__, "mode": str(ticket.mode) if ticket.mode else None,
                 "status": str(UploadStatus.AWAITING_UPLOAD)},
            )
            record_status(conn, ticket.upload_id, UploadStatus.AWAITING_UPLOAD,
                          f"Ticket issued; upload the file before {ticket.expires_at:%Y-%m-%d %H:%M:%S} UTC.")

    def expire_unused(self, grace_s: int) -> list[str]:
        """Tickets past their deadline (plus a grace for the S3 event in flight) end `expired`; old
        idempotency records and rate windows are dropped. Three statements, whatever the numbers."""
        with self.engine.begin() as conn:
            expired = list(
                conn.execute(
                    text(
                        """
                        WITH expired AS (
                            UPDATE upload_history SET status = 'expired', completed_at = now(), updated_at = now()
                            WHERE status = 'awaiting_upload' AND expires_at < now() - make_interval(secs => :grace)
                            RETURNING upload_id
                        )
                        INSERT INTO upload_status_history (upload_id, status, detail)
                        SELECT upload_id, 'expired', :detail FROM expired
                        RETURNING upload_id
                        """
                    ),
                    {"grace": grace_s, "detail": EXPIRED_DETAIL},
                ).scalars()
            )
            conn.execute(
                text("DELETE FROM api_idempotency WHERE created_at <= now() - make_interval(secs => :ttl)"),
                {"ttl": IDEMPOTENCY_TTL_S},
            )
            conn.execute(
                text("DELETE FROM api_rate_windows WHERE window_start < now() - make_interval(secs => :kept)"),
                {"kept": RATE_WINDOWS_KEPT_S},
            )
        return expired
