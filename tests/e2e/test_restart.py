"""A local stack stopped and started again on the same home comes back whole (issue 18, acceptance 1 and 3).

PostgreSQL persists under $ONBOARD_HOME, moto's server does not: on every `onboard up` the resources are
provisioned again, the vendors' subscriptions are re-created from PostgreSQL, the worker reads the new
table's stream from its start (its checkpoint belongs to the old stream), and a report moto lost is
rebuilt from PostgreSQL when asked for.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_cli import FILES, last_json_line, onboard
from tests.e2e.test_local_stack import stack_home, start, wait_until_up  # noqa: F401 (a fixture)

PORTAL = "http://127.0.0.1:8765"
RESTARTS = 3


def up(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    process = start(env, "up", log=log)
    wait_until_up(env, process, log, timeout_s=90)
    return process


def down(env: dict[str, str], process: subprocess.Popen[bytes], home: Path) -> None:
    stopped = onboard(env, "down")
    assert stopped.returncode == 0, stopped.stderr
    assert process.wait(timeout=30) == 0
    assert not (home / "stack.env").exists()


@pytest.mark.slow(40)
def test_three_restarts_with_uploads_between_keep_every_upload_email_and_report(
    tmp_path: Path, stack_home: Path  # noqa: F811 (the fixture)
) -> None:
    home = stack_home
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL", "UPLOAD_", "DB_"))}
    env.update(ONBOARD_HOME=str(home), PORTAL_URL=PORTAL)
    reports: dict[str, str] = {}
    for cycle in range(RESTARTS):
        process = up(env, tmp_path / f"up-{cycle}.log")
        try:
            if cycle == 0:
                for vendor, email in (("VEND001", "t@example.com"), ("VEND002", "f@example.com")):
                    added = onboard(env, "vendors", "add", vendor, "--name", f"{vendor} Ltd", "--email", email)
                    assert added.returncode == 0, added.stderr
            for vendor, file in (("VEND001", "every_rule.csv"), ("VEND002", "VEND002_course_catalog.csv")):
                done = onboard(env, "upload", str(FILES / file), "--vendor", vendor, "--name",
                               f"{vendor}_cycle{cycle}.csv", "--wait", "--json", "--timeout", "90")
                status = last_json_line(done.stdout)
                assert (done.returncode, status["status"]) == (1, "partial"), done.stderr
                assert status["notification_count"] == 1, f"no email for {vendor} after restart {cycle}"
                reports.setdefault(status["upload_id"], "")
            for upload_id, first in reports.items():
                target = tmp_path / f"{upload_id}-{cycle}.csv"
                fetched = onboard(env, "report", upload_id, "-o", str(target))
                assert fetched.returncode == 0, fetched.stderr
                text = target.read_text(encoding="utf-8")
                assert text.startswith("row_number,error_type,error_field,error_message,error_help,")
                assert first in ("", text), "a rebuilt report differs from the one first downloaded"
                reports[upload_id] = text
        finally:
            if process.poll() is None:
                down(env, process, home)
    assert len(reports) == 2 * RESTARTS


@pytest.mark.slow(10)
def test_the_course_vend002_email_groups_errors_suggests_categories_and_links_the_portal(
    tmp_path: Path, stack_home: Path  # noqa: F811 (the fixture)
) -> None:
    home = stack_home
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL", "UPLOAD_", "DB_"))}
    env.update(ONBOARD_HOME=str(home), PORTAL_URL=PORTAL)
    process = up(env, tmp_path / "up.log")
    try:
        onboard(env, "vendors", "add", "VEND002", "--name", "FashionHub", "--email", "f@example.com")
        done = onboard(env, "upload", str(FILES / "VEND002_course_catalog.csv"), "--vendor", "VEND002", "--wait",
                       "--json")
    finally:
        down(env, process, home)
    status = last_json_line(done.stdout)
    message = status["notification"]["message"]

    assert "- INVALID_CATEGORY on 3 rows: 'Men' (rows 1-3)\n  'Men' is not a category we sell in. " \
           "Did you mean 'Men's Clothing'?" in message
    assert "- INVALID_CATEGORY on 2 rows: 'Women' (rows 4-5)" in message and "Did you mean 'Women's Clothing'?" \
        in message
    assert "price '$29.99': remove the currency sign, so it reads 29.99." in message
    assert "row 1 is the first line after the header" in message
    assert "Valid categories: " in message and "Men's Clothing" in message
    assert f"  {PORTAL}/uploads/{status['upload_id']}\n" in message and "s3://" not in message
    assert f"{PORTAL}/errors" in message
