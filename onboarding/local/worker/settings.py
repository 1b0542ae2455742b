"""The event source mapping settings the worker emulates, and how it reads an invocation's result."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from onboarding.local.functions import Invoke

log = logging.getLogger("onboarding.worker")


@dataclass(frozen=True)
class MappingSettings:
    """The event source mapping settings the worker emulates (the SAM template sets the same)."""

    upload_batch_size: int = 5
    error_batch_size: int = 10
    stream_batch_size: int = 1000
    stream_batching_window_s: float = 1.0
    stream_max_retries: int = 3
    stream_bisect_on_error: bool = True
    visibility_timeout_s: int = 30  # per receive; extended while an invocation runs
    poll_wait_s: int = 1
    sweep_every_s: float = 30.0
    # Only a safety net: every email is published by an invocation of this worker's, which wakes the mailbox.
    mailbox_every_s: float = 2.0
    webhook_every_s: float = 1.0  # the webhook sender's schedule (a minute in AWS): when due retries are sent
    # How often the uploads queue is polled while idle (an S3 PUT may arrive at any time), and the stream while the
    # parser is writing it.
    active_poll_s: float = 0.2
    # How often what only the pipeline itself feeds (the stream, the errors and webhooks queues) is polled while
    # nothing happens: an invocation that did work wakes every loop but the sweeper at once, so this bounds only
    # the wait for what arrives otherwise (a redrive, a retry's visibility timeout, rows another process wrote).
    quiet_poll_s: float = 1.0


def failed_identifiers(invoke: Invoke, event: dict[str, Any], all_ids: Sequence[str]) -> set[str]:
    """The items the function reported as failed; all of them if the invocation itself failed."""
    try:
        result = invoke(event)
    except Exception:
        log.exception("invocation failed")
        return set(all_ids)
    return {str(f["itemIdentifier"]) for f in result.get("batchItemFailures", [])}
