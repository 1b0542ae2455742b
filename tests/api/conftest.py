"""The vendor API over real HTTP: the local API server (API Gateway's part) in front of the real handlers,
with the whole pipeline running behind it (moto's server, PostgreSQL, the worker)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests

from onboarding import bootstrap
from onboarding.adapters.api_keys import ApiKeyStore
from onboarding.config import Settings
from onboarding.domain.vendors import VendorStatus
from onboarding.local.api_server import ApiServer
from onboarding.local.functions import load_handler
from tests.harness import RunningPipeline

SAMPLES = Path(__file__).parents[2] / "onboarding" / "local" / "samples"
CLEAN = (SAMPLES / "VEND001_catalog_clean.csv").read_bytes()
WITH_ERRORS = (SAMPLES / "VEND002_catalog_with_errors.csv").read_bytes()
MAX_FILE_BYTES = 64 * 1024  # small, so a test can send a file over the limit
FINAL = {"completed", "partial", "failed", "expired", "validated"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test stack, with a file size limit a test can exceed cheaply, and tickets that expire as
    soon as their deadline passes (the worker may build its sweeper's settings before a test changes them)."""
    return replace(settings, max_file_bytes=MAX_FILE_BYTES, api_ticket_grace_s=0)


@dataclass
class Api:
    url: str
    pipeline: RunningPipeline

    def key_for(self, vendor_id: str, status: VendorStatus = VendorStatus.ACTIVE) -> str:
        """Register the vendor (if new) and give it a fresh key."""
        if self.pipeline.catalog.get_vendor(vendor_id) is None:
            self.pipeline.add_vendor(vendor_id, status)
        _, key = ApiKeyStore(self.pipeline.engine).create(vendor_id)
        return key.api_key

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, allow_redirects=False,
                                **kwargs)

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, key, **kwargs)

    def post(self, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, key, **kwargs)

    def ticket(self, key: str, file_name: str, **body: Any) -> dict[str, Any]:
        response = self.post("/v1/uploads", key, json={"file_name": file_name, **body})
        assert response.status_code == 201, response.text
        ticket: dict[str, Any] = response.json()
        return ticket

    @staticmethod
    def send_file(ticket: dict[str, Any], content: bytes, file_name: str = "catalog.csv") -> requests.Response:
        """What a vendor's client does with a ticket: a multipart POST of its fields, then the file."""
        upload = ticket["upload"]
        return requests.post(upload["url"], data=upload["fields"], files={"file": (file_name, content)}, timeout=30)

    def wait_final(self, key: str, upload_id: str, timeout_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            response = self.get(f"/v1/uploads/{upload_id}", key)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if body["status"] in FINAL:
                return body
            assert time.monotonic() < deadline, f"still {body['status']} after {timeout_s} s"
            time.sleep(min(body["next_poll_after_s"], 0.3))


@pytest.fixture
def api(pipeline: RunningPipeline) -> Iterator[Api]:
    bootstrap.reset()
    server = ApiServer(load_handler("api"), load_handler("api", module_name="authorizer"))
    url = server.start()
    yield Api(url, pipeline)
    server.stop()
