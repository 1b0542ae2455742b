"""The composition root: the one place real adapters are built and wired to the use cases.

`build()` makes a `Container` whose adapters are built on first use and then kept, so a Lambda container
(or the local worker process) creates its clients, its engine and its secret cache once and reuses them for
every invocation. `Overrides` replaces any of them (fakes in tests) or wraps what was built (the bench's
timers), so nothing else constructs or patches an adapter.

The handlers, the CLI, the worker, the demo, the bench and the tests all take their adapters from here:
the process-wide container (`container()`, `reset()`), or one they build for themselves (`build()`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

import onboarding.reading
from onboarding.adapters.api_keys import ApiKeyStore
from onboarding.adapters.aws import AwsClients, CallCounter
from onboarding.adapters.catalog import CatalogDatabase
from onboarding.adapters.database import StatementCounter, create_database_engine, while_unreachable
from onboarding.adapters.dead_letter_counts import DeadLetterCounts
from onboarding.adapters.notifier import SnsNotifier
from onboarding.adapters.queues import LazyQueue, MessageQueue
from onboarding.adapters.rate_limits import RateLimiter
from onboarding.adapters.records import UploadRecords
from onboarding.adapters.secrets import DatabaseSecret
from onboarding.adapters.storage import ObjectStorage
from onboarding.adapters.upload_tickets import TicketStore
from onboarding.adapters.vendor_views import VendorViews
from onboarding.adapters.webhook_delivery import HttpPoster, WebhookQueue, resolve_host
from onboarding.config import Settings
from onboarding.pipeline.commit_upload import CommitDependencies
from onboarding.pipeline.parse_upload import ParserDependencies
from onboarding.pipeline.ports import (
    Catalog,
    EventAnnouncer,
    FileReader,
    Notifier,
    ObjectStore,
    OutageRetry,
    PendingRowStore,
    Queue,
    WebhookStore,
)
from onboarding.pipeline.process_errors import ErrorProcessorDependencies
from onboarding.pipeline.validate_batch import CategoryCache, ValidatorDependencies
from onboarding.pipeline.vendor_api import ApiDependencies
from onboarding.pipeline.webhooks import WebhookDependencies

# Shared by every client and engine the process-wide container builds; the benchmark and the tests read them.
aws_calls = CallCounter()
sql_statements = StatementCounter()


@dataclass(frozen=True)
class Overrides:
    """What to use instead of the real thing (a fake, an adapter built elsewhere), and what to wrap around
    what is built (a timer, a counter). Unset fields mean: build the real adapter."""

    aws: AwsClients | None = None
    engine: Engine | None = None
    catalog: Catalog | None = None
    records: PendingRowStore | None = None
    error_queue: Queue | None = None
    storage: ObjectStore | None = None
    notifier: Notifier | None = None
    file_reader: FileReader | None = None
    while_unreachable: OutageRetry | None = None
    webhook_store: WebhookStore | None = None
    webhook_queue: EventAnnouncer | None = None
    wrap_catalog: Callable[[Catalog], Catalog] | None = None
    wrap_file_reader: Callable[[FileReader], FileReader] | None = None


class Container:
    """Every adapter of one process (or one test), each built once, on first use."""

    def __init__(
        self,
        settings: Settings,
        overrides: Overrides | None = None,
        aws_calls: CallCounter | None = None,
        sql_statements: StatementCounter | None = None,
    ) -> None:
        self.settings = settings
        self.overrides = overrides or Overrides()
        self._aws_calls = aws_calls
        self._sql_statements = sql_statements

    @cached_property
    def aws(self) -> AwsClients:
        return self.overrides.aws or AwsClients(self.settings, counter=self._aws_calls)

    @cached_property
    def engine(self) -> Engine:
        if self.overrides.engine is not None:
            return self.overrides.engine
        secret = None if self.settings.database_url else DatabaseSecret(
            self.aws.secretsmanager, self.settings.db_secret_id
        )
        return create_database_engine(self.settings, secret, counter=self._sql_statements)

    @cached_property
    def catalog(self) -> Catalog:
        catalog = self.overrides.catalog or CatalogDatabase(self.engine)
        return self.overrides.wrap_catalog(catalog) if self.overrides.wrap_catalog else catalog

    @cached_property
    def records(self) -> PendingRowStore:
        return self.overrides.records or UploadRecords(
            self.aws.dynamodb, self.settings.records_table, self.settings.write_shards
        )

    @cached_property
    def error_queue(self) -> Queue:
        return self.overrides.error_queue or MessageQueue(self.aws.sqs, self.settings.error_queue)

    @cached_property
    def storage(self) -> ObjectStore:
        return self.overrides.storage or ObjectStorage(self.aws.s3)

    @cached_property
    def notifier(self) -> Notifier:
        return self.overrides.notifier or SnsNotifier(self.aws.sns)

    @cached_property
    def file_reader(self) -> FileReader:
        reader: FileReader = self.overrides.file_reader or onboarding.reading
        return self.overrides.wrap_file_reader(reader) if self.overrides.wrap_file_reader else reader

    @cached_property
    def while_unreachable(self) -> OutageRetry:
        return self.overrides.while_unreachable or while_unreachable

    @cached_property
    def parser_dependencies(self) -> ParserDependencies:
        return ParserDependencies(self.settings, self.storage, self.records, self.catalog, self.error_queue,
                                  self.file_reader, self.while_unreachable)

    @cached_property
    def validator_dependencies(self) -> ValidatorDependencies:
        return ValidatorDependencies(self.settings, self.catalog, self.error_queue,
                                     CategoryCache(self.settings.category_cache_s), self.while_unreachable)

    @cached_property
    def upload_queue(self) -> Queue:
        """The queue S3 notifies of new uploads (a dry run's commit asks the parser again through it)."""
        return LazyQueue(lambda: MessageQueue(self.aws.sqs, self.settings.upload_queue))

    @cached_property
    def commit_dependencies(self) -> CommitDependencies:
        return CommitDependencies(self.settings, self.catalog, self.upload_queue)

    @cached_property
    def webhook_queue(self) -> EventAnnouncer:
        return self.overrides.webhook_queue or WebhookQueue(
            lambda: MessageQueue(self.aws.sqs, self.settings.webhook_queue)
        )

    @cached_property
    def error_processor_dependencies(self) -> ErrorProcessorDependencies:
        return ErrorProcessorDependencies(self.settings, self.catalog, self.storage, self.notifier, self.records,
                                          self.while_unreachable, self.webhook_queue)

    @cached_property
    def webhook_dependencies(self) -> WebhookDependencies:
        store = self.overrides.webhook_store or CatalogDatabase(self.engine)
        return WebhookDependencies(self.settings, store, HttpPoster(self.settings.webhook_timeout_s), resolve_host)

    @cached_property
    def api_keys(self) -> ApiKeyStore:
        return ApiKeyStore(self.engine)

    @cached_property
    def tickets(self) -> TicketStore:
        return TicketStore(self.engine)

    @cached_property
    def api_dependencies(self) -> ApiDependencies:
        # Presigned links are signed with this container's own S3 client (its role's credentials in AWS).
        return ApiDependencies(self.settings, self.api_keys, self.tickets, VendorViews(self.engine),
                               ObjectStorage(self.aws.s3), RateLimiter(self.engine), self.commit_dependencies,
                               self.webhook_dependencies, DeadLetterCounts(self.aws, self.settings))

    def close(self) -> None:
        """Close the database pool, if one was built here (an overridden engine belongs to its owner)."""
        if "engine" in self.__dict__ and self.overrides.engine is None:
            self.engine.dispose()


def build(
    settings: Settings | None = None,
    overrides: Overrides | None = None,
    aws_calls: CallCounter | None = None,
    sql_statements: StatementCounter | None = None,
) -> Container:
    """A container of its own (a test, a tool): `settings` default to the environment's; the counters, when
    given, count the AWS calls and SQL statements of the clients and engine it builds."""
    return Container(settings or Settings.from_env(), overrides, aws_calls, sql_statements)


_process: Container | None = None
_process_overrides = Overrides()


def container() -> Container:
    """The process's container: built from the environment on first use, then kept (a Lambda container)."""
    global _process
    if _process is None:
        _process = Container(Settings.from_env(), _process_overrides, aws_calls, sql_statements)
    return _process


def reset(overrides: Overrides | None = None) -> None:
    """Forget the process's container, closing its database pool; the next one reads the environment again
    and uses `overrides` (tests that change the environment, the bench's timers)."""
    global _process, _process_overrides
    if _process is not None:
        _process.close()
    _process, _process_overrides = None, overrides or Overrides()


# What the handlers ask for: the process container's parts.


def settings() -> Settings:
    return container().settings


def parser_dependencies() -> ParserDependencies:
    return container().parser_dependencies


def validator_dependencies() -> ValidatorDependencies:
    return container().validator_dependencies


def error_processor_dependencies() -> ErrorProcessorDependencies:
    return container().error_processor_dependencies


def webhook_dependencies() -> WebhookDependencies:
    return container().webhook_dependencies


def commit_dependencies() -> CommitDependencies:
    return container().commit_dependencies


def api_keys() -> ApiKeyStore:
    return container().api_keys


def tickets() -> TicketStore:
    return container().tickets


def api_dependencies() -> ApiDependencies:
    return container().api_dependencies
