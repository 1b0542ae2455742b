"""The `onboard` contract for catalog operations (issue 16), run as a user runs it: modes, products history,
vendor rules and quotas."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_catalog_operations import FULL_COLUMNS, full_row, rows_file
from tests.e2e.test_cli import last_json_line, onboard
from tests.harness import RunningPipeline


@pytest.mark.slow(9)
def test_upload_mode_history_and_vendor_rules_from_the_command_line(
    pipeline: RunningPipeline, tmp_path: Path
) -> None:
    env = pipeline.write_stack_env()
    assert onboard(env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com").returncode == 0
    full = tmp_path / "full.csv"
    full.write_bytes(rows_file(FULL_COLUMNS, full_row(1), full_row(2)))
    prices = tmp_path / "prices.csv"
    prices.write_bytes(rows_file(("vendor_product_id", "price"), {"vendor_product_id": "P-1", "price": "24.00"}))

    first = last_json_line(onboard(env, "upload", str(full), "--vendor", "VEND001", "--wait", "--json").stdout)
    second = onboard(env, "upload", str(prices), "--vendor", "VEND001", "--mode", "partial", "--wait", "--json")
    status = last_json_line(second.stdout)
    assert (status["mode"], status["status"], status["summary"]["updated"]) == ("partial", "completed", 1)
    assert status["warning_records"] == 0

    history = onboard(env, "products", "history", "VEND001", "P-1", "--json")
    assert history.returncode == 0, history.stderr
    events = last_json_line(history.stdout)
    assert [(e["event"], e["upload_id"]) for e in events] == [("create", first["upload_id"]),
                                                             ("update", status["upload_id"])]
    assert events[1]["changes"] == {"price": {"old": "20.00", "new": "24.00"}}
    assert "price: 20.00 -> 24.00" in onboard(env, "products", "history", "VEND001", "P-1").stdout

    rules = onboard(env, "vendors", "rules", "VEND001", "--allowed-brands", "Lumen, Acme", "--max-price", "50",
                    "--json")
    assert rules.returncode == 0, rules.stderr
    assert last_json_line(rules.stdout) == {
        "vendor_id": "VEND001", "extra_required_columns": [], "allowed_categories": [],
        "allowed_brands": ["Lumen", "Acme"], "min_price": None, "max_price": 50}
    quota = onboard(env, "vendors", "quota", "VEND001", "--max-uploads-per-day", "10", "--json")
    assert last_json_line(quota.stdout) == {"vendor_id": "VEND001", "max_active_products": None,
                                            "max_uploads_per_day": 10}
    assert last_json_line(onboard(env, "vendors", "rules", "VEND001", "--json").stdout)["allowed_brands"] == [
        "Lumen", "Acme"]

    unknown = onboard(env, "vendors", "rules", "VEND001", "--allowed-categories", "Spaceships")
    assert unknown.returncode == 2 and "Spaceships" in unknown.stderr and "Traceback" not in unknown.stderr
    replace_without_mode = onboard(env, "upload", str(full), "--vendor", "VEND001", "--confirm-replace")
    assert replace_without_mode.returncode == 2
