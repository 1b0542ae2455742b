"""CI enforces what a developer runs: the lint (ruff, mypy strict) and every test suite."""

from __future__ import annotations

from pathlib import Path

CI = Path(__file__).parents[2] / ".ci" / "run"


def test_ci_runs_the_lint_then_every_test() -> None:
    commands = [line.strip() for line in CI.read_text().splitlines() if line.strip().startswith("make")]
    assert commands == ["make lint", "make test"]
    assert "set -euo pipefail" in CI.read_text()  # the first failure fails the run
