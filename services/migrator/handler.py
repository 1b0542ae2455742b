"""migrator Lambda: runs the Alembic migrations once per deploy (idempotent: upgrade to head)."""

from __future__ import annotations

from typing import Any

from onboarding import bootstrap, migrations
from onboarding.pipeline.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    migrations.upgrade(bootstrap.container().engine)
    logger.info("migrations applied")
    return {"migrated": True}
