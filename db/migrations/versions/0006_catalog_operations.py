"""Catalog operations (issue 16): import modes, deactivation, severities, product history, vendor rules.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- Deactivated, never deleted: the product keeps its SKU and comes back on a later upsert.
        ALTER TABLE products
            ADD COLUMN is_active BOOLEAN NOT NULL DEFAULT TRUE,
            ADD COLUMN deactivated_at TIMESTAMPTZ;
        CREATE INDEX products_vendor_active_idx ON products (vendor_id) WHERE is_active;

        -- mode and confirm_replace may also be set by the API's upload ticket before the file arrives (issue 14),
        -- hence IF NOT EXISTS: whichever migration runs first adds them.
        ALTER TABLE upload_history
            ADD COLUMN IF NOT EXISTS mode TEXT CHECK (mode IN ('upsert', 'partial', 'update_only', 'replace')),
            ADD COLUMN IF NOT EXISTS confirm_replace BOOLEAN NOT NULL DEFAULT FALSE,
            ADD COLUMN created_records INTEGER NOT NULL DEFAULT 0,
            ADD COLUMN updated_records INTEGER NOT NULL DEFAULT 0,
            ADD COLUMN unchanged_records INTEGER NOT NULL DEFAULT 0,
            ADD COLUMN deactivated_records INTEGER NOT NULL DEFAULT 0,
            ADD COLUMN warning_records INTEGER NOT NULL DEFAULT 0;

        ALTER TABLE validation_errors
            ADD COLUMN severity TEXT NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning'));

        -- A replace upload's vendor_product_ids, recorded by the parser: what "absent from the file" means.
        CREATE TABLE upload_product_ids (
            upload_id          TEXT NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
            vendor_product_id  TEXT NOT NULL,
            PRIMARY KEY (upload_id, vendor_product_id)
        );

        -- Every change to a product, written in the transaction that makes it; one event per product per upload,
        -- so a replayed batch or completion adds nothing.
        CREATE TABLE product_history (
            history_id         BIGSERIAL PRIMARY KEY,
            vendor_id          TEXT NOT NULL,
            vendor_product_id  TEXT NOT NULL,
            upload_id          TEXT NOT NULL REFERENCES upload_history (upload_id),
            event              TEXT NOT NULL CHECK (event IN ('create', 'update', 'deactivate', 'reactivate')),
            changes            JSONB NOT NULL DEFAULT '{}',  -- field -> {"old": ..., "new": ...}
            recorded_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT product_history_once UNIQUE (upload_id, vendor_id, vendor_product_id)
        );
        CREATE INDEX product_history_product_idx ON product_history (vendor_id, vendor_product_id, history_id);

        -- Per-vendor quotas and rules, as data: NULL or empty means "no such limit".
        CREATE TABLE vendor_rules (
            vendor_id               TEXT PRIMARY KEY REFERENCES vendors (vendor_id),
            max_active_products     INTEGER CHECK (max_active_products >= 0),
            max_uploads_per_day     INTEGER CHECK (max_uploads_per_day >= 0),
            extra_required_columns  TEXT[] NOT NULL DEFAULT '{}',
            allowed_categories      TEXT[] NOT NULL DEFAULT '{}',
            allowed_brands          TEXT[] NOT NULL DEFAULT '{}',
            min_price               NUMERIC(10, 2),
            max_price               NUMERIC(10, 2),
            updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
            CHECK (min_price IS NULL OR max_price IS NULL OR min_price <= max_price)
        );
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE vendor_rules;
        DROP TABLE product_history;
        DROP TABLE upload_product_ids;
        ALTER TABLE validation_errors DROP COLUMN severity;
        ALTER TABLE upload_history
            DROP COLUMN IF EXISTS mode, DROP COLUMN IF EXISTS confirm_replace,
            DROP COLUMN created_records, DROP COLUMN updated_records, DROP COLUMN unchanged_records,
            DROP COLUMN deactivated_records, DROP COLUMN warning_records;
        DROP INDEX products_vendor_active_idx;
        ALTER TABLE products DROP COLUMN deactivated_at, DROP COLUMN is_active;
        """
    )
