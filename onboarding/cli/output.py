"""What `onboard` prints: tables and a progress bar for people, one JSON object for scripts (`--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def emit_json(value: Any) -> None:
    print(json.dumps(value, default=json_default, ensure_ascii=False))


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [list(map(str, header))] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def progress_bar(status: dict[str, Any], width: int = 30) -> None:
    total = status["total_records"] or 0
    done = status["valid_records"] + status["error_records"]
    fraction = done / total if total else (1.0 if status["status"] != "processing" else 0.0)
    bar = "#" * int(fraction * width)
    print(f"\r{status['upload_id']} [{bar:<{width}}] {done}/{total} rows, {status['status']}",
          end="", file=sys.stderr, flush=True)


def print_status(status: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(status)
        return
    print(f"Upload {status['upload_id']} ({status['vendor_id']}, {status['file_name']}): {status['status']}")
    print(f"  rows {status['total_records']}: {status['valid_records']} products, "
          f"{status['error_records']} with errors")
    if status["error_report"]:
        print(f"  error report: {status['error_report']}")
    errors = status["errors"]
    if errors:
        shown = errors[:15]
        print(table([(e["row_number"], e["error_type"], e["field"], e["message"][:70]) for e in shown],
                     ("ROW", "ERROR", "FIELD", "MESSAGE")))
        if len(errors) > len(shown):
            print(f"  ... {len(errors) - len(shown)} more errors in the report")
    if status["notification"]:
        print(f"  email ({status['notification_count']}): {status['notification']['subject']}")
