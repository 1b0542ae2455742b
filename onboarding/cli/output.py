"""What `onboard` prints: tables and a progress bar for people, one JSON object for scripts (`--json`).

People get `rich` tables whose long cells wrap (never cut without an ellipsis), colour only on a
terminal and never with `NO_COLOR` set, and a progress bar on stderr. Scripts get `--json`: the last
line of stdout is one JSON object, and nothing else is coloured or wrapped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from onboarding.domain.changes import ImportSummary
from onboarding.domain.uploads import FINAL_STATUSES

PIPED_WIDTH = 160  # columns when stdout is not a terminal: wide enough that ids stay on one line
ERRORS_SHOWN = 15
STATUS_STYLES = {"completed": "green", "partial": "yellow", "failed": "red", "expired": "red", "validated": "green",
                 "awaiting_upload": "cyan", "received": "cyan", "parsing": "cyan", "validating": "cyan",
                 "reporting": "cyan"}


def _console(stream: Any) -> Console:
    # rich turns colour off by itself when the stream is not a terminal or NO_COLOR is set.
    return Console(file=stream, width=None if stream.isatty() else PIPED_WIDTH, highlight=False, soft_wrap=False)



def emit_json(value: Any) -> None:
    print(json.dumps(value, default=json_default, ensure_ascii=False))


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def say(text: str, style: str | None = None) -> None:
    """A line for people on stdout (wrapped on a terminal, coloured when it can be)."""
    _console(sys.stdout).print(Text(text, style=style or ""))


def table(rows: Sequence[Sequence[Any]], header: Sequence[str], styles: Sequence[str | None] = ()) -> str:
    """A table as text: every cell whole, long ones wrapped within their column."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for index, name in enumerate(header):
        style = styles[index] if index < len(styles) else None
        grid.add_column(str(name), overflow="fold", style=style or "")
    for row in rows:
        grid.add_row(*(_cell(value) for value in row))
    console = _console(sys.stdout)
    with console.capture() as captured:
        console.print(grid)
    return captured.get().rstrip("\n")


def _cell(value: Any) -> Text:
    if value is None:
        return Text("")
    text = str(value)
    return Text(text, style=STATUS_STYLES.get(text, ""))


def print_status(status: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(status)
        return
    console = _console(sys.stdout)
    outcome = Text(str(status["status"]), style=f"bold {STATUS_STYLES.get(status['status'], '')}")
    console.print(Text.assemble(f"Upload {status['upload_id']} ({status['vendor_id']}, {status['file_name']}): ",
                                outcome))
    console.print(f"  rows {status['total_records']}: {status['valid_records']} products, "
                  f"{status['error_records']} with errors")
    console.print(f"  mode {status['mode']}: {ImportSummary(**status['summary']).in_words()}")
    history = status.get("history") or []
    if history:  # the timeline: every status the upload took, when, and why
        print(table([(h["at"].replace("T", " ")[:19], h["status"], h["detail"] or "") for h in history],
                    ("AT (UTC)", "STATUS", "DETAIL"), (None, "cyan", None)))
    errors = status["errors"]
    file_errors = [e for e in errors if e["row_number"] == 0]
    for error in file_errors:  # the only explanation of a rejected file: always whole
        console.print(Text(f"  {error['error_type']}: {error['message']}", style="red"))
    row_errors = [e for e in errors if e["row_number"] != 0]
    if row_errors:
        shown = row_errors[:ERRORS_SHOWN]
        console.print("  Row 1 is the first line after the header.")
        print(table([(e["row_number"], e["severity"], e["error_type"], e["field"], e["message"]) for e in shown],
                    ("ROW", "SEVERITY", "CODE", "FIELD", "MESSAGE"), (None, None, "yellow", None, None)))
        if len(row_errors) > len(shown):
            console.print(f"  … {len(row_errors) - len(shown)} more errors in the report")
    if status["error_report"]:
        console.print(f"  error report: {status['error_report']} "
                      f"(download: onboard report {status['upload_id']} -o errors.csv)")
    if status["notification"]:
        console.print(f"  email ({status['notification_count']}): {status['notification']['subject']}")


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="cyan")


class UploadProgress:
    """A progress bar on stderr while an upload is processed: the parser's reading, then the rows validated,
    with rows per second and the time left. Nothing is drawn when stderr is not a terminal."""

    def __init__(self) -> None:
        console = _console(sys.stderr)
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            _RowsPerSecond(), TimeRemainingColumn(), console=console, disable=not console.is_terminal,
        )
        self._task = self._progress.add_task("Waiting for the parser", total=None)

    def __enter__(self) -> UploadProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._progress.stop()

    def update(self, status: dict[str, Any]) -> None:
        total = status["total_records"] or 0
        done = status["valid_records"] + status["error_records"]
        if status["status"] in ("awaiting_upload", "received", "parsing") or (
                not total and status["status"] not in FINAL_STATUSES):
            self._progress.update(self._task, description="Reading the file", total=None)
        elif status["status"] not in FINAL_STATUSES:
            self._progress.update(self._task, description="Validating rows", total=total, completed=done)
        else:
            self._progress.update(self._task, description=f"Finished: {status['status']}", total=max(total, 1),
                                  completed=max(total, 1))
