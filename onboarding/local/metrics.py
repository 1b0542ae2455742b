"""The functions' EMF metrics, collected locally the way CloudWatch collects them in AWS.

In Lambda, every line a function prints that carries an `_aws` key (embedded metric format, printed by
Powertools) becomes a CloudWatch metric. Locally the worker runs the handlers in its own process: while it runs,
it tees its standard output and appends those lines to `$ONBOARD_HOME/metrics.jsonl`, and `onboard metrics`
sums them up as the dashboard would. (With docker compose the functions print to their own containers:
`docker compose logs --no-log-prefix csv_parser validator error_processor | onboard metrics --from -`.)
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


class EmfCollector:
    """Stands in for sys.stdout: passes everything through, and keeps the EMF lines (whole lines per thread,
    since `print` writes a line and its newline in two calls)."""

    def __init__(self, stream: TextIO, path: Path) -> None:
        self.stream = stream
        self.path = path
        self._pending = threading.local()
        self._file_lock = threading.Lock()

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        pending = getattr(self._pending, "text", "") + text
        *lines, rest = pending.split("\n")
        self._pending.text = rest
        emf = [line for line in lines if line.startswith("{") and '"_aws"' in line]
        if emf:
            with self._file_lock, self.path.open("a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in emf))
        return written

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
