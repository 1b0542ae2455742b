"""The README documents every setting the code reads (one fact, checked in one place)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onboarding.config import ENV_VARIABLES

README = (Path(__file__).parents[2] / "README.md").read_text()


@pytest.mark.parametrize("variable", ENV_VARIABLES)
def test_every_setting_is_documented_in_the_readme(variable: str) -> None:
    assert f"| `{variable}` |" in README


def test_the_quickstart_is_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quickstart.strip().splitlines()] == ["make demo", "make test"]


def test_every_file_the_readme_points_at_exists() -> None:
    root = Path(__file__).parents[2]
    pointed = re.findall(r"`((?:onboarding|services|tests|bench|db|infra)/[^`\s]*)`", README)
    missing = [path for path in pointed if not any(root.glob(path))]
    assert pointed
    assert missing == []
