"""`make bench` keeps working: a small run through the same code, its figures sane and its targets met."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onboarding.local.functions import FUNCTIONS

ROOT = Path(__file__).parents[2]


@pytest.mark.slow(15)
def test_the_benchmark_runs_end_to_end_and_counts_its_round_trips(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "UPLOAD_", "DB_", "DATABASE_URL"))}
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    # One interpreter per handler for its import time: `make bench` takes the median of 3.
    result = subprocess.run([sys.executable, "-m", "bench.run", "--sizes", "500", "--import-samples", "1",
                             "--results-dir", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    recorded = json.loads((tmp_path / "latest.json").read_text())
    assert sorted(recorded["import_times_s"]) == sorted(FUNCTIONS)
    assert all(0 < seconds < 30 for seconds in recorded["import_times_s"].values())
    [run] = recorded["runs"]
    assert (run["rows"], run["bad_rows"], run["status"]) == (500, 10, "partial")
    assert run["wall_s"] > 0
    for floor, ratio in (("floor_stock", "ratio_to_stock_floor"), ("floor_fast_path", "ratio_to_fast_path_floor")):
        assert run[floor]["floor_s"] > 0  # measured on fresh servers of their own, stock and patched
        assert run[ratio] == round(run["wall_s"] / run[floor]["floor_s"], 2)
    assert run["calls_per_1000_rows"]["dynamodb"] <= 45
    assert run["sql_per_validator_invocation"] <= 5
    assert "| 500 |" in result.stdout and "ratio to stock" in result.stdout


def test_the_pipeline_only_run_prints_its_figures_and_records_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "UPLOAD_", "DB_", "DATABASE_URL"))}
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    result = subprocess.run([sys.executable, "-m", "bench.run", "--sizes", "300", "--pipeline-only",
                             "--results-dir", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    [line] = [line for line in result.stdout.splitlines() if line.startswith("{")]
    run = json.loads(line)
    assert (run["rows"], run["bad_rows"], run["status"]) == (300, 6, "partial")
    assert run["wall_s"] > 0 and "floor_stock" not in run
    assert run["sql_per_validator_invocation"] <= 5
    assert list(tmp_path.iterdir()) == []
