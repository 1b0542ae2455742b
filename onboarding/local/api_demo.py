"""The API part of `onboard demo`: one upload made as a vendor's program would make it, over HTTP.

A key, a webhook to a tiny local receiver, a ticket, the file POSTed with the ticket's presigned form, the
upload polled until final (its history shown as a timeline), and the webhook as it arrived, its signature
checked with the secret the API showed once.
"""

from __future__ import annotations

import hmac
import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from onboarding.bootstrap import Container
from onboarding.domain.webhooks import sign
from onboarding.local.api_server import serve_api
from onboarding.local.webhook_receiver import WebhookReceiver
from onboarding.waiting import wait_for

FINAL = {"completed", "partial", "failed", "expired", "validated"}


def api_walkthrough(container: Container, home: Path, vendor_id: str, sample: Path) -> None:
    server = serve_api(home, container.settings)
    try:
        _, key = container.api_keys.create(vendor_id)
        api = _Client(server.url, key.api_key)
        print(f"\n=== The vendor API at {server.url} ({vendor_id}, key {key.key_id})")
        with WebhookReceiver() as receiver:
            hook = api.call("POST", "/v1/webhooks", {"url": receiver.url, "events": ["upload.completed",
                                                                                      "upload.failed"]})
            print(f"POST /v1/webhooks -> {hook['id']} for {hook['url']} (secret shown once: {hook['secret'][:12]}...)")
            ticket = api.call("POST", "/v1/uploads", {"file_name": f"{vendor_id}_catalog_api.csv"})
            print(f"POST /v1/uploads -> {ticket['upload_id']} {ticket['status']}, expires {ticket['expires_at']}")
            status = _post_form(ticket["upload"]["url"], ticket["upload"]["fields"], sample.read_bytes())
            print(f"POST {ticket['upload']['url']} (the presigned form + the file) -> {status}")
            upload = _poll(api, ticket["upload_id"])
            print(f"GET /v1/uploads/{upload['upload_id']} -> {upload['status']}: {upload['valid_records']} of "
                  f"{upload['total_records']} rows in the catalog; history:")
            for entry in upload["history"]:
                print(f"  {entry['at'][11:23]}  {entry['status']:<16} {entry['detail'] or ''}")
            wait_for(lambda: bool(receiver.deliveries()), 30)
            for delivery in receiver.deliveries():
                body = json.loads(delivery.body)
                expected = sign(hook["secret"], delivery.headers["webhook-id"],
                                int(delivery.headers["webhook-timestamp"]), delivery.body)
                verified = hmac.compare_digest(expected, delivery.headers["webhook-signature"])
                print(f"webhook received: {body['type']} {body['data']['upload_id']} {body['data']['status']} "
                      f"(webhook-id {delivery.headers['webhook-id']}, signature "
                      f"{'verified' if verified else 'WRONG'}, answered {delivery.answered})")
    finally:
        server.stop()


class _Client:
    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (the local API's own URL)
            self.url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
        return answer


def _post_form(url: str, fields: dict[str, str], content: bytes) -> int:
    """A multipart form as a browser sends it: every field of the ticket, then the file last."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="catalog.csv"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + content + f"\r\n--{boundary}--\r\n".encode())
    request = urllib.request.Request(  # noqa: S310 (the local S3's presigned URL)
        url, data=b"".join(parts), method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return int(response.status)


def _poll(api: _Client, upload_id: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    seen = ""
    while True:
        upload = api.call("GET", f"/v1/uploads/{upload_id}")
        if upload["status"] != seen:
            seen = upload["status"]
            print(f"  polled: {seen}")
        if upload["status"] in FINAL or time.monotonic() > deadline:
            return upload
        time.sleep(min(float(upload.get("next_poll_after_s", 1)), 0.5))
