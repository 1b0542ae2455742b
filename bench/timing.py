"""Measuring without touching the pipeline: time per AWS operation (botocore events), per wrapped callable."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from onboarding.domain.columns import REQUIRED_COLUMNS
from onboarding.domain.source_file import FileScan, Limits, OpenStream, SourceRow
from onboarding.domain.uploads import RowOutcomes, UploadProgress
from onboarding.pipeline.ports import Catalog, FileReader


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


class TimedCatalog:
    """The catalog with its hot-path write timed (as `database_write`); every other call goes straight through.
    Handed to the composition root as a wrapper (`Overrides.wrap_catalog`): nothing is patched."""

    def __init__(self, inner: Catalog, timer: CallTimer) -> None:
        self._inner = inner
        self._commit = timer.wrap("database_write", inner.commit_outcomes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def commit_outcomes(self, batches: Sequence[RowOutcomes]) -> dict[str, UploadProgress]:
        return dict(self._commit(batches))


class TimedFileReader:
    """The file reader with both passes timed (as `parse`), handed in through `Overrides.wrap_file_reader`."""

    def __init__(self, inner: FileReader, timer: CallTimer) -> None:
        self._scan = timer.wrap("parse", inner.scan_file)
        self._read = timer.wrap_iterator("parse", inner.read_rows)

    def scan_file(
        self, open_stream: OpenStream, file_name: str, limits: Limits,
        required_columns: Sequence[str] = REQUIRED_COLUMNS,
    ) -> FileScan:
        scan: FileScan = self._scan(open_stream, file_name, limits, required_columns)
        return scan

    def read_rows(self, open_stream: OpenStream, scan: FileScan, limits: Limits) -> Iterator[SourceRow]:
        rows: Iterator[SourceRow] = self._read(open_stream, scan, limits)
        return rows
