"""Alembic environment: connects with the same credentials the Lambdas use."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from onboarding import bootstrap
from onboarding.adapters.catalog.tables import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # A caller (tests, `onboard migrate`) may hand in its own connection.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    container = bootstrap.build()
    with container.engine.connect() as conn:
        run_migrations(conn)
        conn.commit()
    container.close()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
