"""Measuring without touching the pipeline: time per AWS operation (botocore events), per wrapped callable."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any


class OperationTimer:
    """Counts and times every AWS API call of the clients it is registered on, per `service:Operation`."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._started = threading.local()
        self._lock = threading.Lock()

    def register(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        self._started.at = time.perf_counter()

    def _after(self, model: Any, **_: Any) -> None:
        elapsed = time.perf_counter() - getattr(self._started, "at", time.perf_counter())
        key = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self.calls[key] += 1
            self.seconds[key] += elapsed

    def service_calls(self, service: str) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith(service + ":"))

    def time_of(self, operation: str) -> float:
        return self.seconds.get(operation, 0.0)


class CallTimer:
    """Accumulates the wall time spent inside wrapped callables, per name."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[name] += time.perf_counter() - started

        return timed

    def wrap_iterator(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """For a generator function: the time spent producing items, not the time the consumer holds them."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            iterator = iter(function(*args, **kwargs))
            while True:
                started = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    return
                finally:
                    with self._lock:
                        self.seconds[name] += time.perf_counter() - started
                yield item

        return timed
