"""Remember per upload why the sweeper could not finish it and when to try again, so one upload that cannot be
finished backs off and goes last instead of holding back every other vendor's, and is given up on after a
bounded number of tries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE upload_history
            ADD COLUMN sweep_failures SMALLINT NOT NULL DEFAULT 0 CHECK (sweep_failures >= 0),
            ADD COLUMN last_sweep_error TEXT,
            ADD COLUMN next_sweep_at TIMESTAMPTZ
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE upload_history DROP COLUMN sweep_failures, DROP COLUMN last_sweep_error, DROP COLUMN next_sweep_at"
    )
