"""The tables the code describes (`onboarding/adapters/catalog/tables.py`) are the tables the migrations make."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, Text

from onboarding import bootstrap
from onboarding.adapters.catalog.tables import metadata
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import Settings
from onboarding.local.postgres import url_from_credentials


@pytest.fixture
def migrated(database: DatabaseCredentials) -> Iterator[Engine]:
    """A database the migrations made, every one of them up to head."""
    container = bootstrap.build(Settings(database_url=url_from_credentials(database)))
    yield container.engine
    container.close()


def drift(engine: Engine, described: MetaData) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, described))


def test_the_migrations_make_exactly_the_tables_the_code_describes(migrated: Engine) -> None:
    differences = drift(migrated, metadata)
    assert differences == [], (
        "the migrations and onboarding/adapters/catalog/tables.py disagree: a new migration's change belongs in "
        f"tables.py too: {differences}"
    )


def test_a_column_the_migrations_lack_is_found(migrated: Engine) -> None:
    """Guards the guard: a column added in code but in no migration is reported."""
    described = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(described)
    described.tables["vendors"].append_column(Column("phone", Text))

    assert [change[0] for change in drift(migrated, described)] == ["add_column"]


def test_alembic_compares_against_the_code_s_tables() -> None:
    from pathlib import Path

    env = (Path(__file__).parents[2] / "db" / "migrations" / "env.py").read_text()
    assert "target_metadata=metadata" in env
