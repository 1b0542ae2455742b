"""The `onboard` command's contract, run as a user runs it: a separate process finding the stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.harness import RunningPipeline

FILES = Path(__file__).parents[1] / "files"
STATUS_FIELDS = {
    "upload_id", "vendor_id", "file_name", "status", "total_records", "valid_records", "error_records",
    "error_report", "errors", "notification", "notification_count", "mode", "warning_records", "summary",
    "dry_run", "history", "progress",
}
ERROR_FIELDS = {"row_number", "field", "error_type", "message", "value", "severity"}


def onboard(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onboarding.cli", *args], env=env, capture_output=True, text=True, timeout=timeout,
        check=False,
    )


def last_json_line(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


def test_vendors_add_registers_and_lists_the_vendor(pipeline: RunningPipeline) -> None:
    env = pipeline.write_stack_env()

    added = onboard(env, "vendors", "add", "VEND010", "--name", "Acme", "--email", "acme@example.com")
    listed = onboard(env, "vendors", "list", "--json")

    assert added.returncode == 0, added.stderr
    assert last_json_line(listed.stdout) == [
        {"vendor_id": "VEND010", "vendor_name": "Acme", "email": "acme@example.com", "status": "active"}
    ]


def test_upload_wait_json_prints_the_final_upload_as_the_last_line(pipeline: RunningPipeline, tmp_path: Path) -> None:
    env = pipeline.write_stack_env()
    onboard(env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com")

    done = onboard(env, "upload", str(FILES / "every_rule.csv"), "--vendor", "VEND001", "--wait", "--json")

    assert done.returncode == 1, done.stderr  # partial
    status = last_json_line(done.stdout)
    assert set(status) == STATUS_FIELDS
    assert (status["status"], status["total_records"], status["valid_records"], status["error_records"]) == (
        "partial", 14, 2, 12)
    assert all(set(e) == ERROR_FIELDS for e in status["errors"])
    assert status["notification_count"] == 1 and set(status["notification"]) == {"subject", "message"}

    again = onboard(env, "status", status["upload_id"], "--json")
    assert last_json_line(again.stdout) == status

    report = tmp_path / "report.csv"
    fetched = onboard(env, "report", status["upload_id"], "-o", str(report))
    assert fetched.returncode == 0, fetched.stderr
    assert report.read_text().splitlines()[0].startswith("row_number,error_type,error_field,error_message")

    products = last_json_line(onboard(env, "products", "--vendor", "VEND001", "--json").stdout)
    assert sorted(p["vendor_product_id"] for p in products) == ["R-01", "R-14"]
    assert {"sku", "price", "stock_quantity", "category"} <= set(products[0])


def test_upload_without_wait_prints_the_upload_id_at_once(pipeline: RunningPipeline) -> None:
    env = pipeline.write_stack_env()
    onboard(env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com")

    submitted = onboard(env, "upload", str(FILES / "every_rule.csv"), "--vendor", "VEND001")

    assert submitted.returncode == 0, submitted.stderr
    upload_id = submitted.stdout.strip().splitlines()[-1]
    assert upload_id.startswith("UPLOAD_VEND001_")
    assert pipeline.wait(upload_id)["upload_id"] == upload_id


def test_upload_wait_times_out_with_a_non_zero_exit(pipeline: RunningPipeline) -> None:
    pipeline.stop()  # nothing will process the file
    env = pipeline.write_stack_env()
    onboard(env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com")

    waited = onboard(env, "upload", str(FILES / "every_rule.csv"), "--vendor", "VEND001", "--wait", "--timeout", "2")

    assert waited.returncode != 0
    assert "Timed out" in waited.stderr


def test_status_without_a_stack_says_how_to_start_one(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "ONBOARD_HOME": str(tmp_path / "nothing-here")}

    result = onboard(env, "status")

    assert result.returncode != 0
    assert "onboard up" in result.stderr
