"""The API locally, as `sam local start-api` would serve it: HTTP requests in, API Gateway (REST) proxy events
to the same `services/api` handlers out.

Like API Gateway with a TOKEN authorizer, it answers 401 itself when `Authorization` is missing, calls the
authorizer function with the header, answers 401 when it raises "Unauthorized" and 403 on a Deny policy,
and otherwise passes the policy's context to the API function as `requestContext.authorizer`. The API
function runs one request at a time, as one Lambda container does (its resolver holds the request).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from onboarding.api.app import is_public, proxy_response
from onboarding.api.auth import UNAUTHORIZED_MESSAGE
from onboarding.api.portal import PORTAL_PREFIX
from onboarding.api.problems import FORBIDDEN, UNAUTHORIZED
from onboarding.config import Settings
from onboarding.local.functions import Invoke, load_handler
from onboarding.local.home import STACK_ENV

STAGE = "local"
API_ID = "local"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


class ApiServer:
    """`start()` serves on 127.0.0.1 (port 0: a free one) and returns the base URL; `stop()` ends it."""

    def __init__(
        self, api: Invoke, authorizer: Invoke, port: int = 0, host: str = "127.0.0.1",
        region: str = "us-east-1", account_id: str = "123456789012",
    ) -> None:
        self._api = api
        self._authorizer = authorizer
        self._address = (host, port)
        self._method_arn_prefix = f"arn:aws:execute-api:{region}:{account_id}:{API_ID}/{STAGE}"
        self._one_container = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None  # noqa: S101 (started)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        gateway = self

        class Handler(_GatewayHandler):
            server_gateway = gateway

        self._server = ThreadingHTTPServer(self._address, Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-server", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- what API Gateway does with one request ---------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, list[str]], body: bytes,
               source_ip: str) -> dict[str, Any]:
        parts = urlsplit(target)
        path = parts.path or "/"
        authorizer_context: dict[str, Any] | None = None
        if not is_public(method, path):
            authorization = _first(headers, "authorization")
            if not authorization:
                return proxy_response(UNAUTHORIZED)
            decision = self._authorize(authorization, f"{self._method_arn_prefix}/{method}{path}")
            if isinstance(decision, dict):
                authorizer_context = decision
            else:
                return decision[0]
        event = _proxy_event(method, path, parts.query, headers, body, source_ip, authorizer_context)
        with self._one_container:
            return self._api(event)

    def _authorize(self, token: str, method_arn: str) -> dict[str, Any] | tuple[dict[str, Any]]:
        try:
            policy = self._authorizer({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn})
        except Exception as error:
            if str(error) == UNAUTHORIZED_MESSAGE:
                return (proxy_response(UNAUTHORIZED),)
            raise
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not statements or any(s.get("Effect") != "Allow" for s in statements):
            return (proxy_response(FORBIDDEN),)
        return {**policy.get("context", {}), "principalId": policy.get("principalId")}


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name and values:
            return values[0]
    return None


def _proxy_event(
    method: str, path: str, query: str, headers: dict[str, list[str]], body: bytes, source_ip: str,
    authorizer_context: dict[str, Any] | None,
) -> dict[str, Any]:
    multi_query = parse_qs(query, keep_blank_values=True) if query else {}
    try:
        text_body: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text_body, is_base64 = base64.b64encode(body).decode(), True
    request_context: dict[str, Any] = {
        "resourcePath": path, "httpMethod": method, "path": path, "stage": STAGE, "apiId": API_ID,
        "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
        "identity": {"sourceIp": source_ip},
    }
    if authorizer_context is not None:
        request_context["authorizer"] = authorizer_context
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {k: v[-1] for k, v in headers.items()}, "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None, "stageVariables": None, "requestContext": request_context,
        "body": text_body, "isBase64Encoded": is_base64,
    }


class _GatewayHandler(BaseHTTPRequestHandler):
    server_gateway: ApiServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._write({"statusCode": 413, "headers": {"Content-Type": "application/problem+json"},
                         "body": json.dumps({"type": "about:blank", "title": "Content Too Large", "status": 413,
                                             "detail": "Request bodies are limited to 10 MB.",
                                             "code": "PAYLOAD_TOO_LARGE"})})
            return
        body = self.rfile.read(length) if length else b""
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name, []).append(value)
        try:
            response = self.server_gateway.answer(self.command, self.path, headers, body, self.client_address[0])
        except Exception:
            response = {"statusCode": 502, "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"message": "Internal server error"})}
        self._write(response)

    def _write(self, response: dict[str, Any]) -> None:
        raw = response.get("body") or ""
        payload = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode("utf-8")
        self.send_response(int(response.get("statusCode", 200)))
        sent: set[str] = set()
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if name.lower() == "content-length":
                continue
            for value in values:
                self.send_header(name, str(value))
            sent.add(name.lower())

        for name, value in (response.get("headers") or {}).items():
            if name.lower() not in sent and name.lower() != "content-length":
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the functions log what matters


API_PORT_VARIABLE = "ONBOARD_API_PORT"


def portal_url(api_url: str) -> str:
    return f"{api_url}{PORTAL_PREFIX}"


def serve_api(home: Path, settings: Settings, environ: Mapping[str, str] | None = None) -> ApiServer:
    """`onboard up`'s API: the `services/api` handlers on 127.0.0.1 (`ONBOARD_API_PORT`, else a free port),
    its URL added to `$ONBOARD_HOME/stack.env` as `API_URL`."""
    env = os.environ if environ is None else environ
    server = ApiServer(load_handler("api"), load_handler("api", module_name="authorizer"),
                       port=int(env.get(API_PORT_VARIABLE) or 0), region=settings.aws_region,
                       account_id=settings.aws_account_id)
    url = server.start()
    stack_env = home / STACK_ENV
    lines = [line for line in stack_env.read_text().splitlines() if not line.startswith(("API_URL=", "PORTAL_URL="))] \
        if stack_env.is_file() else []
    stack_env.write_text("".join(f"{line}\n" for line in [*lines, f"API_URL={url}", f"PORTAL_URL={portal_url(url)}"]))
    return server
