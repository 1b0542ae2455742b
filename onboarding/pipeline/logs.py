"""Structured logs: one JSON object per line, with the upload and vendor on every line of an upload."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

SERVICE_NAME = "product-onboarding"


def get_logger() -> Logger:
    """A child of the service's logger (configured once by each handler)."""
    return Logger(service=SERVICE_NAME, child=True)


def upload_keys(upload_id: str, vendor_id: str, **more: Any) -> dict[str, Any]:
    """Keys for `extra=`: passed per line because worker threads share the logger."""
    return {"upload_id": upload_id, "vendor_id": vendor_id, **more}
