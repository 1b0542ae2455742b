"""What every handler does around its use case, the way Lambda teams do it with Powertools:

- logs: `inject_lambda_context` puts the request id, cold start and function name on every line of the
  invocation (the use cases add `upload_id` and `vendor_id` to every line of an upload, see logs.py);
- traces: an X-Ray segment per invocation (`Tracing: Active` in the template) with every AWS call a subsegment;
  off outside Lambda, where the handler is not wrapped at all: Powertools' Tracer would be disabled there, yet it
  imports the X-Ray SDK, which builds an X-Ray client as it is imported (about 0.2 s of CPU in every process that
  loads a handler: the worker, `onboard up`, each test worker);
- metrics: the handler's own (items handed in, items failed, cold starts) flushed as EMF at the end of each
  invocation, next to the business metrics of metrics.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from onboarding.config import in_lambda
from onboarding.pipeline.logs import SERVICE_NAME, service_logger
from onboarding.pipeline.metrics import NAMESPACE, Metric

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

logger = service_logger()
tracer = Tracer(service=SERVICE_NAME, patch_modules=("boto3", "botocore")) if in_lambda() else None
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)


def lambda_handler(handler: Handler) -> Handler:
    """Wrap a handler with its logs' context, its trace and its metrics."""

    @functools.wraps(handler)
    def counted(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = handler(event, context)
        metrics.add_metric(name=Metric.BATCH_ITEMS.value, unit=MetricUnit.Count, value=len(event.get("Records", [])))
        metrics.add_metric(name=Metric.FAILED_ITEMS.value, unit=MetricUnit.Count,
                           value=len(result.get("batchItemFailures", [])))
        return result

    traced = counted if tracer is None else tracer.capture_lambda_handler(capture_response=False)(counted)
    measured = metrics.log_metrics(capture_cold_start_metric=True)(traced)
    return logger.inject_lambda_context(clear_state=True)(measured)  # type: ignore[no-any-return]
