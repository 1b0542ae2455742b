"""The vendor API: hashed API keys, upload tickets, finer upload statuses with their history,
idempotent ticket creation and per-key rate windows.

`processing` becomes the statuses an upload really passes through (received, parsing, validating,
reporting); tickets add `awaiting_upload` and `expired` (dry runs brought `validated` in 0004).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATUSES = (
    "awaiting_upload", "received", "parsing", "validating", "reporting",
    "completed", "partial", "failed", "expired", "validated",
)
IN_PROGRESS = ("received", "parsing", "validating", "reporting")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.execute(
        f"""
        ALTER TABLE upload_history DROP CONSTRAINT upload_history_status_check;
        ALTER TABLE upload_history ALTER COLUMN status SET DEFAULT 'received';
        UPDATE upload_history SET status = CASE WHEN total_records IS NULL THEN 'received' ELSE 'validating' END
            WHERE status = 'processing';
        ALTER TABLE upload_history ADD CONSTRAINT upload_history_status_check
            CHECK (status IN ({_quoted(STATUSES)}));
        ALTER TABLE upload_history
            ADD COLUMN expires_at       TIMESTAMPTZ;  -- a ticket's deadline for its upload
        DROP INDEX upload_history_processing_idx;
        CREATE INDEX upload_history_in_progress_idx ON upload_history (updated_at)
            WHERE status IN ({_quoted(IN_PROGRESS)});
        CREATE INDEX upload_history_awaiting_idx ON upload_history (expires_at) WHERE status = 'awaiting_upload';
        CREATE INDEX upload_history_vendor_status_idx ON upload_history (vendor_id, status, started_at DESC);

        -- Every status an upload took, written in the transaction that changed it.
        CREATE TABLE upload_status_history (
            entry_id   BIGSERIAL PRIMARY KEY,
            upload_id  TEXT NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
            status     TEXT NOT NULL CHECK (status IN ({_quoted(STATUSES)})),
            at         TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            detail     TEXT
        );
        CREATE INDEX upload_status_history_upload_idx ON upload_status_history (upload_id, entry_id);
        INSERT INTO upload_status_history (upload_id, status, at, detail)
            SELECT upload_id, status, COALESCE(completed_at, started_at), 'recorded before status history'
            FROM upload_history;

        -- Only a SHA-256 of each key is kept: keys are 256 random bits, so a fast hash is enough (slow
        -- hashes are for guessable passwords). An operator key (the portal) may belong to no vendor.
        CREATE TABLE api_keys (
            key_id      TEXT PRIMARY KEY,
            vendor_id   TEXT REFERENCES vendors (vendor_id),
            key_hash    TEXT NOT NULL UNIQUE,
            operator    BOOLEAN NOT NULL DEFAULT FALSE,
            created_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
            revoked_at  TIMESTAMPTZ,
            CHECK (operator OR vendor_id IS NOT NULL)
        );
        CREATE INDEX api_keys_vendor_idx ON api_keys (vendor_id, created_at);

        -- `POST /v1/uploads` with an Idempotency-Key: the first answer, replayed for 24 hours.
        CREATE TABLE api_idempotency (
            vendor_id        TEXT NOT NULL,
            idempotency_key  TEXT NOT NULL,
            request_hash     TEXT NOT NULL,
            status_code      SMALLINT NOT NULL,
            response         JSONB NOT NULL,
            created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (vendor_id, idempotency_key)
        );

        -- Requests per key, per kind (create / read), per fixed window.
        CREATE TABLE api_rate_windows (
            key_id        TEXT NOT NULL,
            kind          TEXT NOT NULL,
            window_start  TIMESTAMPTZ NOT NULL,
            requests      INTEGER NOT NULL,
            PRIMARY KEY (key_id, kind, window_start)
        );
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE api_rate_windows;
        DROP TABLE api_idempotency;
        DROP TABLE api_keys;
        DROP TABLE upload_status_history;
        DROP INDEX upload_history_vendor_status_idx;
        DROP INDEX upload_history_awaiting_idx;
        DROP INDEX upload_history_in_progress_idx;
        DELETE FROM upload_history WHERE status IN ('awaiting_upload', 'expired');
        ALTER TABLE upload_history DROP COLUMN expires_at;
        ALTER TABLE upload_history DROP CONSTRAINT upload_history_status_check;
        UPDATE upload_history SET status = 'processing'
            WHERE status IN ('received', 'parsing', 'validating', 'reporting');
        ALTER TABLE upload_history ALTER COLUMN status SET DEFAULT 'processing';
        ALTER TABLE upload_history ADD CONSTRAINT upload_history_status_check
            CHECK (status IN ('processing', 'completed', 'partial', 'failed', 'validated'));
        CREATE INDEX upload_history_processing_idx ON upload_history (updated_at) WHERE status = 'processing';
        """
    )
