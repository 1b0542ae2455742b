"""`onboard metrics`: the EMF metrics the functions printed while the worker ran them, summed up as CloudWatch's
dashboard would show them (the same lines Lambda turns into metrics in AWS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from onboarding.local.metrics import summarize
from tests.e2e.test_cli import last_json_line
from tests.e2e.test_local_stack import stack_env, stack_home, start, stop  # noqa: F401 (fixtures)

FILES = Path(__file__).parents[1] / "files"


def onboard(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "onboarding.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, input=stdin)


def by_metric(rows: list[dict[str, Any]]) -> dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]]:
    return {(row["metric"], tuple(sorted(row["dimensions"].items()))): row for row in rows}


@pytest.mark.slow(6)
def test_onboard_metrics_shows_the_business_metrics_of_the_uploads_just_run(
    stack_env: dict[str, str], tmp_path: Path,  # noqa: F811 (the fixture imported above)
) -> None:
    """As a student runs it: the stack, a worker process, two uploads, then `onboard metrics`."""
    env = stack_env
    assert "No metrics yet" in onboard(env, "metrics").stdout
    worker = start(env, "worker", log=tmp_path / "worker.log")
    try:
        onboard(env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com")
        first = last_json_line(onboard(env, "upload", str(FILES / "every_rule.csv"), "--vendor", "VEND001",
                                       "--wait", "--json").stdout)
        not_a_catalog = tmp_path / "notes.txt"
        not_a_catalog.write_text("not a catalog")
        second = last_json_line(onboard(env, "upload", str(not_a_catalog), "--vendor", "VEND001", "--wait",
                                        "--json").stdout)
    finally:
        stop(worker)

    listed = onboard(env, "metrics", "--json")

    assert listed.returncode == 0, listed.stderr
    rows = by_metric(json.loads(listed.stdout.strip().splitlines()[-1]))
    assert first["status"] == "partial" and second["status"] == "failed"
    assert rows[("UploadsFinished", (("status", "partial"),))]["sum"] == 1
    assert rows[("UploadsFinished", (("status", "failed"),))]["sum"] == 1
    assert rows[("RowsAccepted", ())]["sum"] == first["valid_records"] == 2
    assert rows[("RowsRejected", ())]["sum"] == first["error_records"] == 12
    [file_rejection] = [row for (name, _), row in rows.items() if name == "FileRejections"]
    assert file_rejection["dimensions"]["code"] == second["errors"][0]["error_type"]
    assert rows[("TimeToFinalStatus", ())]["samples"] == 2 and rows[("TimeToFinalStatus", ())]["unit"] == "Seconds"
    assert rows[("RowsPerSecond", ())]["samples"] == 1  # the rejected file had no rows
    assert sum(row["sum"] for (name, _), row in rows.items() if name == "NotificationsSent") == 2
    # One worker process, one cold start: Powertools keeps one cold-start flag per process, so it goes to whichever
    # function the worker calls first (csv_parser, or error_processor when the scheduled sweep comes first).
    assert sum(row["sum"] for (name, _), row in rows.items() if name == "ColdStart") == 1

    table = onboard(env, "metrics")
    assert table.returncode == 0 and "UploadsFinished" in table.stdout and "status=partial" in table.stdout


def test_onboard_metrics_reads_a_functions_log_from_standard_input(tmp_path: Path) -> None:
    """As with docker compose, where each function prints to its own container's log."""
    log = "\n".join([
        "START RequestId: 1 Version: $LATEST",
        '{"level":"INFO","message":"rows written","upload_id":"U1"}',
        '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ProductOnboarding","Dimensions":[["status",'
        '"service"]],"Metrics":[{"Name":"UploadsFinished","Unit":"Count"}]}]},"status":"completed",'
        '"service":"product-onboarding","UploadsFinished":[1.0]}',
    ])
    listed = onboard({**os.environ, "ONBOARD_HOME": str(tmp_path)}, "metrics", "--from", "-", "--json", stdin=log)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout.strip().splitlines()[-1])
    assert rows == [summary.as_dict() for summary in summarize(log.splitlines())]
    assert by_metric(rows)[("UploadsFinished", (("status", "completed"),))]["sum"] == 1
