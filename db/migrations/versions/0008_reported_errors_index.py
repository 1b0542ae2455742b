"""Index an upload's rejected rows apart from its warnings: the error processor counts the rows it has reported
(`progress_of`) on every message, and a catalog whose rows lack a recommended field has a warning on nearly every
row, so the count read the whole upload's warnings each time (100,000 of them on a 100,000-row file).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX validation_errors_rejected_idx ON validation_errors (upload_id, row_number) "
        "WHERE severity = 'error'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX validation_errors_rejected_idx")
