"""The edge of webhook delivery: resolving an endpoint's host, posting to it, and nudging the sender's queue."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import urllib3

from onboarding.adapters.queues import MessageQueue
from onboarding.domain.webhooks import PostResult

if TYPE_CHECKING:
    pass

MAX_ERROR_CHARS = 300


def resolve_host(host: str) -> list[str]:
    """Every address the host resolves to (empty when it does not resolve)."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError):
        return []


class HttpPoster:
    """POSTs a body with headers; never follows a redirect (it could lead to an address we refused)."""

    def __init__(self, timeout_s: float) -> None:
        self._pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=timeout_s))

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        try:
            response = self._pool.request("POST", url, body=body, headers=headers, redirect=False,
                                          preload_content=False)
            response.drain_conn()
            response.release_conn()
            return PostResult(response.status, None)
        except urllib3.exceptions.HTTPError as error:
            return PostResult(None, f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS])


class WebhookQueue:
    """The sender's queue: one message per raised event, so it is tried at once. Resolved on first use, so a
    function that raises no event never needs it."""

    def __init__(self, open_queue: Callable[[], MessageQueue]) -> None:
        self._open_queue = open_queue  # the composition root's: resolves the queue's URL
        self._queue: MessageQueue | None = None

    def announce(self, event_ids: Sequence[str]) -> None:
        if not event_ids:
            return
        if self._queue is None:
            self._queue = self._open_queue()
        self._queue.send_all(json.dumps({"event_id": e}) for e in event_ids)


def announced_event_id(body: str) -> str:
    """The event id a sender's queue message names (raises on a malformed message)."""
    return str(json.loads(body)["event_id"])
