"""Every failure of `onboard` is one sentence on one line of stderr with its documented exit status, never a
traceback (issue 18, acceptance 2)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_cli import FILES, last_json_line, onboard
from tests.e2e.test_local_stack import stack_env, stack_home  # noqa: F401 (fixtures)
from tests.harness import RunningPipeline

EXIT_USAGE, EXIT_NO_STACK, EXIT_FAILED = 2, 4, 1


def assert_one_sentence(result: subprocess.CompletedProcess[str], exit_code: int) -> str:
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert result.returncode == exit_code, result.stderr
    assert lines[0].startswith("onboard: ") and lines[0].endswith((".", "`.")), lines[0]
    return lines[0]


@pytest.fixture
def no_stack(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL", "UPLOAD_", "DB_"))}
    return {**env, "ONBOARD_HOME": str(tmp_path / "empty-home")}


@pytest.mark.parametrize(("args", "exit_code", "says"), [
    (("status", "--limit", "-1"), EXIT_USAGE, "--limit: must be a whole number of 1 or more"),
    (("status", "--limit", "0"), EXIT_USAGE, "--limit: must be a whole number of 1 or more"),
    (("migrate",), EXIT_NO_STACK, "start one with `onboard up`"),
    (("status",), EXIT_NO_STACK, "start one with `onboard up`"),
    (("down",), EXIT_NO_STACK, "nothing to stop"),
    (("vendors", "add", "VEND001", "--name", "Acme", "--email", "not-an-email"), EXIT_USAGE, "not an email address"),
    (("upload", "missing.csv", "--vendor", "VEND001"), EXIT_USAGE, "No such file"),
    (("nonsense",), EXIT_USAGE, "invalid choice"),
])
def test_without_a_stack_each_mistake_is_one_sentence(
    no_stack: dict[str, str], args: tuple[str, ...], exit_code: int, says: str
) -> None:
    assert says in assert_one_sentence(onboard(no_stack, *args), exit_code)


def test_an_endpoint_without_credentials_says_which_variables_to_set(no_stack: dict[str, str]) -> None:
    line = assert_one_sentence(onboard({**no_stack, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "status"),
                               EXIT_NO_STACK)
    assert "AWS_ACCESS_KEY_ID" in line


def test_an_unreachable_stack_is_one_sentence(no_stack: dict[str, str]) -> None:
    env = {**no_stack, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}
    assert "Cannot reach AWS" in assert_one_sentence(onboard(env, "vendors", "list"), EXIT_NO_STACK)


def test_up_when_a_stack_is_running_says_so(stack_env: dict[str, str]) -> None:  # noqa: F811 (the fixture)
    line = assert_one_sentence(onboard(stack_env, "up"), EXIT_FAILED)
    assert "already running" in line and "onboard down" in line


def test_unknown_vendor_and_upload_are_usage_errors_not_empty_lists(pipeline: RunningPipeline) -> None:
    env = pipeline.write_stack_env()
    assert "No vendor NOPE" in assert_one_sentence(onboard(env, "products", "--vendor", "NOPE"), EXIT_USAGE)
    assert "No upload NOPE" in assert_one_sentence(onboard(env, "report", "NOPE"), EXIT_USAGE)
    assert "No upload NOPE" in assert_one_sentence(onboard(env, "status", "NOPE"), EXIT_USAGE)


def test_adding_a_vendor_again_says_updated(pipeline: RunningPipeline) -> None:
    env = pipeline.write_stack_env()
    first = onboard(env, "vendors", "add", "VEND010", "--name", "Acme", "--email", "acme@example.com")
    again = onboard(env, "vendors", "add", "VEND010", "--name", "Acme Ltd", "--email", "sales@acme.example")
    assert "registered" in first.stdout and "updated" in again.stdout
    assert again.returncode == 0 and again.stderr == ""


def test_vendors_import_registers_and_updates_and_refuses_a_wrong_file(pipeline: RunningPipeline,
                                                                      tmp_path: Path) -> None:
    env = pipeline.write_stack_env()
    onboard(env, "vendors", "add", "VEND010", "--name", "Acme", "--email", "acme@example.com")
    good = tmp_path / "vendors.csv"
    good.write_text("vendor_id,vendor_name,email,status\nVEND010,Acme Ltd,acme@example.com,active\n"
                    "VEND011,Birch,birch@example.com,\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("vendor_id,vendor_name,email\nVEND012,Cedar,not-an-email\n")

    imported = onboard(env, "vendors", "import", str(good), "--json")
    refused = onboard(env, "vendors", "import", str(bad))

    assert last_json_line(imported.stdout) == [{"vendor_id": "VEND010", "action": "updated"},
                                               {"vendor_id": "VEND011", "action": "registered"}]
    assert "line 2" in assert_one_sentence(refused, EXIT_USAGE)
    assert "VEND012" not in onboard(env, "vendors", "list").stdout


def test_a_report_the_storage_lost_is_rebuilt_from_the_database(pipeline: RunningPipeline, tmp_path: Path) -> None:
    env = pipeline.write_stack_env()
    onboard(env, "vendors", "add", "VEND001", "--name", "TechTrend", "--email", "t@example.com")
    status = last_json_line(onboard(env, "upload", str(FILES / "every_rule.csv"), "--vendor", "VEND001", "--wait",
                                    "--json").stdout)
    before = onboard(env, "report", status["upload_id"]).stdout
    bucket, key = status["error_report"].removeprefix("s3://").split("/", 1)
    pipeline.aws.s3.delete_object(Bucket=bucket, Key=key)  # what a restarted moto has forgotten

    after = onboard(env, "report", status["upload_id"], "-o", str(tmp_path / "errors.csv"))

    assert (after.returncode, after.stderr) == (0, "")
    assert (tmp_path / "errors.csv").read_text(encoding="utf-8") == before
