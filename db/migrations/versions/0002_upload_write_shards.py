"""Record per upload how many partition key values its rows were written under (WRITE_SHARDS), so the
sweeper finds them again even if the setting changes while the upload is in flight.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: rows not written yet, or written before this column existed (readers then use the setting).
    op.execute("ALTER TABLE upload_history ADD COLUMN write_shards SMALLINT CHECK (write_shards >= 1)")


def downgrade() -> None:
    op.execute("ALTER TABLE upload_history DROP COLUMN write_shards")
