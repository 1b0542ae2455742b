"""The functions' EMF metrics, collected locally the way CloudWatch collects them in AWS.

In Lambda, every line a function prints that carries an `_aws` key (embedded metric format, printed by
Powertools) becomes a CloudWatch metric. Locally the worker runs the handlers in its own process: while it
runs, it takes those lines out of its standard output into `$ONBOARD_HOME/metrics.jsonl` (so they never mix
with what people read), and `onboard metrics` sums them up as the dashboard would. With docker compose the
functions print to their own containers:
`docker compose logs --no-log-prefix csv_parser validator error_processor | onboard metrics --from -`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

METRICS_FILE = "metrics.jsonl"  # under the worker's home


EMF_PREFIX = '{"_aws":'  # how Powertools starts every EMF line


class EmfCollector:
    """Stands in for sys.stdout while the worker runs: EMF lines go to the metrics file only (as CloudWatch takes
    them out of a function's log), everything else passes through untouched. `print` writes a line and its
    newline in two calls, and threads interleave: a line that may be EMF is held per thread until it ends."""

    def __init__(self, stream: TextIO, path: Path) -> None:
        self.stream = stream
        self.path = path
        self._pending = threading.local()
        self._file_lock = threading.Lock()

    def write(self, text: str) -> int:
        pending: str = getattr(self._pending, "text", "") + text
        passed: list[str] = []
        metrics: list[str] = []
        while pending:
            maybe_emf = pending.startswith(EMF_PREFIX) or EMF_PREFIX.startswith(pending)
            end = pending.find("\n")
            if maybe_emf and end < 0:
                break  # the rest of the line is still to come
            line, pending = (pending, "") if end < 0 else (pending[:end + 1], pending[end + 1:])
            (metrics if maybe_emf else passed).append(line)
        self._pending.text = pending
        if passed:
            self.stream.write("".join(passed))
        if metrics:
            with self._file_lock, self.path.open("a", encoding="utf-8") as out:
                out.write("".join(metrics))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno...: the real stream's
        return getattr(self.stream, name)


def start_collecting(path: Path) -> EmfCollector:
    path.parent.mkdir(parents=True, exist_ok=True)
    collector = EmfCollector(sys.stdout, path)
    sys.stdout = collector
    return collector


def stop_collecting(collector: EmfCollector) -> None:
    if sys.stdout is collector:
        sys.stdout = collector.stream


@dataclass
class MetricSummary:
    name: str
    dimensions: dict[str, str]
    unit: str
    values: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.name, "dimensions": self.dimensions, "unit": self.unit, "samples": len(self.values),
                "sum": sum(self.values), "min": min(self.values), "max": max(self.values),
                "average": sum(self.values) / len(self.values)}


def summarize(lines: Iterable[str]) -> list[MetricSummary]:
    """Group EMF lines by metric and dimensions (without `service`, the same on all), as CloudWatch would."""
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], MetricSummary] = {}
    for line in lines:
        line = line.strip()
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        try:
            record = json.loads(line)
            directives = record["_aws"]["CloudWatchMetrics"]
        except (ValueError, KeyError, TypeError):
            continue
        for directive in directives:
            names = {name for dimension_set in directive["Dimensions"] for name in dimension_set}
            dimensions = {name: str(record[name]) for name in sorted(names - {"service"}) if name in record}
            for metric in directive["Metrics"]:
                values = record.get(metric["Name"])
                values = values if isinstance(values, list) else [values]
                key = (metric["Name"], tuple(dimensions.items()))
                summary = groups.setdefault(key, MetricSummary(metric["Name"], dimensions, metric.get("Unit", "")))
                summary.values += [float(v) for v in values if isinstance(v, int | float)]
    return sorted((s for s in groups.values() if s.values), key=lambda s: (s.name, sorted(s.dimensions.items())))
