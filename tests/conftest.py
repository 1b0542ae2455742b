"""Real parts for the integration, end-to-end and fault tests.

- PostgreSQL: `TEST_DATABASE_URL` if set; else testcontainers when a Docker engine answers; else the
  embedded server (pgserver). Migrated once into a template; each test gets a fresh copy.
- AWS: moto's server in its own process, over HTTP; each test gets resources with unique names.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from onboarding import bootstrap
from onboarding.adapters.aws import AwsClients
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import Settings
from onboarding.local.aws_server import MotoServer
from onboarding.local.postgres import (
    EmbeddedPostgres,
    create_database,
    credentials_from_url,
    drop_database,
    url_from_credentials,
)
from onboarding.migrations import upgrade
from onboarding.pipeline.ports import Catalog
from onboarding.provision import Resources, provision
from tests.faults import reporting as fault_reporting
from tests.harness import RunningPipeline, load_what_pipelines_keep, start_pipeline

# One template per pytest-xdist worker: with TEST_DATABASE_URL the workers share one server.
TEMPLATE_DATABASE = f"onboarding_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def _docker_postgres() -> tuple[DatabaseCredentials, object] | None:
    """A PostgreSQL container, when a Docker engine is reachable (never on CI machines here)."""
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return None
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer("postgres:16.4-alpine")
    container.start()
    return credentials_from_url(container.get_connection_url().replace("+psycopg2", "")), container


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseCredentials]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield credentials_from_url(url)
        return
    docker = _docker_postgres()
    if docker is not None:
        creds, container = docker
        yield creds
        container.stop()  # type: ignore[attr-defined]
        return
    # Outside pytest's temp root: a second pytest session resets that root to mode 0700, which locks out
    # the server's own system user (pgserver runs PostgreSQL as `pgserver` when we are root).
    data_dir = Path(tempfile.mkdtemp(prefix="onboarding-test-pg-"))
    embedded = EmbeddedPostgres(data_dir / "data", throwaway=True)
    creds = embedded.start()
    yield creds
    embedded.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(postgres_server: DatabaseCredentials) -> DatabaseCredentials:
    drop_database(postgres_server, TEMPLATE_DATABASE)
    template = create_database(postgres_server, TEMPLATE_DATABASE)
    container = bootstrap.build(Settings(database_url=url_from_credentials(template)))
    upgrade(container.engine)
    container.close()
    return template


@pytest.fixture
def database(
    postgres_server: DatabaseCredentials, template_database: DatabaseCredentials
) -> Iterator[DatabaseCredentials]:
    """A freshly migrated database of its own for one test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(host=postgres_server.host, port=postgres_server.port, user=postgres_server.username,
                            password=postgres_server.password, dbname="postgres")
    conn.autocommit = True
    # FILE_COPY copies the template's files instead of logging each block (PostgreSQL 15's default, WAL_LOG):
    # half the server's CPU per test database, and a third of the time to drop it (measured on PostgreSQL 16).
    strategy = sql.SQL(" STRATEGY FILE_COPY" if conn.server_version >= 150000 else "")
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(sql.Identifier(name),
                                                                       sql.Identifier(TEMPLATE_DATABASE), strategy))
    conn.close()
    yield replace(postgres_server, dbname=name)
    drop_database(postgres_server, name)


@pytest.fixture(scope="session")
def aws_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server.start()
    server.stop()


@pytest.fixture
def settings(aws_endpoint: str, database: DatabaseCredentials) -> Settings:
    """Settings of a stack of this test's own: uniquely named AWS resources and its own database."""
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        aws_endpoint_url=aws_endpoint,
        upload_bucket=f"uploads-{suffix}",
        records_table=f"UploadRecords-{suffix}",
        upload_queue=f"uploads-{suffix}",
        error_queue=f"errors-{suffix}",
        validator_dlq=f"validator-dlq-{suffix}",
        vendor_topic=f"vendors-{suffix}",
        operator_topic=f"operators-{suffix}",
        db_secret_id=f"db-{suffix}",
        database_url=url_from_credentials(database),
        stuck_upload_after_s=3600,
        portal_url="http://portal.test",
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[bootstrap.Container]:
    """The test's own adapters, built by the composition root as every entry point builds them."""
    built = bootstrap.build(settings)
    yield built
    built.close()


@pytest.fixture
def aws(container: bootstrap.Container) -> AwsClients:
    return container.aws


@pytest.fixture
def resources(settings: Settings, aws: AwsClients, database: DatabaseCredentials) -> Resources:
    return provision(settings, aws, database)


@pytest.fixture
def catalog(container: bootstrap.Container) -> Catalog:
    return container.catalog


@pytest.fixture
def events_dir() -> Path:
    return Path(__file__).parent / "events"


@pytest.fixture
def pipeline(
    container: bootstrap.Container, resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningPipeline]:
    """The whole pipeline, running: worker + handlers, for one test."""
    running = start_pipeline(container, resources, tmp_path / "onboard", monkeypatch)
    running.home.mkdir()
    running.start()
    yield running
    running.stop()
    bootstrap.reset()


def slow_seconds(item: pytest.Item) -> float:
    """About how long the test takes alone, as its `slow(seconds)` mark says (0 without one)."""
    mark = item.get_closest_marker("slow")
    return float(mark.args[0]) if mark is not None else 0.0


def pytest_collection_finish(session: pytest.Session) -> None:
    """Have the garbage collector ignore what a worker keeps for its whole life.

    A pytest-xdist worker runs hundreds of tests and keeps what it imported and loaded (the test modules, the
    handlers' imports, botocore's service models: a few hundred thousand objects). CPython's full collections
    walked them all again and again: measured with `gc.callbacks`, 29 of the four workers' 119 CPU-s. Loaded
    first and frozen (`gc.freeze`, as onboarding/startup_gc.py does for our own processes), they cost 14; what
    tests create and drop is still collected.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a run of a few tests would only pay for the loading
        load_what_pipelines_keep()
    gc.collect()  # garbage frozen would never be freed
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, the rest in pytest's order: under pytest-xdist a 40 s test handed out last would
    keep one worker busy while the others sit idle. Every worker collects, and sorts the same way."""
    items.sort(key=slow_seconds, reverse=True)


# The fault tests' figures (tests/faults/reporting.py): gathered and summarized here, in the process that
# reports, which under pytest-xdist is the controller (it loads this conftest, not tests/faults').
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    fault_reporting.gather(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    fault_reporting.summarize(terminalreporter, config)
