"""Structured logs: one JSON object per line, with the upload and vendor on every line of an upload."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools import Logger

SERVICE_NAME = "product-onboarding"


class DatabaseError(Exception):
    """A database error as logged: its kind and its SQL, without the values PostgreSQL quoted in it."""


class _DatabaseValuesLeftOut(logging.Filter):
    """PostgreSQL quotes the value a statement failed on (`invalid input syntax for type integer: "<the cell>"`,
    and the statement's line with the value in it), and the driver's exception is chained into the traceback:
    a logged database error keeps its kind and SQL only. (Statement parameters are hidden by the engine.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        statement, original = getattr(error, "statement", None), getattr(error, "orig", None)
        if record.exc_info and error is not None and statement is not None and original is not None:
            kind = f"{type(error).__name__} ({type(original).__module__}.{type(original).__name__})"
            redacted = DatabaseError(f"{kind} in: {statement}")
            redacted.__suppress_context__ = True
            record.exc_info = (DatabaseError, redacted, record.exc_info[2])
            record.exc_text = None
        return True


_DATABASE_VALUES_LEFT_OUT = _DatabaseValuesLeftOut()


def service_logger() -> Logger:
    """The service's logger, as each handler configures it once: JSON lines with no vendor value in them."""
    logger = Logger(service=SERVICE_NAME)
    logger.registered_handler.addFilter(_DATABASE_VALUES_LEFT_OUT)
    return logger


def get_logger() -> Logger:
    """A child of the service's logger (configured once by each handler)."""
    return Logger(service=SERVICE_NAME, child=True)


def upload_keys(upload_id: str, vendor_id: str, **more: Any) -> dict[str, Any]:
    """Keys for `extra=`: passed per line because worker threads share the logger."""
    return {"upload_id": upload_id, "vendor_id": vendor_id, **more}
