"""Splitting work into API-sized batches, and backing off between retries."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most `size` items, in order, without materialising `items`."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def backoff_delay_s(attempt: int, base_s: float = 0.05, cap_s: float = 2.0) -> float:
    """Exponential backoff with full jitter (AWS's recommended shape)."""
    return random.uniform(0, min(cap_s, base_s * 2**attempt))  # noqa: S311 (jitter, not crypto)


def backoff(attempt: int, base_s: float = 0.05, cap_s: float = 2.0) -> None:
    time.sleep(backoff_delay_s(attempt, base_s, cap_s))
