"""Webhooks: which events an upload raises, their thin body, the Standard Webhooks signature, the retry
schedule, and which URLs may receive them. No I/O here: resolving a host name is the adapter's job.

Signing follows https://www.standardwebhooks.com: headers `webhook-id` (the event's id, the same on every
retry), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body" keyed with the secret's bytes>`; secrets are `whsec_` + base64 of 32 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from onboarding.domain.uploads import Upload, UploadStatus

SECRET_PREFIX = "whsec_"  # noqa: S105 (the scheme's prefix, not a secret)
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
MAX_URL_CHARS = 2000
MAX_WEBHOOKS_PER_VENDOR = 10
LOCAL_HOSTS: frozenset[str] = frozenset({"127.0.0.1", "localhost"})


class EventType(StrEnum):
    UPLOAD_COMPLETED = "upload.completed"  # completed or partial: products reached the catalog
    UPLOAD_FAILED = "upload.failed"  # nothing reached the catalog (or a ticket expired unused)
    UPLOAD_VALIDATED = "upload.validated"  # a dry run was judged; it can be committed


_EVENT_OF_STATUS: dict[str, EventType] = {
    "completed": EventType.UPLOAD_COMPLETED,
    "partial": EventType.UPLOAD_COMPLETED,
    "failed": EventType.UPLOAD_FAILED,
    "expired": EventType.UPLOAD_FAILED,  # a ticket whose file never came: failed, to whoever waits for it
    "validated": EventType.UPLOAD_VALIDATED,
}


def event_for_status(status: UploadStatus) -> EventType | None:
    """The event an upload raises on reaching `status` (None: not a final status that raises one)."""
    return _EVENT_OF_STATUS.get(str(status))


def new_event_id() -> str:
    return "msg_" + secrets.token_hex(12)


def new_webhook_id() -> str:
    return "wh_" + secrets.token_hex(10)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def event_body(event_type: EventType, upload: Upload, at: datetime, upload_link: str) -> dict[str, Any]:
    """The thin body: what happened, to which upload, its counts, and where to read the rest."""
    data: dict[str, Any] = {
        "upload_id": upload.upload_id,
        "vendor_id": upload.vendor_id,
        "file_name": upload.file_name,
        "status": str(upload.status),
        "dry_run": upload.dry_run,
        "total_records": upload.total_records or 0,
        "valid_records": upload.valid_records,
        "error_records": upload.error_records,
        "links": {"upload": upload_link},
    }
    if upload.dry_run:
        data["summary"] = {"would_create": upload.would_create_records,
                           "would_update": upload.would_update_records, "invalid": upload.error_records}
    return {"type": str(event_type), "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def encode_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one delivery."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, event_id, timestamp, body),
    }


def parse_schedule(text: str) -> tuple[int, ...]:
    """`"5,300,1800"` -> seconds to wait before each retry; the attempts are one more than the waits."""
    waits = tuple(int(part) for part in text.split(",") if part.strip())
    if any(w < 0 for w in waits):
        raise ValueError("retry waits must not be negative")
    return waits


@dataclass(frozen=True)
class NextAttempt:
    give_up: bool
    wait_s: int = 0


def after_failed_attempt(attempts_made: int, schedule: Sequence[int]) -> NextAttempt:
    """After `attempts_made` failed attempts: wait the schedule's next gap, or give up once it is spent."""
    if attempts_made > len(schedule):
        return NextAttempt(give_up=True)
    return NextAttempt(give_up=False, wait_s=schedule[attempts_made - 1])


class WebhookRefused(Exception):
    """A webhook URL or event list that cannot be accepted (answered 422): a code and a sentence."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


INVALID_WEBHOOK_URL = "INVALID_WEBHOOK_URL"


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    host: str
    is_local: bool  # http(s)://127.0.0.1:PORT or localhost:PORT, accepted only where the setting allows it


_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>[^#]*)(?P<fragment>#.*)?$")
_AUTHORITY = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>[0-9]{1,5}))?$")


def check_url(url: str, allow_localhost: bool) -> WebhookTarget:
    """The URL's shape: https (or, where allowed, http to 127.0.0.1 / localhost with a port), no credentials."""
    if len(url) > MAX_URL_CHARS:
        raise WebhookRefused(INVALID_WEBHOOK_URL, f"The webhook URL is longer than {MAX_URL_CHARS} characters.")
    whole = _URL.match(url)
    if whole is None or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise WebhookRefused(INVALID_WEBHOOK_URL, "The webhook URL is not a valid URL.")
    authority = _AUTHORITY.match(whole["authority"])
    if authority is None or whole["fragment"]:
        raise WebhookRefused(INVALID_WEBHOOK_URL,
                             "The webhook URL needs a host and must not carry credentials or a fragment.")
    host = (authority["host"] or authority["ipv6"]).lower()
    port = int(authority["port"]) if authority["port"] else None
    if port is not None and not 0 < port < 65536:
        raise WebhookRefused(INVALID_WEBHOOK_URL, "The webhook URL's port is not a valid port.")
    scheme = whole["scheme"].lower()
    if allow_localhost and host in LOCAL_HOSTS and scheme in ("http", "https") and port is not None:
        return WebhookTarget(url, host, is_local=True)
    if scheme != "https":
        raise WebhookRefused(INVALID_WEBHOOK_URL, "Webhook URLs must use https.")
    return WebhookTarget(url, host, is_local=False)


def check_addresses(target: WebhookTarget, addresses: Sequence[str]) -> None:
    """Every address the host resolves to must be public: no private, loopback, link-local or reserved one
    (the metadata service, the VPC's databases). The local exception is the developer's own machine."""
    if target.is_local:
        return
    if not addresses:
        raise WebhookRefused(INVALID_WEBHOOK_URL, f"The webhook host {target.host} does not resolve.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise WebhookRefused(INVALID_WEBHOOK_URL,
                                 f"The webhook host {target.host} resolves to a private or reserved address; "
                                 "use a public https endpoint.")


def check_events(events: Sequence[str]) -> tuple[EventType, ...]:
    known = {str(e) for e in EventType}
    unknown = [e for e in events if e not in known]
    if not events or unknown:
        raise WebhookRefused("INVALID_WEBHOOK_EVENTS",
                             f"Subscribe to one or more of {', '.join(sorted(known))}"
                             + (f"; unknown: {', '.join(unknown[:3])}." if unknown else "."))
    return tuple(dict.fromkeys(EventType(e) for e in events))


@dataclass(frozen=True)
class Webhook:
    """A vendor's endpoint. Its secret is shown once, when it is created, and never listed."""

    webhook_id: str
    vendor_id: str
    url: str
    events: tuple[EventType, ...]
    created_at: datetime


@dataclass(frozen=True)
class DueDelivery:
    """One event to one endpoint, claimed by a sender for one attempt."""

    event_id: str
    webhook_id: str
    url: str
    secret: str
    body: bytes
    attempts_before: int


@dataclass(frozen=True)
class DeliveryAttempt:
    """One try at delivering an event: the status code the endpoint answered, or why there was none."""

    attempt_id: int
    event_id: str
    event_type: str
    upload_id: str
    attempt: int
    status_code: int | None
    error: str | None
    at: datetime

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def upload_link(api_url: str | None, upload_id: str) -> str:
    """Where the upload's status is read: absolute when the API's public URL is known."""
    path = f"/v1/uploads/{upload_id}"
    return api_url.rstrip("/") + path if api_url else path


@dataclass(frozen=True)
class PostResult:
    """What an endpoint answered to one POST."""

    status_code: int | None  # None: no answer (timeout, refused connection, TLS failure)
    error: str | None
