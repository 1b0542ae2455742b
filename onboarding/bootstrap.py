"""The one place where real adapters are built and wired to the use cases: once per container.

Each function is cached, so a Lambda container (or the local worker process) builds its clients,
its engine and its secret cache on first use and reuses them for every invocation after.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine

from onboarding.adapters.aws import AwsClients, CallCounter
from onboarding.adapters.catalog import CatalogDatabase
from onboarding.adapters.database import StatementCounter, create_database_engine
from onboarding.adapters.notifier import Notifier
from onboarding.adapters.queues import MessageQueue
from onboarding.adapters.records import UploadRecords
from onboarding.adapters.secrets import DatabaseSecret
from onboarding.adapters.storage import ObjectStorage
from onboarding.config import Settings
from onboarding.pipeline.commit_upload import CommitDependencies
from onboarding.pipeline.parse_upload import ParserDependencies
from onboarding.pipeline.process_errors import ErrorProcessorDependencies
from onboarding.pipeline.validate_batch import CategoryCache, ValidatorDependencies

# Shared by every client and engine of this process, read by the benchmark.
aws_calls = CallCounter()
sql_statements = StatementCounter()


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def aws() -> AwsClients:
    return AwsClients(settings(), counter=aws_calls)


@cache
def engine() -> Engine:
    config = settings()
    secret = None if config.database_url else DatabaseSecret(aws().secretsmanager, config.db_secret_id)
    return create_database_engine(config, secret, counter=sql_statements)


@cache
def catalog() -> CatalogDatabase:
    return CatalogDatabase(engine())


@cache
def error_queue() -> MessageQueue:
    return MessageQueue(aws().sqs, settings().error_queue)


@cache
def records() -> UploadRecords:
    return UploadRecords(aws().dynamodb, settings().records_table, settings().write_shards)


@cache
def storage() -> ObjectStorage:
    return ObjectStorage(aws().s3)


@cache
def parser_dependencies() -> ParserDependencies:
    return ParserDependencies(settings(), storage(), records(), catalog(), error_queue())


@cache
def validator_dependencies() -> ValidatorDependencies:
    config = settings()
    return ValidatorDependencies(config, catalog(), error_queue(), CategoryCache(config.category_cache_s))


@cache
def error_processor_dependencies() -> ErrorProcessorDependencies:
    return ErrorProcessorDependencies(settings(), catalog(), storage(), Notifier(aws().sns), records())


@cache
def commit_dependencies() -> CommitDependencies:
    return CommitDependencies(settings(), catalog(), MessageQueue(aws().sqs, settings().upload_queue))


def reset() -> None:
    """Forget everything built (tests that change the environment, the worker after a fork)."""
    for built in (settings, aws, engine, catalog, error_queue, records, storage,
                  parser_dependencies, validator_dependencies, error_processor_dependencies, commit_dependencies):
        built.cache_clear()
