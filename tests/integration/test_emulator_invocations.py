"""The worker against the images' Runtime Interface Emulators (docker compose): never two invocations at once on
one endpoint, which the emulator answers by panicking (aws-lambda-runtime-interface-emulator#97).

A small HTTP server plays the emulator and records how many invocations overlap."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from onboarding.local.functions import RIE_PATH, functions_from_env, http_function


class Emulator(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), EmulatorHandler)
        self.running = 0
        self.most_at_once = 0
        self.invocations = 0
        self.count_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{RIE_PATH}"


class EmulatorHandler(BaseHTTPRequestHandler):
    server: Emulator

    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.count_lock:
            self.server.running += 1
            self.server.invocations += 1
            self.server.most_at_once = max(self.server.most_at_once, self.server.running)
        time.sleep(0.05)  # an invocation takes a while
        with self.server.count_lock:
            self.server.running -= 1
        body = json.dumps({"finished_uploads": []} if "source" in event else {"batchItemFailures": []}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    server = Emulator()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_callers_of_one_function_never_overlap_on_its_emulator(emulator: Emulator) -> None:
    env = {"LAMBDA_INVOKE_MODE": "http", "CSV_PARSER_URL": "http://127.0.0.1:1/unused",
           "VALIDATOR_URL": "http://127.0.0.1:1/unused", "ERROR_PROCESSOR_URL": emulator.url}
    error_processor = functions_from_env(env)["error_processor"]
    also_error_processor = http_function(emulator.url)  # another Invoke for the same endpoint
    error_batch = {"Records": [{"messageId": "m1", "body": "{}"}]}
    sweep = {"source": "aws.events", "detail-type": "Scheduled Event"}

    def call(invoke: Any, event: dict[str, Any]) -> None:
        for _ in range(5):
            invoke(event)

    # As the worker's error-queue loop and its sweeper do: two threads calling one function.
    threads = [threading.Thread(target=call, args=(error_processor, error_batch)),
               threading.Thread(target=call, args=(error_processor, sweep)),
               threading.Thread(target=call, args=(also_error_processor, sweep))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert emulator.invocations == 15
    assert emulator.most_at_once == 1
