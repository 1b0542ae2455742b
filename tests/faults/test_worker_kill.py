"""The worker (`onboard worker`, its own process) killed with SIGKILL mid-upload, then started again.

What it was doing is redelivered: the in-flight S3 notification when its visibility timeout runs out,
the stream from the last checkpoint in ONBOARD_HOME. Every row must still be accounted for once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import Audit
from tests.faults.injection import catalog_file, wait_until, wait_until_quiet
from tests.harness import RunningPipeline

ROWS = 500
VISIBILITY_TIMEOUT_S = 4  # how soon a dead worker's in-flight messages come back


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env, self._log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        onboard = Path(sys.executable).parent / "onboard"
        self.process = subprocess.Popen([str(onboard), "worker"], env=self._env, stdout=self._log.open("ab"),
                                        stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, self._log.read_text()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def worker(stack: RunningPipeline, tmp_path: Path) -> Iterator[WorkerProcess]:
    env = {**stack.write_stack_env(), "ONBOARD_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S),
           "ONBOARD_SWEEP_EVERY_S": "3600", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    process = WorkerProcess(env, tmp_path / "worker.log")
    yield process
    process.stop()


def rows_written(stack: RunningPipeline, upload_id: str) -> bool:
    upload = stack.catalog.get_upload(upload_id)
    return upload is not None and upload.total_records is not None  # the scan is done; the writing begins


def rows_validated(stack: RunningPipeline, upload_id: str) -> bool:
    progress = stack.catalog.upload_progress(upload_id)
    return progress is not None and progress.accounted_records > 0


# (reached, then wait, rows): killed mid-validation needs more rows than one 1,000-record stream batch,
# or the first validated batch is the whole upload.
PHASES: dict[str, tuple[Callable[[RunningPipeline, str], bool], float, int]] = {
    "while writing rows": (rows_written, 0.3, ROWS),
    "while validating": (rows_validated, 0.0, 2_500),
}


@pytest.mark.slow(7)
@pytest.mark.parametrize("phase", list(PHASES))
def test_a_worker_killed_mid_upload_and_restarted_accounts_for_every_row_once(
    stack: RunningPipeline, worker: WorkerProcess, audit: Audit, phase: str
) -> None:
    reached, then_wait_s, rows = PHASES[phase]
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", rows, bad_every=9)
    worker.start()

    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    wait_until(lambda: reached(stack, upload_id), 60, f"the worker is busy {phase}", interval_s=0.05)
    time.sleep(then_wait_s)
    worker.kill()
    at_kill = stack.catalog.upload_progress(upload_id)
    worker.start()
    stack.wait(upload_id, timeout_s=120)
    wait_until_quiet(stack)

    assert at_kill is not None and at_kill.accounted_records < rows  # killed before the upload was done
    [result] = audit(f"worker killed -9 {phase}, restarted", [(upload_id, file.rows)])
    assert (result.valid_records, result.error_records) == (file.valid, file.invalid)
    assert result.observed() == result.exactly_once()
