"""Secrets Manager: the database credentials, cached for the container's life."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


@dataclass(frozen=True)
class DatabaseCredentials:
    username: str
    password: str
    host: str
    port: int
    dbname: str


class DatabaseSecret:
    """Reads `{username, password, host, port, dbname}` once, then from the cache.

    `refresh()` forces a fresh read: the database adapter calls it once when a login fails,
    which is what a rotated password looks like from here.
    """

    def __init__(self, client: SecretsManagerClient, secret_id: str) -> None:
        self._cache = SecretCache(config=SecretCacheConfig(), client=client)
        self._secret_id = secret_id

    def credentials(self) -> DatabaseCredentials:
        data = json.loads(self._cache.get_secret_string(self._secret_id))
        return DatabaseCredentials(
            username=str(data["username"]),
            password=str(data.get("password", "")),
            host=str(data["host"]),
            port=int(data.get("port", 5432)),
            dbname=str(data.get("dbname") or data.get("dbName") or "postgres"),
        )

    def refresh(self) -> None:
        self._cache.refresh_secret_now(self._secret_id)
