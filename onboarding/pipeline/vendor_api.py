"""The vendor API's use cases: who is calling, tickets, and what a vendor may read.

Each use case takes `ApiDependencies` (ports) and a `Caller` (the vendor the authorizer established);
the routes in `onboarding/api/` only translate HTTP to these calls and back. Every read is scoped to the
caller's vendor: another vendor's id is answered exactly like an unknown one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from onboarding.config import Settings
from onboarding.domain.api_keys import Caller
from onboarding.domain.changes import ImportMode
from onboarding.domain.dry_runs import DryRunOutcome
from onboarding.domain.errors import ErrorCode, ErrorLine, FileRejected
from onboarding.domain.tickets import (
    IdempotentRequest,
    NewTicket,
    RateDecision,
    StoredResponse,
)
from onboarding.domain.uploads import (
    UploadDetail,
    UploadKey,
    UploadStatus,
    check_file_name,
    claimed_vendor_ids,
    ticket_object_key,
    ticket_upload_id,
)
from onboarding.domain.vendors import VendorStatus
from onboarding.pipeline.commit_upload import CommitDependencies
from onboarding.pipeline.webhooks import WebhookDependencies

# How soon a client should ask again: a ticket waits for a person, a running upload moves in seconds.
POLL_AFTER_S = {UploadStatus.AWAITING_UPLOAD: 5}
DEFAULT_POLL_AFTER_S = 2


# -- ports ---------------------------------------------------------------------------------------


class KeyLookup(Protocol):
    def caller(self, api_key: str) -> Caller | None: ...


class Tickets(Protocol):
    def stored_response(self, vendor_id: str, request: IdempotentRequest) -> StoredResponse | None: ...

    def create(
        self, ticket: NewTicket, status_code: int, response: dict[str, Any], request: IdempotentRequest | None
    ) -> StoredResponse: ...

    def expire_unused(self, grace_s: int) -> list[str]: ...


class VendorReads(Protocol):
    def registered_vendor_ids(self, candidates: Sequence[str]) -> set[str]: ...

    def upload(self, vendor_id: str, upload_id: str) -> UploadDetail | None: ...

    def uploads(
        self, vendor_id: str | None, status: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[UploadDetail]: ...  # vendor_id None: every vendor's (operators)

    def stuck_uploads(self, idle_s: int, limit: int) -> list[UploadDetail]: ...

    def upload_stats(self, days: int, top_codes: int) -> dict[str, list[dict[str, Any]]]: ...

    def errors(self, upload_id: str, limit: int, after: tuple[int, int] | None) -> list[ErrorLine]: ...

    def products(self, vendor_id: str, limit: int, after: str | None, q: str | None = None) -> list[dict[str, Any]]: ...

    def product_history(self, vendor_id: str, vendor_product_id: str) -> list[dict[str, Any]]: ...

    def product(self, vendor_id: str, vendor_product_id: str) -> dict[str, Any] | None: ...


class SignedPost(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def fields(self) -> dict[str, str]: ...


class Links(Protocol):
    """Presigned S3 requests (signed locally with the function's own credentials)."""

    def presigned_post(self, bucket: str, key: str, max_bytes: int, expires_s: int) -> SignedPost: ...

    def presigned_get(self, bucket: str, key: str, expires_s: int) -> str: ...


class DeadLetterCounts(Protocol):
    def __call__(self) -> list[dict[str, Any]]: ...  # [{queue, messages, oldest_at}]


class RateLimits(Protocol):
    def hit(self, key_id: str, kind: str, limit: int) -> RateDecision: ...


@dataclass(frozen=True)
class ApiDependencies:
    settings: Settings
    keys: KeyLookup
    tickets: Tickets
    reads: VendorReads
    links: Links
    rate_limits: RateLimits
    commits: CommitDependencies  # POST /v1/uploads/{id}/commit
    webhooks: WebhookDependencies  # /v1/webhooks
    dead_letters: DeadLetterCounts  # /v1/operator/dead-letters


# -- who is calling ------------------------------------------------------------------------------


class Access(StrEnum):
    ALLOW = "allow"
    UNAUTHORIZED = "unauthorized"  # no key, unknown or revoked: 401
    FORBIDDEN = "forbidden"  # a real key of a vendor that may not use the API now: 403


@dataclass(frozen=True)
class AccessDecision:
    access: Access
    caller: Caller | None = None


def authorize(keys: KeyLookup, api_key: str | None) -> AccessDecision:
    """The authorizer's decision for a presented key (looked up by its hash; revocation is immediate)."""
    caller = keys.caller(api_key) if api_key else None
    if caller is None:
        return AccessDecision(Access.UNAUTHORIZED)
    if caller.vendor_id is not None and caller.vendor_status != VendorStatus.ACTIVE:
        return AccessDecision(Access.FORBIDDEN, caller)
    return AccessDecision(Access.ALLOW, caller)


class RequestKind(StrEnum):
    """Rate limits are per key and per kind: creating (tickets, commits, webhooks) and reading."""

    CREATE = "create"
    READ = "read"


def request_kind(method: str) -> RequestKind:
    return RequestKind.READ if method.upper() in ("GET", "HEAD", "OPTIONS") else RequestKind.CREATE


def check_rate(deps: ApiDependencies, caller: Caller, kind: RequestKind) -> RateDecision:
    limit = deps.settings.api_create_per_minute if kind is RequestKind.CREATE else deps.settings.api_read_per_minute
    return deps.rate_limits.hit(caller.key_id, str(kind), limit)


# -- tickets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRequest:
    file_name: str
    dry_run: bool = False
    mode: ImportMode | None = None
    confirm_replace: bool = False


def check_ticket_file_name(reads: VendorReads, vendor_id: str, file_name: str) -> None:
    """The checks the parser would make on the name, made now (raises `FileRejected`)."""
    if "/" in file_name:
        raise FileRejected(ErrorCode.INVALID_FILE_NAME,
                           "The file name contains '/': send the file's own name, without folders.")
    check_file_name(UploadKey(vendor_id, file_name), reads.registered_vendor_ids(claimed_vendor_ids(file_name)))


def issue_ticket(
    deps: ApiDependencies, vendor_id: str, request: TicketRequest, idempotency: IdempotentRequest | None,
    now: datetime | None = None,
) -> StoredResponse:
    """A presigned POST for one file, its upload recorded as `awaiting_upload`; or, for a repeated
    Idempotency-Key with the same body, the first answer (raises `IdempotencyConflict` for another body)."""
    if idempotency is not None:
        stored = deps.tickets.stored_response(vendor_id, idempotency)
        if stored is not None:
            return stored
    check_ticket_file_name(deps.reads, vendor_id, request.file_name)
    settings = deps.settings
    issued_at = now or datetime.now(UTC)
    expires_at = issued_at + timedelta(seconds=settings.api_ticket_ttl_s)
    upload_id = ticket_upload_id(vendor_id, issued_at, secrets.token_hex(6))
    key = ticket_object_key(settings.upload_prefix, vendor_id, upload_id, request.file_name)
    post = deps.links.presigned_post(settings.upload_bucket, key, settings.max_file_bytes, settings.api_ticket_ttl_s)
    body: dict[str, Any] = {
        "upload_id": upload_id,
        "status": str(UploadStatus.AWAITING_UPLOAD),
        "upload": {"url": post.url, "fields": dict(post.fields)},
        "expires_at": expires_at.isoformat(),
        "file_name": request.file_name,
        "dry_run": request.dry_run,
        "mode": str(request.mode) if request.mode else None,
        "confirm_replace": request.confirm_replace,
        "max_bytes": settings.max_file_bytes,
    }
    ticket = NewTicket(upload_id, vendor_id, request.file_name, settings.upload_bucket, key, request.dry_run,
                       request.mode, request.confirm_replace, expires_at)
    return deps.tickets.create(ticket, 201, body, idempotency)


def expire_unused_tickets(tickets: Tickets, settings: Settings) -> list[str]:
    return tickets.expire_unused(settings.api_ticket_grace_s)


# -- reads ---------------------------------------------------------------------------------------


def upload_view(deps: ApiDependencies, detail: UploadDetail) -> dict[str, Any]:
    """An upload as the API shows it: the CLI's `status --json` fields (without the error list) and more."""
    upload = detail.upload
    total = upload.total_records
    report_url = None
    if upload.error_report_key:
        report_url = deps.links.presigned_get(upload.s3_bucket, upload.error_report_key,
                                              deps.settings.api_report_url_ttl_s)
    view: dict[str, Any] = {
        "upload_id": upload.upload_id,
        "vendor_id": upload.vendor_id,
        "file_name": upload.file_name,
        "status": str(upload.status),
        "total_records": total if total is not None else 0,
        "valid_records": upload.valid_records,
        "error_records": upload.error_records,
        "error_report": f"s3://{upload.s3_bucket}/{upload.error_report_key}" if upload.error_report_key else None,
        "dry_run": upload.dry_run,
        "mode": str(upload.mode) if upload.mode else None,
        "confirm_replace": upload.confirm_replace,
        "created_at": upload.started_at.isoformat(),
        "completed_at": upload.completed_at.isoformat() if upload.completed_at else None,
        "expires_at": upload.expires_at.isoformat() if upload.expires_at else None,
        "failure_reason": upload.failure_reason,
        "history": [
            {"status": str(h.status), "at": h.at.isoformat(), "detail": h.detail} for h in detail.history
        ],
        "progress": {"processed": upload.valid_records + upload.error_records, "total": total},
        "report_url": report_url,
    }
    if upload.dry_run:
        view["summary"] = DryRunOutcome.of(upload).to_dict()  # what a commit would do
    if not upload.status.is_final:
        view["next_poll_after_s"] = POLL_AFTER_S.get(upload.status, DEFAULT_POLL_AFTER_S)
    return view


def find_upload(deps: ApiDependencies, vendor_id: str, upload_id: str) -> UploadDetail | None:
    return deps.reads.upload(vendor_id, upload_id)


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_after: Any | None  # the sort key to continue after, or None on the last page


def uploads_page(
    deps: ApiDependencies, vendor_id: str | None, status: str | None, limit: int, after: tuple[datetime, str] | None
) -> Page:
    found = deps.reads.uploads(vendor_id, status, limit + 1, after)
    items = found[:limit]
    more = len(found) > limit
    last = items[-1].upload if items else None
    return Page(items, (last.started_at, last.upload_id) if more and last else None)


def errors_page(deps: ApiDependencies, upload_id: str, limit: int, after: tuple[int, int] | None) -> Page:
    found = deps.reads.errors(upload_id, limit + 1, after)
    items = found[:limit]
    more = len(found) > limit
    return Page(items, (items[-1].error.row_number, items[-1].error_id) if more and items else None)


def products_page(
    deps: ApiDependencies, vendor_id: str, limit: int, after: str | None, q: str | None = None
) -> Page:
    found = deps.reads.products(vendor_id, limit + 1, after, q)
    items = found[:limit]
    more = len(found) > limit
    return Page(items, items[-1]["vendor_product_id"] if more and items else None)
