"""The catalog's tables as SQLAlchemy Core sees them: what the CRUD queries are built from, and Alembic's
`target_metadata`. The migrations in db/migrations/versions/ create these tables; tests/integration/
test_schema_drift.py fails when the two disagree (a column, a type, nullability, a key, an index).

The hot-path writes (the ledger insert, the product upsert over arrays, the error insert) stay hand-written
SQL in their modules: they are measured (`make bench`) and use `unnest` over arrays, which Core does not say
more clearly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP

metadata = MetaData()


def _now() -> TIMESTAMP:
    return TIMESTAMP(timezone=True)


vendors = Table(
    "vendors", metadata,
    Column("vendor_id", Text, primary_key=True),
    Column("vendor_name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="active"),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
    Column("updated_at", _now(), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('active', 'suspended', 'inactive')", name="vendors_status_check"),
)

product_categories = Table(
    "product_categories", metadata,
    Column("category_id", Integer, primary_key=True, autoincrement=True),
    Column("category_name", Text, nullable=False, unique=True),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
)

upload_history = Table(
    "upload_history", metadata,
    Column("upload_id", Text, primary_key=True),
    Column("vendor_id", Text, nullable=False),  # no foreign key: unknown vendors' uploads are recorded too
    Column("file_name", Text, nullable=False),
    Column("s3_bucket", Text, nullable=False),
    Column("s3_key", Text, nullable=False),
    Column("object_version", Text),
    Column("status", Text, nullable=False, server_default="received"),
    Column("total_records", Integer),
    Column("valid_records", Integer, nullable=False, server_default="0"),
    Column("error_records", Integer, nullable=False, server_default="0"),
    Column("source_header", JSONB),
    Column("file_notes", JSONB, nullable=False, server_default="[]"),
    Column("error_report_key", Text),
    Column("failure_reason", Text),
    Column("started_at", _now(), nullable=False, server_default=func.now()),
    Column("updated_at", _now(), nullable=False, server_default=func.now()),
    Column("completed_at", _now()),
    Column("write_shards", SmallInteger),
    Column("sweep_failures", SmallInteger, nullable=False, server_default="0"),
    Column("last_sweep_error", Text),
    Column("next_sweep_at", _now()),
    Column("dry_run", Boolean, nullable=False, server_default=text("false")),
    Column("would_update_records", Integer, nullable=False, server_default="0"),
    Column("committed_at", _now()),
    Column("rewrite_rows", Boolean, nullable=False, server_default=text("false")),
    Column("mode", Text),
    Column("confirm_replace", Boolean, nullable=False, server_default=text("false")),
    Column("created_records", Integer, nullable=False, server_default="0"),
    Column("updated_records", Integer, nullable=False, server_default="0"),
    Column("unchanged_records", Integer, nullable=False, server_default="0"),
    Column("deactivated_records", Integer, nullable=False, server_default="0"),
    Column("warning_records", Integer, nullable=False, server_default="0"),
    Column("expires_at", _now()),
    Index("upload_history_vendor_idx", "vendor_id", text("started_at DESC")),
    Index("upload_history_in_progress_idx", "updated_at",
          postgresql_where=text("status IN ('received', 'parsing', 'validating', 'reporting')")),
    Index("upload_history_awaiting_idx", "expires_at", postgresql_where=text("status = 'awaiting_upload'")),
    Index("upload_history_vendor_status_idx", "vendor_id", "status", text("started_at DESC")),
)

upload_status_history = Table(
    "upload_status_history", metadata,
    Column("entry_id", BigInteger, primary_key=True, autoincrement=True),
    Column("upload_id", Text, ForeignKey("upload_history.upload_id", ondelete="CASCADE"), nullable=False),
    Column("status", Text, nullable=False),
    Column("at", _now(), nullable=False, server_default=func.clock_timestamp()),
    Column("detail", Text),
    Index("upload_status_history_upload_idx", "upload_id", "entry_id"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", Text, primary_key=True),
    Column("vendor_id", Text, ForeignKey("vendors.vendor_id")),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("operator", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", _now(), nullable=False, server_default=func.clock_timestamp()),
    Column("revoked_at", _now()),
    Index("api_keys_vendor_idx", "vendor_id", "created_at"),
)

api_idempotency = Table(
    "api_idempotency", metadata,
    Column("vendor_id", Text, primary_key=True),
    Column("idempotency_key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
)

api_rate_windows = Table(
    "api_rate_windows", metadata,
    Column("key_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("window_start", _now(), primary_key=True),
    Column("requests", Integer, nullable=False),
)

products = Table(
    "products", metadata,
    Column("product_id", BigInteger, primary_key=True, autoincrement=True),
    Column("vendor_id", Text, ForeignKey("vendors.vendor_id"), nullable=False),
    Column("vendor_product_id", Text, nullable=False),
    Column("product_name", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("subcategory", Text),
    Column("description", Text),
    Column("sku", Text, nullable=False),
    Column("brand", Text),
    Column("price", Numeric(10, 2), nullable=False),
    Column("compare_at_price", Numeric(10, 2)),
    Column("stock_quantity", Integer, nullable=False),
    Column("unit", Text),
    Column("weight_kg", Numeric(11, 3)),
    Column("dimensions_cm", Text),
    Column("image_url", Text),
    Column("upload_id", Text, ForeignKey("upload_history.upload_id"), nullable=False),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
    Column("updated_at", _now(), nullable=False, server_default=func.now()),
    UniqueConstraint("sku", name="products_sku_key"),
    UniqueConstraint("vendor_id", "vendor_product_id", name="products_vendor_product_key"),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("deactivated_at", _now()),
    Index("products_vendor_active_idx", "vendor_id", postgresql_where=text("is_active")),
)

upload_rows = Table(
    "upload_rows", metadata,
    Column("upload_id", Text, ForeignKey("upload_history.upload_id", ondelete="CASCADE"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("outcome", Text, nullable=False),
    PrimaryKeyConstraint("upload_id", "row_number"),
)

validation_errors = Table(
    "validation_errors", metadata,
    Column("error_id", BigInteger, primary_key=True, autoincrement=True),
    Column("upload_id", Text, ForeignKey("upload_history.upload_id", ondelete="CASCADE"), nullable=False),
    Column("row_number", Integer, nullable=False),  # 0: the whole file
    Column("field_name", Text, nullable=False, server_default=""),
    Column("error_code", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("field_value", Text, nullable=False, server_default=""),
    Column("original_row", JSONB),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
    Column("severity", Text, nullable=False, server_default="error"),  # error: row rejected; warning: imported
    UniqueConstraint("upload_id", "row_number", "error_code", "field_name", name="validation_errors_once"),
    # The rejected rows apart from the warnings (nearly one per row in some catalogs): what `progress_of` counts.
    Index("validation_errors_rejected_idx", "upload_id", "row_number", postgresql_where=text("severity = 'error'")),
)

upload_notifications = Table(
    "upload_notifications", metadata,
    Column("upload_id", Text, ForeignKey("upload_history.upload_id", ondelete="CASCADE"), primary_key=True),
    Column("audience", Text, nullable=False),
    Column("topic_arn", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("message_id", Text),
    Column("sent_at", _now(), nullable=False, server_default=func.now()),
)

webhooks = Table(
    "webhooks", metadata,
    Column("webhook_id", Text, primary_key=True),
    Column("vendor_id", Text, ForeignKey("vendors.vendor_id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", ARRAY(Text), nullable=False),
    Column("secret", Text, nullable=False),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
    Column("deleted_at", _now()),
    Index("webhooks_vendor_idx", "vendor_id", postgresql_where=text("deleted_at IS NULL")),
)

webhook_events = Table(
    "webhook_events", metadata,
    Column("event_id", Text, primary_key=True),
    Column("upload_id", Text, ForeignKey("upload_history.upload_id", ondelete="CASCADE"), nullable=False),
    Column("vendor_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("body", JSONB, nullable=False),
    Column("created_at", _now(), nullable=False, server_default=func.now()),
    UniqueConstraint("upload_id", "event_type", name="webhook_events_once"),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("event_id", Text, ForeignKey("webhook_events.event_id", ondelete="CASCADE"), nullable=False),
    Column("webhook_id", Text, ForeignKey("webhooks.webhook_id", ondelete="CASCADE"), nullable=False),
    Column("state", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", _now(), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("event_id", "webhook_id"),
    Index("webhook_deliveries_due_idx", "next_attempt_at", postgresql_where=text("state = 'pending'")),
)

webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("attempt_id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False),
    Column("webhook_id", Text, ForeignKey("webhooks.webhook_id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("attempted_at", _now(), nullable=False, server_default=func.now()),
    Index("webhook_attempts_webhook_idx", "webhook_id", "attempt_id"),
)

# -- catalog operations (issue 16) ---------------------------------------------------------------------

upload_product_ids = Table(  # a replace upload's vendor_product_ids: what "absent from the file" means
    "upload_product_ids", metadata,
    Column("upload_id", Text, ForeignKey("upload_history.upload_id", ondelete="CASCADE"), nullable=False),
    Column("vendor_product_id", Text, nullable=False),
    PrimaryKeyConstraint("upload_id", "vendor_product_id"),
)

product_history = Table(  # every change to a product, written in the transaction that makes it
    "product_history", metadata,
    Column("history_id", BigInteger, primary_key=True, autoincrement=True),
    Column("vendor_id", Text, nullable=False),
    Column("vendor_product_id", Text, nullable=False),
    Column("upload_id", Text, ForeignKey("upload_history.upload_id"), nullable=False),
    Column("event", Text, nullable=False),
    Column("changes", JSONB, nullable=False, server_default="{}"),
    Column("recorded_at", _now(), nullable=False, server_default=func.now()),
    UniqueConstraint("upload_id", "vendor_id", "vendor_product_id", name="product_history_once"),
    Index("product_history_product_idx", "vendor_id", "vendor_product_id", "history_id"),
)

vendor_rules = Table(  # per-vendor quotas and rules, as data: NULL or empty means no such limit
    "vendor_rules", metadata,
    Column("vendor_id", Text, ForeignKey("vendors.vendor_id"), primary_key=True),
    Column("max_active_products", Integer),
    Column("max_uploads_per_day", Integer),
    Column("extra_required_columns", ARRAY(Text), nullable=False, server_default="{}"),
    Column("allowed_categories", ARRAY(Text), nullable=False, server_default="{}"),
    Column("allowed_brands", ARRAY(Text), nullable=False, server_default="{}"),
    Column("min_price", Numeric(10, 2)),
    Column("max_price", Numeric(10, 2)),
    Column("updated_at", _now(), nullable=False, server_default=func.now()),
)
