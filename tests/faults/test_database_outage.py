"""PostgreSQL goes away: stopped for 30 s mid-upload, and restarted; its password rotated.

These tests run on a PostgreSQL server of their own (the module overrides `database`), so stopping it
or changing how it authenticates touches no other test.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy import text

from onboarding import bootstrap
from onboarding.adapters.aws import CallCounter
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import Settings
from onboarding.local.functions import Invoke
from onboarding.local.postgres import EmbeddedPostgres, url_from_credentials
from onboarding.migrations import upgrade
from onboarding.provision import Resources
from tests.faults.conftest import FAULT_MAPPINGS, Audit
from tests.faults.injection import catalog_file, dead_letters, real_functions, wait_until_quiet
from tests.harness import RunningPipeline

OUTAGE_S = 30.0


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    # Not under pytest's tmp_path: every pytest session that starts (another run on this machine) chmods
    # /tmp/pytest-of-<user> back to 0700, and the server, run as the `pgserver` user, would lose its data directory.
    directory = Path(tempfile.mkdtemp(prefix="onboard-faults-pg-"))
    server = EmbeddedPostgres(directory / "pgdata", throwaway=True)
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def database(own_postgres: EmbeddedPostgres) -> DatabaseCredentials:
    """Overrides the shared server's database: a migrated database on this test's own server."""
    creds = own_postgres.start()
    migrating = bootstrap.build(Settings(database_url=url_from_credentials(creds)))
    upgrade(migrating.engine)
    migrating.close()
    return creds


class Outage:
    """Stops PostgreSQL as the validator's first batch arrives, and starts it again (same data directory)
    `seconds` later. The batch itself then meets the outage."""

    def __init__(self, validator: Invoke, server: EmbeddedPostgres, seconds: float) -> None:
        self._validator, self._server, self._seconds = validator, server, seconds
        self._restarter = threading.Thread(target=self._restart, daemon=True)
        self.began = threading.Event()
        self.restarted: DatabaseCredentials | None = None

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("Records") and not self.began.is_set():
            self._server.stop()
            self._restarter.start()
            self.began.set()
        return self._validator(event)

    def _restart(self) -> None:
        time.sleep(self._seconds)
        self.restarted = self._server.start()

    def wait_until_over(self, timeout_s: float) -> None:
        assert self.began.wait(timeout_s), "the validator never received a batch"
        self._restarter.join(timeout_s)
        assert self.restarted is not None, "PostgreSQL did not come back"


@pytest.mark.slow(35)
def test_postgres_stopped_for_30_s_mid_validation_loses_nothing_and_the_upload_completes_when_it_returns(
    stack: RunningPipeline, audit: Audit, database: DatabaseCredentials, own_postgres: EmbeddedPostgres
) -> None:
    functions = real_functions()
    outage = Outage(functions["validator"], own_postgres, OUTAGE_S)
    stack.start(FAULT_MAPPINGS, {**functions, "validator": outage})
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 300, bad_every=7)

    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    outage.wait_until_over(OUTAGE_S + 60)
    stack.wait(upload_id, timeout_s=90)
    wait_until_quiet(stack)

    assert outage.restarted is not None and outage.restarted.host == database.host  # same socket directory
    assert [d["queue"] for d in dead_letters(stack, "validator") + dead_letters(stack, "errors")] == []
    [result] = audit(f"PostgreSQL down {OUTAGE_S:.0f} s mid-validation", [(upload_id, file.rows)])
    assert (result.valid_records, result.error_records) == (file.valid, file.invalid)
    assert result.observed() == result.exactly_once()


def as_admin(creds: DatabaseCredentials, statement: str, *params: str) -> None:
    with closing(psycopg2.connect(host=creds.host, port=creds.port, user=creds.username, password=creds.password,
                                  dbname=creds.dbname)) as conn, conn, conn.cursor() as cursor:
        cursor.execute(statement, params)


def require_passwords(creds: DatabaseCredentials, data_dir: Path, password: str) -> DatabaseCredentials:
    """Give the user a password and make the server ask for it (pgserver trusts local users by default)."""
    as_admin(creds, f"ALTER USER {creds.username} PASSWORD %s", password)
    hba = data_dir / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("trust", "scram-sha-256"))
    with_password = replace(creds, password=password)
    as_admin(with_password, "SELECT pg_reload_conf()")
    return with_password


def test_a_rotated_database_password_is_read_again_once_and_the_engine_reconnects(
    settings: Settings, resources: Resources, database: DatabaseCredentials, own_postgres: EmbeddedPostgres
) -> None:
    creds = require_passwords(database, own_postgres.data_dir, "first-password")
    calls = CallCounter()
    container = bootstrap.build(replace(settings, database_url=None), aws_calls=calls)  # as a function's
    clients = container.aws

    def store(secret: DatabaseCredentials) -> None:
        clients.secretsmanager.put_secret_value(SecretId=settings.db_secret_id, SecretString=json.dumps(
            {"username": secret.username, "password": secret.password, "host": secret.host, "port": secret.port,
             "dbname": secret.dbname}))

    store(creds)
    engine = container.engine  # credentials from the secret
    try:
        with engine.connect() as conn:  # the container's first connection: the secret is read and cached
            conn.execute(text("SELECT 1"))
        as_admin(creds, f"ALTER USER {creds.username} PASSWORD %s", "second-password")  # rotation: the password,
        rotated = replace(creds, password="second-password")
        store(rotated)  # then the secret
        reads_before = calls.calls["secretsmanager:GetSecretValue"]
        # The container's pooled connection dies (a failover, an idle timeout): the next one must log in again.
        as_admin(rotated, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'product-onboarding'")

        with engine.connect() as conn:
            user = conn.execute(text("SELECT current_user")).scalar_one()

        assert user == creds.username
        assert calls.calls["secretsmanager:GetSecretValue"] == reads_before + 1
    finally:
        engine.dispose()
