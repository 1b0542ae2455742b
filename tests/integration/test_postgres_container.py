"""With a Docker engine, the schema also runs on a stock PostgreSQL container (testcontainers)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from onboarding import bootstrap
from onboarding.config import Settings
from onboarding.migrations import downgrade, upgrade


def docker_engine_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True


@pytest.mark.docker
@pytest.mark.skipif(not docker_engine_available(), reason="no Docker engine reachable: the embedded PostgreSQL "
                    "and DATABASE_URL paths cover the same tests")
def test_migrations_run_on_a_postgres_container() -> None:
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16.4-alpine") as container:
        built = bootstrap.build(Settings(database_url=container.get_connection_url()))
        engine = built.engine
        upgrade(engine)
        assert "products" in inspect(engine).get_table_names()
        assert len(built.catalog.active_categories()) == 20
        downgrade(engine)
        engine.dispose()
