"""Dry runs: an upload may be judged without writing to the catalog (`validated`), then committed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE upload_history
            ADD COLUMN dry_run BOOLEAN NOT NULL DEFAULT FALSE,
            -- valid rows of a dry run whose product already exists: what a commit would update, not create
            ADD COLUMN would_update_records INTEGER NOT NULL DEFAULT 0 CHECK (would_update_records >= 0),
            ADD COLUMN committed_at TIMESTAMPTZ,
            -- set by a commit: the parser deletes the dry run's pending rows before writing them again, so the
            -- stream reports them as new (INSERT) and the validator judges them for real
            ADD COLUMN rewrite_rows BOOLEAN NOT NULL DEFAULT FALSE;
        ALTER TABLE upload_history DROP CONSTRAINT upload_history_status_check;
        ALTER TABLE upload_history ADD CONSTRAINT upload_history_status_check
            CHECK (status IN ('processing', 'completed', 'partial', 'failed', 'validated'));
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DELETE FROM upload_history WHERE status = 'validated';
        ALTER TABLE upload_history DROP CONSTRAINT upload_history_status_check;
        ALTER TABLE upload_history ADD CONSTRAINT upload_history_status_check
            CHECK (status IN ('processing', 'completed', 'partial', 'failed'));
        ALTER TABLE upload_history DROP COLUMN rewrite_rows, DROP COLUMN committed_at,
            DROP COLUMN would_update_records, DROP COLUMN dry_run;
        """
    )
