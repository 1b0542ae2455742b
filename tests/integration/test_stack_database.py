"""`onboard up` with DATABASE_URL set migrates, and hands the functions, the very database the URL names."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2

from onboarding import bootstrap
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.local.postgres import url_from_credentials
from onboarding.local.stack import LocalStack, start_stack


def test_up_with_database_url_uses_that_database_for_migrations_and_for_the_functions(
    database: DatabaseCredentials, tmp_path: Path
) -> None:
    url = url_from_credentials(database)
    stack = start_stack(tmp_path / "home", {"DATABASE_URL": url})
    try:
        secret = json.loads(_secret_string(stack))
        assert (secret["dbname"], stack.database.dbname) == (database.dbname, database.dbname)
        conn = psycopg2.connect(host=database.host, port=database.port, user=database.username,
                                password=database.password, dbname=database.dbname)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'upload_history'")
                row = cur.fetchone()
                assert row is not None and row[0] == 1
        finally:
            conn.close()
    finally:
        stack.stop()


def _secret_string(stack: LocalStack) -> str:
    settings = stack.settings
    value = bootstrap.build(settings).aws.secretsmanager.get_secret_value(SecretId=settings.db_secret_id)
    return str(value["SecretString"])
