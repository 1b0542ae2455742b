"""A Lambda Runtime API for one function, in a thread: what the Lambda service (or the Runtime Interface
Emulator) offers the Runtime Interface Client `awslambdaric` that every Python base image runs.

`invoke(event)` queues an event, waits for the client to fetch it (`GET .../invocation/next`) and to post its
answer (`.../response` or `.../error`), and returns the answer, as `Invoke` does for the worker. One invocation at
a time, as in a Lambda execution environment.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


class FunctionFailed(RuntimeError):
    """The handler raised (the Runtime API's `.../error`), or the function could not start."""


class RuntimeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, function_name: str, timeout_s: float = 120) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.function_name = function_name
        self.timeout_s = timeout_s
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.answers: dict[str, queue.Queue[tuple[str, Any]]] = {}
        self.init_error: Any = None
        self.request_ids: list[str] = []
        self._one_at_a_time = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def start(self) -> RuntimeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._one_at_a_time:
            request_id = str(uuid.uuid4())
            answer: queue.Queue[tuple[str, Any]] = queue.Queue()
            self.answers[request_id] = answer
            self.request_ids.append(request_id)
            self.events.put((request_id, event))
            deadline = time.monotonic() + self.timeout_s
            while True:
                if self.init_error is not None:
                    raise FunctionFailed(f"{self.function_name} could not start: {self.init_error}")
                try:
                    kind, body = answer.get(timeout=0.2)
                    break
                except queue.Empty:
                    if time.monotonic() > deadline:
                        raise FunctionFailed(f"{self.function_name}: no answer in {self.timeout_s} s") from None
            del self.answers[request_id]
        if kind == "error":
            raise FunctionFailed(f"{self.function_name}: {body}")
        return dict(body or {})


class _Handler(BaseHTTPRequestHandler):
    server: RuntimeApi
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(404, {"errorMessage": "unknown path"})
            return
        request_id, event = self.server.events.get()  # long poll, as Lambda's
        deadline_ms = int((time.time() + self.server.timeout_s) * 1000)
        self._reply(200, event, {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn":
                f"arn:aws:lambda:us-east-1:123456789012:function:{self.server.function_name}",
            "Lambda-Runtime-Trace-Id": TRACE_HEADER,
        })

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = json.loads(body) if body else None
        if self.path == f"{PREFIX}/init/error":
            self.server.init_error = payload
        else:
            parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
            answer = self.server.answers.get(parts[0])
            if answer is None or len(parts) != 2 or parts[1] not in ("response", "error"):
                self._reply(400, {"errorMessage": "unknown invocation"})
                return
            answer.put((parts[1], payload))
        self._reply(202, {"status": "OK"})

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass
