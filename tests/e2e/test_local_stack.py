"""`onboard up --no-worker` and `onboard worker` as separate processes, as a developer runs them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import FILES, last_json_line, onboard


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "onboarding.cli", *args], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def wait_until_up(env: dict[str, str], up: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Until `onboard status` answers for the stack `up` is starting. It is asked once `up` has written its
    stack.env: each `onboard status` is an interpreter of its own, and asking every half second while the stack
    starts took CPU from the start it waited for."""
    deadline = time.monotonic() + timeout_s
    stack_env = Path(env["ONBOARD_HOME"]) / "stack.env"
    while not stack_env.exists() or onboard(env, "status").returncode != 0:
        assert up.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"the stack did not come up within {timeout_s:.0f} s"
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def stack_home() -> Iterator[Path]:
    """An ONBOARD_HOME outside pytest's temp root: another pytest session resets that root to mode 0700, which
    locks out the embedded PostgreSQL's own system user (pgserver runs it as `pgserver` when we are root)."""
    home = Path(tempfile.mkdtemp(prefix="onboard-home-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def stack_env(tmp_path: Path, stack_home: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL", "UPLOAD_", "DB_"))}
    env["ONBOARD_HOME"] = str(stack_home)
    up = start(env, "up", "--no-worker", log=tmp_path / "up.log")
    wait_until_up(env, up, tmp_path / "up.log", timeout_s=60)
    yield env
    stop(up)
    assert not (stack_home / "stack.env").exists()


def test_a_stack_and_a_separate_worker_process_run_an_upload(stack_env: dict[str, str], tmp_path: Path) -> None:
    worker = start(stack_env, "worker", log=tmp_path / "worker.log")
    try:
        onboard(stack_env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com")
        done = onboard(stack_env, "upload", str(FILES / "every_rule.csv"), "--vendor", "VEND001", "--wait", "--json")
    finally:
        stop(worker)
    assert done.returncode == 1, done.stderr + (tmp_path / "worker.log").read_text()  # partial
    status = last_json_line(done.stdout)
    assert (status["status"], status["valid_records"], status["error_records"], status["notification_count"]) == (
        "partial", 2, 12, 1)
