"""PostgreSQL: requests per API key, per kind, in fixed one-minute windows (one statement a request)."""

from __future__ import annotations

import math

from sqlalchemy import Engine, text

from onboarding.domain.tickets import RateDecision

WINDOW_S = 60


class RateLimiter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hit(self, key_id: str, kind: str, limit: int) -> RateDecision:
        """Count one request; refused once the window already holds `limit` of this kind."""
        with self.engine.begin() as conn:
            row = conn.execute(
                text(
                    """
                    INSERT INTO api_rate_windows (key_id, kind, window_start, requests)
                    VALUES (:k, :kind, to_timestamp(floor(extract(epoch FROM now()) / :w) * :w), 1)
                    ON CONFLICT (key_id, kind, window_start) DO UPDATE
                    SET requests = api_rate_windows.requests + 1
                    RETURNING requests,
                              extract(epoch FROM window_start + make_interval(secs => :w) - now()) AS left_s
                    """
                ),
                {"k": key_id, "kind": kind, "w": WINDOW_S},
            ).one()
        allowed = row.requests <= limit
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=max(limit - row.requests, 0),
            retry_after_s=0 if allowed else max(1, math.ceil(float(row.left_s))),
        )
