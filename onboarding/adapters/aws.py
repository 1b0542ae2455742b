"""boto3 clients for one container, pointed at AWS, LocalStack or moto's server by settings."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from onboarding.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


SERVICES = ("s3", "dynamodb", "dynamodbstreams", "sqs", "sns", "secretsmanager")  # one client each, below


class CallCounter:
    """Counts AWS API calls per `service:Operation` (the benchmark reads it)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1


_sessions: dict[str, boto3.session.Session] = {}
_sessions_lock = threading.Lock()  # a botocore session is not thread-safe: clients are made one at a time


def _session(region: str) -> boto3.session.Session:
    """The process's one session for `region`.

    A session parses the JSON models of every service it makes a client for (and the endpoint rules),
    registers botocore's handlers and resolves the credentials, once: about 60 ms of CPU for its first clients,
    then 2 to 5 ms a client. A Lambda container builds one container, so one session either way; the worker,
    the local stack's processes and each test build a container per stack or per test, and paid that again for
    each. The credentials a session resolved are kept (refreshable ones refresh themselves), as in a Lambda
    container.
    """
    with _sessions_lock:
        session = _sessions.get(region)
        if session is None:
            session = _sessions[region] = boto3.session.Session(region_name=region)
    return session


class AwsClients:
    """One session and one client per service, created on first use and reused for the container's life."""

    def __init__(self, settings: Settings, counter: CallCounter | None = None) -> None:
        self._settings = settings
        self._session = _session(settings.aws_region)
        self._config = Config(
            retries={"max_attempts": 8, "mode": "adaptive"},
            max_pool_connections=32,
            connect_timeout=5,
            read_timeout=30,
            # The services validate every request themselves; client-side validation of each nested
            # attribute of a 25-item BatchWriteItem costs more CPU than the rest of the parser.
            parameter_validation=False,
        )
        self._clients: dict[str, Any] = {}
        self.counter = counter

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            # Presigned POSTs and GETs signed with SigV4, the only version every region accepts.
            config = self._config.merge(Config(signature_version="s3v4")) if service == "s3" else self._config
            with _sessions_lock:
                client = self._session.client(
                    service,  # type: ignore[call-overload]
                    endpoint_url=self._settings.aws_endpoint_url,
                    config=config,
                )
            if self.counter is not None:
                client.meta.events.register("before-call.*.*", self.counter)
            self._clients[service] = client
        return client

    @property
    def s3(self) -> S3Client:
        return self._client("s3")  # type: ignore[no-any-return]

    @property
    def dynamodb(self) -> DynamoDBClient:
        return self._client("dynamodb")  # type: ignore[no-any-return]

    @property
    def dynamodbstreams(self) -> DynamoDBStreamsClient:
        return self._client("dynamodbstreams")  # type: ignore[no-any-return]

    @property
    def sqs(self) -> SQSClient:
        return self._client("sqs")  # type: ignore[no-any-return]

    @property
    def sns(self) -> SNSClient:
        return self._client("sns")  # type: ignore[no-any-return]

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        return self._client("secretsmanager")  # type: ignore[no-any-return]
