"""PostgreSQL for the local stack: the embedded server (pgserver wheel), or one named by DATABASE_URL."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import psycopg2
from psycopg2 import sql

from onboarding.adapters.secrets import DatabaseCredentials

DATABASE_NAME = "onboarding"
logging.getLogger("pgserver").setLevel(logging.WARNING)


# A throwaway server's data need not survive a crash of the machine: no flush to disk at each commit and
# checkpoint. Creating, filling and dropping a test database took a quarter of the time (measured here).
_THROWAWAY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


class EmbeddedPostgres:
    """A PostgreSQL 16 server from the pgserver wheel, data under `data_dir`, reached by Unix socket.

    `throwaway` is for the tests' servers, whose data is deleted with them: durability settings off."""

    def __init__(self, data_dir: Path, throwaway: bool = False) -> None:
        self.data_dir = data_dir
        self.throwaway = throwaway
        self._server: object | None = None

    def start(self) -> DatabaseCredentials:
        import pgserver  # imported here: only the embedded stack needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(self.data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
        self._server = server
        creds = credentials_from_url(server.get_uri())
        if self.throwaway:
            _turn_off(creds, _THROWAWAY_SETTINGS)
        return create_database(creds, DATABASE_NAME)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


def credentials_from_url(url: str) -> DatabaseCredentials:
    """`postgresql://user:pw@host:port/db` or pgserver's `postgresql://postgres:@/db?host=/socket/dir`."""
    parsed = urlparse(url)
    host = parse_qs(parsed.query).get("host", [parsed.hostname or "localhost"])[0]
    return DatabaseCredentials(
        username=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        host=host,
        port=parsed.port or 5432,
        dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
    )


def url_from_credentials(creds: DatabaseCredentials) -> str:
    """The URL of these credentials; the user name and password are quoted (`@`, `/`, `%`, `:` survive)."""
    user, password = quote(creds.username, safe=""), quote(creds.password, safe="")
    if creds.host.startswith("/"):
        return f"postgresql://{user}:{password}@/{creds.dbname}?host={quote(creds.host)}&port={creds.port}"
    return f"postgresql://{user}:{password}@{creds.host}:{creds.port}/{creds.dbname}"


def create_database(creds: DatabaseCredentials, name: str) -> DatabaseCredentials:
    """Create database `name` on the server if it is not there; returns credentials for it."""
    conn = psycopg2.connect(
        host=creds.host, port=creds.port, user=creds.username, password=creds.password, dbname=creds.dbname
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return DatabaseCredentials(creds.username, creds.password, creds.host, creds.port, name)


def _turn_off(creds: DatabaseCredentials, settings: tuple[str, ...]) -> None:
    """Set each setting off in the server's own configuration (kept across restarts) and reload it."""
    conn = psycopg2.connect(
        host=creds.host, port=creds.port, user=creds.username, password=creds.password, dbname=creds.dbname
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for setting in settings:
                cur.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
            cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def drop_database(creds: DatabaseCredentials, name: str) -> None:
    conn = psycopg2.connect(
        host=creds.host, port=creds.port, user=creds.username, password=creds.password, dbname="postgres"
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()
