"""Fault injection on real parts: moto's server over HTTP, PostgreSQL, the real handler files.

Each test injects one fault, runs uploads through it, and audits every upload (`tests/faults/audit.py`).
The figures are printed as a table at the end of the session and, after a full and passing run of
this directory, written to tests/faults/RESULTS.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from onboarding import bootstrap
from onboarding.local.worker import MappingSettings
from onboarding.provision import Resources
from tests.faults.audit import FaultFigures, UploadAudit, audit_upload, figures_table, write_results
from tests.harness import FAST_MAPPINGS, RunningPipeline, start_pipeline

RESULTS_FILE = Path(__file__).parent / "RESULTS.md"
FAULT_MAPPINGS: MappingSettings = replace(FAST_MAPPINGS, stream_max_retries=1)
"""The worker's mappings in these tests: fast polling, and one retry before a failing batch is bisected."""

_figures: list[FaultFigures] = []


@pytest.fixture
def stack(
    container: bootstrap.Container, resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningPipeline]:
    """A provisioned stack with the handlers' environment set; the test starts the worker (or drives by hand)."""
    running = start_pipeline(container, resources, tmp_path / "onboard", monkeypatch)
    running.home.mkdir()
    yield running
    running.stop()
    bootstrap.reset()


Audit = Callable[[str, Sequence[tuple[str, int]]], list[UploadAudit]]


@pytest.fixture
def audit(stack: RunningPipeline) -> Audit:
    """`audit(fault, [(upload_id, rows in the file), ...])`: audit each upload and record the figures."""

    def run(fault: str, uploads: Sequence[tuple[str, int]]) -> list[UploadAudit]:
        audits = [audit_upload(stack, upload_id, rows) for upload_id, rows in uploads]
        _figures.append(FaultFigures.of(fault, audits))
        return audits

    return run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not _figures:
        return
    terminalreporter.write_sep("=", "fault injection: every upload audited")
    for line in figures_table(_figures):
        terminalreporter.write_line(line)
    here = Path(__file__).parent.relative_to(config.rootpath).as_posix() + "/"
    failed = [r for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])
              if getattr(r, "nodeid", "").startswith(here)]
    if not failed and _whole_directory_ran(config):
        write_results(RESULTS_FILE, _figures)
        terminalreporter.write_line(f"(written to {RESULTS_FILE.relative_to(config.rootpath)})")


def _whole_directory_ran(config: pytest.Config) -> bool:
    """Only a run of every fault test rewrites RESULTS.md (not `-k`, not one file)."""
    if config.option.keyword or config.option.markexpr or getattr(config.option, "lf", False):
        return False
    here = Path(__file__).parent.resolve()
    targets = [Path(config.rootpath, arg).resolve() for arg in config.args]
    return any("::" not in str(t) and (t == here or here.is_relative_to(t)) for t in targets)
