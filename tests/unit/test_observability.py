"""Handlers are traced in Lambda only, and elsewhere do not even import the X-Ray SDK (onboarding/pipeline/
observability.py says why). Each case is a fresh interpreter: the tracer is built when the module is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

PROBE = """
import json, sys
from onboarding.pipeline import observability

def handler(event, context):
    return {"batchItemFailures": []}

class Context:
    function_name, memory_limit_in_mb, invoked_function_arn, aws_request_id = "probe", 128, "arn:probe", "req-1"

wrapped = observability.lambda_handler(handler)
result = None if observability.tracer is not None else wrapped({"Records": []}, Context())
print(json.dumps({"tracer": type(observability.tracer).__name__, "xray_imported": "aws_xray_sdk.core" in sys.modules,
                  "result": result}))
"""


def _probe(extra_env: dict[str, str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "LAMBDA_TASK_ROOT"} | extra_env
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_outside_lambda_the_handler_runs_untraced_and_the_xray_sdk_is_not_imported() -> None:
    probed = _probe({})
    assert probed == {"tracer": "NoneType", "xray_imported": False, "result": {"batchItemFailures": []}}


def test_in_lambda_the_handler_is_traced() -> None:
    probed = _probe({"LAMBDA_TASK_ROOT": str(ROOT)})
    assert probed["tracer"] == "Tracer"
    assert probed["xray_imported"] is True
