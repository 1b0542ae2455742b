"""migrator Lambda: runs the Alembic migrations once per deploy (idempotent: upgrade to head)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from onboarding import bootstrap, migrations
from onboarding.pipeline.logs import SERVICE_NAME

logger = Logger(service=SERVICE_NAME)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    migrations.upgrade(bootstrap.container().engine)
    logger.info("migrations applied")
    return {"migrated": True}
