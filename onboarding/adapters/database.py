"""The PostgreSQL connection: one SQLAlchemy engine per container, credentials from the secret."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg2
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from onboarding.adapters.batching import backoff
from onboarding.config import Settings

if TYPE_CHECKING:
    from onboarding.adapters.secrets import DatabaseSecret

_AUTH_FAILURE_MARKERS = ("password authentication failed", "authentication failed", "no password supplied")

OUTAGE_RETRY_S = 40.0
"""How long a use case waits out an unreachable database (a restart, a failover) before it fails and leaves
the retry to its event source: above the 30 s outage the pipeline must ride out, below the validator's and the
error processor's 60 s timeouts (infra/template.yaml), so Lambda never kills an invocation that is waiting."""

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_recycle": 1800,
        # A failed statement's exception (and so an ERROR log line) shows the SQL, never the vendor's values.
        "hide_parameters": True,
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


def is_transient(error: BaseException) -> bool:
    """A refused or lost connection (or a deadlock): the same work succeeds later. Not a constraint violation."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError)


def while_unreachable(action: Callable[[], T], budget_s: float = OUTAGE_RETRY_S) -> T:
    """Run an idempotent `action`, again with exponential backoff and jitter while the database is unreachable,
    for at most `budget_s`; then (or on any other error) raise.

    Without it, a stream batch would use up its event source's few retries in a second or two of outage and
    be bisected into the on-failure destination row by row; the pool's pre-ping finds the server once it is back.
    """
    deadline = time.monotonic() + budget_s
    attempt = 0
    while True:
        try:
            return action()
        except Exception as error:
            if not is_transient(error) or time.monotonic() >= deadline:
                raise
            log.warning("database unreachable; retrying (attempt %d): %s", attempt + 1, type(error).__name__)
            backoff(attempt, base_s=0.1, cap_s=5.0)
            attempt += 1
