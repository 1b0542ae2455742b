"""A failed statement, which a handler logs at ERROR, is logged with its kind and SQL but never the vendor's values:
neither the parameters nor what PostgreSQL quotes back in its error."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from onboarding.adapters.catalog import CatalogDatabase
from onboarding.pipeline.logs import service_logger

SECRET_VALUE = "Vendor-Secret-Cell-Value-42"


def test_a_failing_statement_is_logged_without_the_values_it_failed_on(catalog: CatalogDatabase) -> None:
    with pytest.raises(SQLAlchemyError) as failed, catalog.engine.begin() as conn:
        conn.execute(text("SELECT CAST(:v AS int)"), {"v": SECRET_VALUE})
    assert SECRET_VALUE in str(failed.value)  # PostgreSQL quotes it back: the log must not

    handler = service_logger().registered_handler
    record = logging.LogRecord("product-onboarding.test", logging.ERROR, __file__, 1, "batch failed", None,
                               (type(failed.value), failed.value, failed.value.__traceback__))
    assert handler.filter(record)
    line = handler.format(record)

    assert "batch failed" in line and "SELECT CAST" in line and "DataError" in line
    assert SECRET_VALUE not in line
