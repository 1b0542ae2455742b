"""Webhooks in PostgreSQL: endpoints, the events uploads raise, the outbox of deliveries and every attempt.

An event is raised inside the transaction that makes its upload final (`raise_event`, called by the
completion), so there is exactly one per upload and type. Senders claim due deliveries with
`FOR UPDATE SKIP LOCKED` and a lease, so two senders do not post the same delivery at once; a sender that
dies mid-attempt leaves the lease to run out, and the delivery is tried again (at least once).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, text

from onboarding.domain.webhooks import DeliveryAttempt, DueDelivery, EventType, Webhook, encode_body


class Webhooks:
    engine: Engine

    def create_webhook(self, webhook: Webhook, secret: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    INSERT INTO webhooks (webhook_id, vendor_id, url, events, secret, created_at)
                    VALUES (:id, :vendor, :url, CAST(:events AS text[]), :secret, :at)
                    """
                ),
                {"id": webhook.webhook_id, "vendor": webhook.vendor_id, "url": webhook.url,
                 "events": [str(e) for e in webhook.events], "secret": secret, "at": webhook.created_at},
            )

    def webhooks_of(self, vendor_id: str) -> list[Webhook]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT webhook_id, vendor_id, url, events, created_at FROM webhooks "
                    "WHERE vendor_id = :v AND deleted_at IS NULL ORDER BY created_at, webhook_id"
                ),
                {"v": vendor_id},
            )
            return [_webhook(r) for r in rows]

    def get_webhook(self, vendor_id: str, webhook_id: str) -> Webhook | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT webhook_id, vendor_id, url, events, created_at FROM webhooks "
                    "WHERE vendor_id = :v AND webhook_id = :w AND deleted_at IS NULL"
                ),
                {"v": vendor_id, "w": webhook_id},
            ).one_or_none()
        return _webhook(row) if row else None

    def delete_webhook(self, vendor_id: str, webhook_id: str) -> bool:
        """Stop delivering to it (pending deliveries are dropped); its attempts stay readable. False: not found."""
        with self.engine.begin() as conn:
            deleted = conn.execute(
                text(
                    "UPDATE webhooks SET deleted_at = now() "
                    "WHERE vendor_id = :v AND webhook_id = :w AND deleted_at IS NULL"
                ),
                {"v": vendor_id, "w": webhook_id},
            ).rowcount
            conn.execute(
                text("UPDATE webhook_deliveries SET state = 'failed' WHERE webhook_id = :w AND state = 'pending'"),
                {"w": webhook_id},
            )
        return bool(deleted)

    def delivery_attempts(self, webhook_id: str, limit: int, after_attempt_id: int | None) -> list[DeliveryAttempt]:
        """A webhook's attempts, oldest first, a page at a time."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT a.attempt_id, a.event_id, e.event_type, e.upload_id, a.attempt, a.status_code, a.error,
                           a.attempted_at
                    FROM webhook_attempts a JOIN webhook_events e USING (event_id)
                    WHERE a.webhook_id = :w AND a.attempt_id > :after
                    ORDER BY a.attempt_id LIMIT :n
                    """
                ),
                {"w": webhook_id, "after": after_attempt_id or 0, "n": limit},
            )
            return [DeliveryAttempt(r.attempt_id, r.event_id, r.event_type, r.upload_id, r.attempt, r.status_code,
                                    r.error, r.attempted_at) for r in rows]

    def claim_due_deliveries(
        self, limit: int, lease_s: int, event_ids: Sequence[str] | None = None
    ) -> list[DueDelivery]:
        """Deliveries due now (of these events, or all), leased to this sender for `lease_s` seconds."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    """
                    WITH due AS (
                        SELECT event_id, webhook_id FROM webhook_deliveries
                        WHERE state = 'pending' AND next_attempt_at <= now()
                          AND (CAST(:events AS text[]) IS NULL OR event_id = ANY(CAST(:events AS text[])))
                        ORDER BY next_attempt_at LIMIT :n
                        FOR UPDATE SKIP LOCKED
                    )
                    UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => :lease)
                    FROM due, webhooks w, webhook_events e
                    WHERE d.event_id = due.event_id AND d.webhook_id = due.webhook_id
                      AND w.webhook_id = d.webhook_id AND e.event_id = d.event_id
                    RETURNING d.event_id, d.webhook_id, w.url, w.secret, e.body, d.attempts
                    """
                ),
                {"events": list(event_ids) if event_ids is not None else None, "n": limit, "lease": lease_s},
            )
            return [DueDelivery(r.event_id, r.webhook_id, r.url, r.secret, encode_body(r.body), r.attempts)
                    for r in rows]

    def record_attempt(
        self, delivery: DueDelivery, status_code: int | None, error: str | None, delivered: bool,
        retry_in_s: int | None,
    ) -> None:
        """One attempt's result, and what becomes of the delivery: delivered, retried later, or given up."""
        state = "delivered" if delivered else ("pending" if retry_in_s is not None else "failed")
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    INSERT INTO webhook_attempts (event_id, webhook_id, attempt, status_code, error)
                    VALUES (:e, :w, :attempt, :code, :error)
                    """
                ),
                {"e": delivery.event_id, "w": delivery.webhook_id, "attempt": delivery.attempts_before + 1,
                 "code": status_code, "error": error},
            )
            conn.execute(
                text(
                    """
                    UPDATE webhook_deliveries
                    SET state = :state, attempts = attempts + 1,
                        next_attempt_at = now() + make_interval(secs => :wait)
                    WHERE event_id = :e AND webhook_id = :w AND state = 'pending'
                    """
                ),
                {"state": state, "wait": retry_in_s or 0, "e": delivery.event_id, "w": delivery.webhook_id},
            )


def raise_event(conn: Connection, event_id: str, upload_id: str, vendor_id: str, event_type: EventType,
                body: dict[str, Any]) -> str | None:
    """Record the event and queue it for every endpoint of the vendor that subscribed to it, in the caller's
    transaction. Returns the event id when deliveries were queued; None when the upload raised this event
    already, or no endpoint subscribed to it (the event is recorded all the same)."""
    raised = conn.execute(
        text(
            """
            INSERT INTO webhook_events (event_id, upload_id, vendor_id, event_type, body)
            VALUES (:e, :u, :v, :t, CAST(:body AS jsonb))
            ON CONFLICT ON CONSTRAINT webhook_events_once DO NOTHING
            RETURNING event_id
            """
        ),
        {"e": event_id, "u": upload_id, "v": vendor_id, "t": str(event_type), "body": json.dumps(body)},
    ).scalar_one_or_none()
    if raised is None:
        return None
    queued = conn.execute(
        text(
            """
            INSERT INTO webhook_deliveries (event_id, webhook_id)
            SELECT :e, webhook_id FROM webhooks
            WHERE vendor_id = :v AND deleted_at IS NULL AND :t = ANY(events)
            """
        ),
        {"e": event_id, "v": vendor_id, "t": str(event_type)},
    ).rowcount
    return str(raised) if queued else None


def _webhook(row: Any) -> Webhook:
    return Webhook(row.webhook_id, row.vendor_id, row.url, tuple(EventType(e) for e in row.events), row.created_at)
