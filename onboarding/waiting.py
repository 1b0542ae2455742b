"""Waiting for something to become true: the one polling loop (the worker's tests, the stack, the CLI's --wait)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.2) -> bool:
    """Ask `predicate` every `interval_s` until it is true (True) or `timeout_s` has passed (its last answer).
    An exception from `predicate` ends the wait and goes through."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()
