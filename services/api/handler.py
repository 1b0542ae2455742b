"""api Lambda: API Gateway (REST) requests -> the vendor API's routes (`onboarding/api/`)."""

from __future__ import annotations

from typing import Any

from onboarding import bootstrap
from onboarding.api.app import handle


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context, bootstrap.api_dependencies())
