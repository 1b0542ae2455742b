"""The three Lambda functions as the local worker calls them: in this process, or over HTTP.

In process, the worker imports the very `services/<name>/handler.py` files the images run. With
`LAMBDA_INVOKE_MODE=http` (docker compose) it POSTs the event to each image's Runtime Interface
Emulator instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Invoke = Callable[[dict[str, Any]], dict[str, Any]]

FUNCTIONS = ("csv_parser", "validator", "error_processor")  # the pipeline's
WEBHOOK_SENDER = "webhook_sender"  # beside the pipeline: delivers the events uploads raise
SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
RIE_PATH = "/2015-03-31/functions/function/invocations"


class LocalContext:
    """The parts of Lambda's context object our handlers may read."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())  # one per invocation, as Lambda's: it correlates a call's log lines
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def load_handler(name: str, services_dir: Path = SERVICES_DIR, module_name: str = "handler") -> Invoke:
    """`services/<name>/<module_name>.py`'s `handler`, callable with an event (one image may hold two)."""
    path = services_dir / name / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"onboarding_function_{name}_{module_name}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = module.handler

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        return dict(handler(event, LocalContext(name)) or {})

    return invoke


_endpoint_locks: dict[str, threading.Lock] = {}
_endpoint_locks_guard = threading.Lock()


def _endpoint_lock(url: str) -> threading.Lock:
    with _endpoint_locks_guard:
        return _endpoint_locks.setdefault(url, threading.Lock())


def http_function(url: str, timeout_s: float = 900) -> Invoke:
    """Invoke through an image's Runtime Interface Emulator. The emulator serves one invocation at a time and
    panics on a second concurrent one (aws-lambda-runtime-interface-emulator#97), and the worker has several
    callers of one function (error_processor: the error queue and the sweeper): one lock per endpoint."""
    lock = _endpoint_lock(url)

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (the compose network's own URL)
            url, data=json.dumps(event).encode(), headers={"Content-Type": "application/json"}
        )
        with lock, urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            result = json.loads(response.read() or b"{}")
        if isinstance(result, dict) and "errorMessage" in result and "errorType" in result:
            raise RuntimeError(f"{result['errorType']}: {result['errorMessage']}")
        return dict(result or {})

    return invoke


def functions_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Invoke]:
    env = os.environ if environ is None else environ
    if env.get("LAMBDA_INVOKE_MODE", "in-process") == "http":
        functions = {name: http_function(env[f"{name.upper()}_URL"]) for name in FUNCTIONS}
        if env.get(f"{WEBHOOK_SENDER.upper()}_URL"):
            functions[WEBHOOK_SENDER] = http_function(env[f"{WEBHOOK_SENDER.upper()}_URL"])
        return functions
    return {name: load_handler(name) for name in (*FUNCTIONS, WEBHOOK_SENDER)}
