"""The fault figures' way to the end of the session: each test puts its figures on its report, the process
that prints the session's summary (the only one, or pytest-xdist's controller) gathers them from the reports,
prints them as a table and, after a full and passing run of this directory, writes tests/faults/RESULTS.md.
The hooks that call these live in tests/conftest.py: a controller never loads this directory's conftest."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.faults.audit import FaultFigures, figures_table, write_results

RESULTS_FILE = Path(__file__).parent / "RESULTS.md"
FIGURES_PROPERTY = "fault_figures"
_reported: dict[str, list[tuple[int, FaultFigures]]] = {}


def record_figures(item: pytest.Item, figures: FaultFigures) -> None:
    """On the test's report, with the test's place in the collection (workers finish in any order)."""
    position = item.session.items.index(item) if item in item.session.items else len(item.session.items)
    item.user_properties.append((FIGURES_PROPERTY, json.dumps([position, asdict(figures)])))


def gather(report: pytest.TestReport) -> None:
    if report.when != "teardown":
        return
    entries = [json.loads(str(value)) for name, value in report.user_properties if name == FIGURES_PROPERTY]
    if entries:
        _reported[report.nodeid] = [(position, FaultFigures(**figures)) for position, figures in entries]


def summarize(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not _reported:
        return
    in_order = sorted(((position, nodeid, n, figures) for nodeid, entries in _reported.items()
                       for n, (position, figures) in enumerate(entries)), key=lambda entry: entry[:3])
    figures = [entry[3] for entry in in_order]
    terminalreporter.write_sep("=", "fault injection: every upload audited")
    for line in figures_table(figures):
        terminalreporter.write_line(line)
    here = Path(__file__).parent.relative_to(config.rootpath).as_posix() + "/"
    failed = [r for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])
              if getattr(r, "nodeid", "").startswith(here)]
    if not failed and _whole_directory_ran(config):
        write_results(RESULTS_FILE, figures)
        terminalreporter.write_line(f"(written to {RESULTS_FILE.relative_to(config.rootpath)})")


def _whole_directory_ran(config: pytest.Config) -> bool:
    """Only a run of every fault test rewrites RESULTS.md (not `-k`, not one file)."""
    if config.option.keyword or config.option.markexpr or getattr(config.option, "lf", False):
        return False
    here = Path(__file__).parent.resolve()
    targets = [Path(config.rootpath, arg).resolve() for arg in config.args]
    return any("::" not in str(t) and (t == here or here.is_relative_to(t)) for t in targets)
