"""The API's side of the CLI, run as a user runs it: keys, the status timeline, and `onboard up` serving the API."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import requests

from onboarding.local.home import read_env_file
from tests.api.conftest import CLEAN, Api
from tests.e2e.test_cli import last_json_line, onboard
from tests.e2e.test_local_stack import start, stop


def test_keys_are_created_once_listed_and_revoked_from_the_cli(api: Api) -> None:
    env = api.pipeline.write_stack_env()
    api.pipeline.add_vendor("VEND001")

    created = onboard(env, "keys", "create", "VEND001", "--json")
    assert created.returncode == 0, created.stderr
    key = last_json_line(created.stdout)
    assert set(key) == {"vendor_id", "key_id", "api_key"} and key["vendor_id"] == "VEND001"
    assert api.get("/v1/uploads", key["api_key"]).status_code == 200

    listed = last_json_line(onboard(env, "keys", "list", "VEND001", "--json").stdout)
    assert listed == [{"key_id": key["key_id"], "created_at": listed[0]["created_at"], "revoked_at": None}]
    assert key["api_key"] not in onboard(env, "keys", "list", "VEND001").stdout

    revoked = onboard(env, "keys", "revoke", key["key_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert api.get("/v1/uploads", key["api_key"]).status_code == 401
    [after] = last_json_line(onboard(env, "keys", "list", "VEND001", "--json").stdout)
    assert after["revoked_at"] is not None


def test_keys_for_an_unknown_vendor_or_key_are_a_sentence_not_a_traceback(api: Api) -> None:
    env = api.pipeline.write_stack_env()
    for args in (("keys", "create", "NOPE1"), ("keys", "revoke", "key_unknown"), ("keys", "list", "NOPE1")):
        result = onboard(env, *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("onboard: ")


def test_status_shows_the_history_as_a_timeline_and_its_json_matches_the_api(api: Api) -> None:
    env = api.pipeline.write_stack_env()
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    assert api.send_file(ticket, CLEAN).status_code == 204
    final = api.wait_final(key, ticket["upload_id"])

    shown = onboard(env, "status", ticket["upload_id"])
    as_json = last_json_line(onboard(env, "status", ticket["upload_id"], "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    steps = ["awaiting_upload", "received", "parsing", "validating", "reporting", "completed"]
    positions = [next(i for i, line in enumerate(lines) if f"  {step}  " in f"{line}  ") for step in steps]
    assert positions == sorted(positions)
    for field in ("upload_id", "status", "total_records", "valid_records", "error_records", "dry_run", "history",
                  "progress"):
        assert as_json[field] == final[field], field


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow(5)
def test_onboard_up_serves_the_api_on_the_port_asked_for_and_writes_its_url(tmp_path: Path) -> None:
    import os

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL", "UPLOAD_", "DB_"))}
    env.update(ONBOARD_HOME=str(tmp_path / "home"), ONBOARD_API_PORT=str(port))
    up = start(env, "up", "--no-worker", log=tmp_path / "up.log")
    try:
        deadline = time.monotonic() + 90
        while "API_URL" not in read_env_file(tmp_path / "home" / "stack.env"):
            assert up.poll() is None, (tmp_path / "up.log").read_text()
            assert time.monotonic() < deadline, "the API did not come up within 90 s"
            time.sleep(0.5)
        url = read_env_file(tmp_path / "home" / "stack.env")["API_URL"]
        assert url == f"http://127.0.0.1:{port}"
        assert requests.get(f"{url}/v1/openapi.json", timeout=10).json()["openapi"].startswith("3.")
        assert requests.get(f"{url}/v1/uploads", timeout=10).status_code == 401

        assert onboard(env, "vendors", "add", "VEND001", "--name", "T", "--email", "t@example.com").returncode == 0
        key = last_json_line(onboard(env, "keys", "create", "VEND001", "--json").stdout)["api_key"]
        ticket = requests.post(f"{url}/v1/uploads", json={"file_name": "VEND001_c.csv"},
                               headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert ticket.status_code == 201, ticket.text
        assert f"API at {url}/v1" in (tmp_path / "up.log").read_text()
    finally:
        stop(up)
