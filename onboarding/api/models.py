"""The API's request and response bodies: validated on the way in and out, and the OpenAPI schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from onboarding.domain.changes import ImportMode
from onboarding.domain.uploads import MAX_FILE_NAME_CHARS, UploadStatus

MAX_PAGE = 200
DEFAULT_PAGE = 50


class TicketIn(BaseModel):
    """Ask for an upload ticket: where and how to send one file."""

    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(min_length=1, max_length=MAX_FILE_NAME_CHARS, examples=["VEND001_catalog.csv"])
    dry_run: bool = Field(False, description="Validate against the catalog without changing it.")
    mode: ImportMode | None = Field(None, description="How the rows apply to the catalog (default: upsert).")
    confirm_replace: bool = Field(False, description="Required with mode `replace`.")


class PresignedPostOut(BaseModel):
    url: str = Field(description="POST a multipart form here: every field below, then the file as `file`.")
    fields: dict[str, str]


class TicketOut(BaseModel):
    upload_id: str
    status: UploadStatus
    upload: PresignedPostOut
    expires_at: datetime
    file_name: str
    dry_run: bool
    mode: ImportMode | None
    confirm_replace: bool
    max_bytes: int = Field(description="The largest file the ticket accepts.")


class HistoryOut(BaseModel):
    status: UploadStatus
    at: datetime
    detail: str | None


class ProgressOut(BaseModel):
    processed: int = Field(description="Rows with an outcome (a product or an error).")
    total: int | None = Field(description="Data rows in the file; null until it is read.")


class DryRunSummaryOut(BaseModel):
    would_create: int = Field(description="Valid rows whose product is new.")
    would_update: int = Field(description="Valid rows whose product exists already.")
    invalid: int = Field(description="Rows with errors (see the errors and the report).")


class UploadOut(BaseModel):
    upload_id: str
    vendor_id: str
    file_name: str
    status: UploadStatus
    total_records: int
    valid_records: int
    error_records: int
    error_report: str | None
    dry_run: bool
    mode: ImportMode | None
    confirm_replace: bool
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    failure_reason: str | None
    history: list[HistoryOut]
    progress: ProgressOut
    report_url: str | None = Field(description="A short-lived link to the error report, or null.")
    summary: DryRunSummaryOut | None = Field(None, description="A dry run's: what committing it would do.")
    next_poll_after_s: int | None = Field(None, description="Present while the upload is not final.")


class UploadPage(BaseModel):
    items: list[UploadOut]
    next_cursor: str | None


class ErrorOut(BaseModel):
    row_number: int = Field(description="0 for a problem with the whole file.")
    field: str
    error_type: str
    message: str
    value: str
    severity: str = Field(description="`error`: the row was rejected; `warning`: the row was accepted and flagged.")


class ErrorPage(BaseModel):
    items: list[ErrorOut]
    next_cursor: str | None


class ProductOut(BaseModel):
    vendor_id: str
    vendor_product_id: str
    product_name: str
    category: str
    subcategory: str | None
    description: str | None
    sku: str
    brand: str | None
    price: float
    compare_at_price: float | None
    stock_quantity: int
    unit: str | None
    weight_kg: float | None
    dimensions_cm: str | None
    image_url: str | None
    upload_id: str
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None
