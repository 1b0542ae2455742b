"""boto3 clients for one container, pointed at AWS, LocalStack or moto's server by settings."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from onboarding.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


class CallCounter:
    """Counts AWS API calls per `service:Operation` (the benchmark reads it)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1


_model_loader: Loader | None = None
_model_loader_lock = threading.Lock()


def _session(region: str) -> boto3.session.Session:
    """A new session whose service models come from the process's one loader.

    Each botocore session parses the JSON models of every service it makes a client for (and the endpoint
    rules) again: about 60 ms a client, most of the CPU the tests spent on building containers and
    provisioning stacks. The loader only reads files that do not change while the process runs, and caches
    what it read, so one loader serves every session. A Lambda container builds one session anyway.
    """
    global _model_loader
    with _model_loader_lock:
        core = botocore.session.get_session()
        if _model_loader is None:
            _model_loader = core.get_component("data_loader")  # botocore's own (AWS_DATA_PATH honoured)
        else:
            core.register_component("data_loader", _model_loader)
        session = boto3.session.Session(botocore_session=core, region_name=region)
        # boto3 adds its data folder to the loader of each session it makes: once is enough.
        _model_loader.search_paths[:] = list(dict.fromkeys(_model_loader.search_paths))
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
            client = self._session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self._settings.aws_endpoint_url,
                # Presigned POSTs and GETs signed with SigV4, the only version every region accepts.
                config=self._config.merge(Config(signature_version="s3v4")) if service == "s3" else self._config,
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
