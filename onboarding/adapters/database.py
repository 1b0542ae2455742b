"""The PostgreSQL connection: one SQLAlchemy engine per container, credentials from the secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg2
from sqlalchemy import Engine, create_engine, event

from onboarding.config import Settings

if TYPE_CHECKING:
    from onboarding.adapters.secrets import DatabaseSecret

_AUTH_FAILURE_MARKERS = ("password authentication failed", "authentication failed", "no password supplied")


class StatementCounter:
    """Counts SQL statements sent to the server (the benchmark reads it)."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, *_: Any, **__: Any) -> None:
        self.statements += 1


def create_database_engine(
    settings: Settings,
    secret: DatabaseSecret | None = None,
    counter: StatementCounter | None = None,
) -> Engine:
    """`DATABASE_URL` when given; otherwise connect with the credentials in Secrets Manager."""
    options: dict[str, Any] = {
        "pool_pre_ping": True,  # a connection that died with the server is replaced, not used
        "pool_size": 2,
        "max_overflow": 4,
        "pool_recycle": 1800,
    }
    if settings.database_url:
        engine = create_engine(
            _with_driver(settings.database_url),
            connect_args={"connect_timeout": settings.db_connect_timeout_s},
            **options,
        )
    elif secret is not None:
        engine = create_engine(
            "postgresql+psycopg2://", creator=_secret_connector(secret, settings.db_connect_timeout_s), **options
        )
    else:
        raise ValueError("No database: set DATABASE_URL or give the Secrets Manager secret.")
    if counter is not None:
        event.listen(engine, "before_cursor_execute", counter)
    return engine


def _with_driver(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _secret_connector(secret: DatabaseSecret, timeout_s: int) -> Any:
    def connect() -> Any:
        try:
            return _connect(secret, timeout_s)
        except psycopg2.OperationalError as error:
            if not any(marker in str(error) for marker in _AUTH_FAILURE_MARKERS):
                raise
            secret.refresh()  # the password may have been rotated: read it again, once
            return _connect(secret, timeout_s)

    return connect


def _connect(secret: DatabaseSecret, timeout_s: int) -> Any:
    creds = secret.credentials()
    return psycopg2.connect(
        host=creds.host,
        port=creds.port,
        user=creds.username,
        password=creds.password,
        dbname=creds.dbname,
        connect_timeout=timeout_s,
        application_name="product-onboarding",
    )
