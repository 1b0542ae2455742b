"""Webhooks: endpoints per vendor, one event per upload and event type, an outbox of deliveries, every attempt.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE webhooks (
            webhook_id   TEXT PRIMARY KEY,
            vendor_id    TEXT NOT NULL REFERENCES vendors (vendor_id),
            url          TEXT NOT NULL,
            events       TEXT[] NOT NULL,
            secret       TEXT NOT NULL,  -- needed in clear to sign; readable only by the API and the sender
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            deleted_at   TIMESTAMPTZ
        );
        CREATE INDEX webhooks_vendor_idx ON webhooks (vendor_id) WHERE deleted_at IS NULL;

        -- One event per upload and type, raised in the transaction that makes the upload final: its id is the
        -- `webhook-id` every delivery and retry of it carries.
        CREATE TABLE webhook_events (
            event_id     TEXT PRIMARY KEY,
            upload_id    TEXT NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
            vendor_id    TEXT NOT NULL,
            event_type   TEXT NOT NULL,
            body         JSONB NOT NULL,
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT webhook_events_once UNIQUE (upload_id, event_type)
        );

        -- The outbox: one line per event and subscribed endpoint, until delivered or given up.
        CREATE TABLE webhook_deliveries (
            event_id         TEXT NOT NULL REFERENCES webhook_events (event_id) ON DELETE CASCADE,
            webhook_id       TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
            state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts         INTEGER NOT NULL DEFAULT 0,
            next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (event_id, webhook_id)
        );
        CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

        CREATE TABLE webhook_attempts (
            attempt_id    BIGSERIAL PRIMARY KEY,
            event_id      TEXT NOT NULL,
            webhook_id    TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
            attempt       INTEGER NOT NULL,
            status_code   INTEGER,
            error         TEXT,
            attempted_at  TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, attempt_id);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries; DROP TABLE webhook_events; "
               "DROP TABLE webhooks;")
