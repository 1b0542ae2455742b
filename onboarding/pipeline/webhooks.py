"""Webhooks: a vendor's endpoints (register, list, delete, read their attempts), and the sender that delivers
the events uploads raise when they become final.

Delivery is at least once: an event waits in the outbox (PostgreSQL) until an endpoint answers 2xx; each failed
attempt (non-2xx, timeout, refused address) is retried after the next wait of `WEBHOOK_RETRY_SCHEDULE_S`, then
given up. Every attempt of one event carries the same `webhook-id`, so a receiver drops the duplicates. The
sender runs apart from the pipeline (its own queue and function, or the local worker's thread): a slow or
broken endpoint never holds an upload back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from onboarding.config import Settings
from onboarding.domain.webhooks import (
    MAX_WEBHOOKS_PER_VENDOR,
    DeliveryAttempt,
    DueDelivery,
    PostResult,
    Webhook,
    WebhookRefused,
    after_failed_attempt,
    check_addresses,
    check_events,
    check_url,
    new_secret,
    new_webhook_id,
    parse_schedule,
    signed_headers,
)
from onboarding.pipeline.logs import get_logger
from onboarding.pipeline.ports import Poster, WebhookStore

logger = get_logger()

SEND_BATCH = 25  # deliveries claimed per round: bounded, so one sender's lease never covers a long queue
LEASE_MARGIN_S = 30  # beyond the post's own timeout, before another sender may take a claimed delivery


@dataclass(frozen=True)
class WebhookDependencies:
    settings: Settings
    catalog: WebhookStore
    poster: Poster
    resolve: Callable[[str], list[str]]  # host -> its addresses


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    secret: str  # shown to the vendor once, in the answer to the registration


def register_webhook(deps: WebhookDependencies, vendor_id: str, url: str, events: Sequence[str]) -> NewWebhook:
    """Check the URL (shape, then every address its host resolves to) and the events; store it with a new
    secret. Raises `WebhookRefused`."""
    target = check_url(url, bool(deps.settings.webhook_allow_localhost))
    check_addresses(target, [] if target.is_local else deps.resolve(target.host))
    subscribed = check_events(events)
    if len(deps.catalog.webhooks_of(vendor_id)) >= MAX_WEBHOOKS_PER_VENDOR:
        raise WebhookRefused("TOO_MANY_WEBHOOKS",
                             f"A vendor can have {MAX_WEBHOOKS_PER_VENDOR} webhooks; delete one before adding another.")
    webhook = Webhook(new_webhook_id(), vendor_id, url, subscribed, datetime.now(UTC))
    secret = new_secret()
    deps.catalog.create_webhook(webhook, secret)
    logger.info("webhook registered", extra={"vendor_id": vendor_id, "webhook_id": webhook.webhook_id})
    return NewWebhook(webhook, secret)


def webhook_attempts(
    deps: WebhookDependencies, vendor_id: str, webhook_id: str, limit: int, after_attempt_id: int | None
) -> list[DeliveryAttempt] | None:
    """The webhook's attempts, oldest first; None when the vendor has no such webhook."""
    if deps.catalog.get_webhook(vendor_id, webhook_id) is None:
        return None
    return deps.catalog.delivery_attempts(webhook_id, limit, after_attempt_id)


@dataclass
class SendReport:
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    attempts: list[tuple[str, str, int | None]] = field(default_factory=list)  # (event, webhook, status code)


def send_due(deps: WebhookDependencies, event_ids: Sequence[str] | None = None) -> SendReport:
    """Attempt every delivery that is due (of these events, or all), a batch at a time, until none is due."""
    schedule = parse_schedule(deps.settings.webhook_retry_schedule_s)
    lease_s = deps.settings.webhook_timeout_s + LEASE_MARGIN_S
    report = SendReport()
    while True:
        claimed = deps.catalog.claim_due_deliveries(SEND_BATCH, lease_s, event_ids)
        for delivery in claimed:
            _attempt(deps, delivery, schedule, report)
        if len(claimed) < SEND_BATCH:
            return report


def _attempt(deps: WebhookDependencies, delivery: DueDelivery, schedule: Sequence[int], report: SendReport) -> None:
    result = _post(deps, delivery)
    delivered = result.status_code is not None and 200 <= result.status_code < 300
    retry_in_s: int | None = None
    if delivered:
        report.delivered += 1
    else:
        after = after_failed_attempt(delivery.attempts_before + 1, schedule)
        if after.give_up:
            report.given_up += 1
        else:
            retry_in_s = after.wait_s
            report.retrying += 1
    deps.catalog.record_attempt(delivery, result.status_code, result.error, delivered, retry_in_s)
    report.attempts.append((delivery.event_id, delivery.webhook_id, result.status_code))
    logger.info("webhook attempt", extra={"event_id": delivery.event_id, "webhook_id": delivery.webhook_id,
                                          "attempt": delivery.attempts_before + 1, "status_code": result.status_code,
                                          "error": result.error, "retry_in_s": retry_in_s})


def _post(deps: WebhookDependencies, delivery: DueDelivery) -> PostResult:
    # Checked again at every attempt: the host may resolve elsewhere since it was registered (DNS rebinding).
    try:
        target = check_url(delivery.url, bool(deps.settings.webhook_allow_localhost))
        check_addresses(target, [] if target.is_local else deps.resolve(target.host))
    except WebhookRefused as refused:
        return PostResult(None, refused.detail)
    timestamp = int(time.time())
    return deps.poster.post(delivery.url, delivery.body, signed_headers(delivery.secret, delivery.event_id,
                                                                         timestamp, delivery.body))
