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
from tests.faults.audit import FaultFigures, UploadAudit, audit_upload
from tests.faults.reporting import record_figures
from tests.harness import FAST_MAPPINGS, RunningPipeline, start_pipeline

FAULT_MAPPINGS: MappingSettings = replace(FAST_MAPPINGS, stream_max_retries=1)
"""The worker's mappings in these tests: fast polling, and one retry before a failing batch is bisected."""


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
def audit(stack: RunningPipeline, request: pytest.FixtureRequest) -> Audit:
    """`audit(fault, [(upload_id, rows in the file), ...])`: audit each upload and record the figures (on the
    test's report, so that they reach the session's summary from pytest-xdist's workers too)."""

    def run(fault: str, uploads: Sequence[tuple[str, int]]) -> list[UploadAudit]:
        audits = [audit_upload(stack, upload_id, rows) for upload_id, rows in uploads]
        record_figures(request.node, FaultFigures.of(fault, audits))
        return audits

    return run
