"""Catalog schema: vendors, categories, products, uploads, the row ledger, errors, notifications.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CATEGORIES = (
    "Electronics", "Computer Accessories", "Audio Equipment", "Mobile Accessories", "Computer Storage",
    "Clothing", "Men's Clothing", "Women's Clothing", "Accessories", "Home & Garden", "Kitchen", "Bedroom",
    "Bathroom", "Living Room", "Garden", "Sports & Outdoors", "Books", "Toys & Games", "Health & Beauty",
    "Food & Beverage",
)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE vendors (
            vendor_id      TEXT PRIMARY KEY,
            vendor_name    TEXT NOT NULL,
            email          TEXT NOT NULL,
            status         TEXT NOT NULL DEFAULT 'active'
                           CHECK (status IN ('active', 'suspended', 'inactive')),
            created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
        );

        CREATE TABLE product_categories (
            category_id    SERIAL PRIMARY KEY,
            category_name  TEXT NOT NULL UNIQUE,
            is_active      BOOLEAN NOT NULL DEFAULT TRUE,
            created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
        );

        CREATE TABLE upload_history (
            upload_id          TEXT PRIMARY KEY,
            vendor_id          TEXT NOT NULL,  -- no FK: unknown vendors' uploads are recorded too
            file_name          TEXT NOT NULL,
            s3_bucket          TEXT NOT NULL,
            s3_key             TEXT NOT NULL,
            object_version     TEXT,
            status             TEXT NOT NULL DEFAULT 'processing'
                               CHECK (status IN ('processing', 'completed', 'partial', 'failed')),
            total_records      INTEGER CHECK (total_records >= 0),
            valid_records      INTEGER NOT NULL DEFAULT 0 CHECK (valid_records >= 0),
            error_records      INTEGER NOT NULL DEFAULT 0 CHECK (error_records >= 0),
            source_header      JSONB,           -- the vendor's header, for the error report
            file_notes         JSONB NOT NULL DEFAULT '[]',  -- encoding used, ignored columns
            error_report_key   TEXT,
            failure_reason     TEXT,
            started_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
            completed_at       TIMESTAMPTZ,
            CHECK (valid_records + error_records <= COALESCE(total_records, valid_records + error_records))
        );
        CREATE INDEX upload_history_vendor_idx ON upload_history (vendor_id, started_at DESC);
        CREATE INDEX upload_history_processing_idx ON upload_history (updated_at) WHERE status = 'processing';

        CREATE TABLE products (
            product_id         BIGSERIAL PRIMARY KEY,
            vendor_id          TEXT NOT NULL REFERENCES vendors (vendor_id),
            vendor_product_id  TEXT NOT NULL,
            product_name       TEXT NOT NULL,
            category           TEXT NOT NULL,
            subcategory        TEXT,
            description        TEXT,
            sku                TEXT NOT NULL,
            brand              TEXT,
            price              NUMERIC(10, 2) NOT NULL CHECK (price > 0),
            compare_at_price   NUMERIC(10, 2) CHECK (compare_at_price IS NULL OR compare_at_price >= price),
            stock_quantity     INTEGER NOT NULL CHECK (stock_quantity >= 0),
            unit               TEXT,
            weight_kg          NUMERIC(11, 3) CHECK (weight_kg IS NULL OR weight_kg > 0),
            dimensions_cm      TEXT,
            image_url          TEXT,
            upload_id          TEXT NOT NULL REFERENCES upload_history (upload_id),  -- last upload to write it
            created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT products_sku_key UNIQUE (sku),
            CONSTRAINT products_vendor_product_key UNIQUE (vendor_id, vendor_product_id)
        );

        -- One line per data row once it has an outcome: what makes replays count nothing twice.
        CREATE TABLE upload_rows (
            upload_id   TEXT NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
            row_number  INTEGER NOT NULL CHECK (row_number > 0),
            outcome     TEXT NOT NULL CHECK (outcome IN ('valid', 'invalid')),
            PRIMARY KEY (upload_id, row_number)
        );

        CREATE TABLE validation_errors (
            error_id      BIGSERIAL PRIMARY KEY,
            upload_id     TEXT NOT NULL REFERENCES upload_history (upload_id) ON DELETE CASCADE,
            row_number    INTEGER NOT NULL CHECK (row_number >= 0),  -- 0: the whole file
            field_name    TEXT NOT NULL DEFAULT '',
            error_code    TEXT NOT NULL,
            message       TEXT NOT NULL,
            field_value   TEXT NOT NULL DEFAULT '',
            original_row  JSONB,
            created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT validation_errors_once UNIQUE (upload_id, row_number, error_code, field_name)
        );

        CREATE TABLE upload_notifications (
            upload_id   TEXT PRIMARY KEY REFERENCES upload_history (upload_id) ON DELETE CASCADE,
            audience    TEXT NOT NULL CHECK (audience IN ('vendor', 'operators')),
            topic_arn   TEXT NOT NULL,
            subject     TEXT NOT NULL,
            message     TEXT NOT NULL,
            message_id  TEXT,
            sent_at     TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """
    )
    values = ", ".join("('" + name.replace("'", "''") + "')" for name in CATEGORIES)
    op.execute(f"INSERT INTO product_categories (category_name) VALUES {values}")  # noqa: S608 (constants)


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE upload_notifications;
        DROP TABLE validation_errors;
        DROP TABLE upload_rows;
        DROP TABLE products;
        DROP TABLE upload_history;
        DROP TABLE product_categories;
        DROP TABLE vendors;
        """
    )
