"""Settings, read once from the environment.

Every environment variable the system reads is declared here, with its default. The Lambda
functions get them from their function configuration; the local stack writes them to
`$ONBOARD_HOME/stack.env` so the CLI and the worker find the running stack without flags.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Settings:
    # AWS side. `aws_endpoint_url` points every client at moto's server or LocalStack; None means AWS.
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    # Read from ACCOUNT_ID and PARTITION, not AWS_ACCOUNT_ID: botocore reads AWS_ACCOUNT_ID next to environment
    # credentials (as Lambda provides them) and then calls DynamoDB's account-based endpoints.
    aws_account_id: str = field(default="123456789012", metadata={"env": "ACCOUNT_ID"})
    aws_partition: str = field(default="aws", metadata={"env": "PARTITION"})

    upload_bucket: str = "product-onboarding-uploads"
    upload_prefix: str = "uploads/"
    error_prefix: str = "errors/"
    quarantine_prefix: str = "quarantine/"
    records_table: str = "UploadRecords"
    upload_queue: str = "product-onboarding-uploads"
    error_queue: str = "product-onboarding-errors"
    validator_dlq: str = "product-onboarding-validator-dlq"  # the stream mapping's on-failure destination
    vendor_topic: str = "product-onboarding-vendor-notifications"
    operator_topic: str = "product-onboarding-operator-alerts"

    # PostgreSQL: credentials from Secrets Manager, unless `database_url` is given (tests, laptops).
    db_secret_id: str = "product-onboarding/db"  # noqa: S105 (a name, not a secret)
    database_url: str | None = None
    db_connect_timeout_s: int = 5
    # Connections one container's engine may hold: a Lambda container serves one invocation at a time and the
    # use cases hold one connection at a time, so AWS runs with 1 + 0 (the connection budget in
    # infra/template.yaml counts on it); the local worker shares one engine among its threads.
    db_pool_size: int = 2
    db_max_overflow: int = 4

    # Limits on what a vendor may upload (documented in the README).
    max_file_bytes: int = 50 * 1024 * 1024
    max_rows: int = 100_000
    max_cell_chars: int = 10_000

    # Pipeline tuning.
    dynamodb_batch_size: int = 25  # BatchWriteItem's own ceiling
    write_shards: int = 1  # partition key values per upload in UploadRecords: 1 locally, 8 in AWS (AWS_MODEL.md)
    error_message_max_bytes: int = 200_000  # under SQS's 256 KiB, bundles many failed rows per message
    stuck_upload_after_s: int = 900  # an upload with no progress for this long is finished by the sweeper
    category_cache_s: int = 300
    dry_run_commit_window_s: int = 72 * 3600  # a validated dry run can be committed for this long

    # Where a vendor can open what the email links to. The portal serves each upload's page at
    # `<portal_url>/uploads/<upload_id>` (its report is downloaded from there, with a link minted on click:
    # never a storage URI, never a presigned URL signed with a function's short-lived credentials).
    portal_url: str | None = None
    # The public page of every error code (docs/errors.md, published); default: `<portal_url>/errors`.
    error_codes_url: str | None = None

    # Webhooks: the sender's queue, the waits between attempts (Standard Webhooks' schedule: 8 attempts over
    # 27.6 hours), each attempt's timeout, and whether http://127.0.0.1:PORT / localhost:PORT may receive them
    # (1 on the local stack only: in AWS an endpoint must be https and resolve to public addresses).
    webhook_queue: str = "product-onboarding-webhooks"
    webhook_retry_schedule_s: str = "5,300,1800,7200,18000,36000,36000"
    webhook_timeout_s: int = 10
    webhook_allow_localhost: int = 0
    # The API's public base URL, for links to an upload in webhook bodies (the local stack writes API_URL).
    api_url: str | None = None

    log_level: str = "INFO"

    @property
    def error_codes_page(self) -> str | None:
        if self.error_codes_url:
            return self.error_codes_url
        return f"{self.portal_url.rstrip('/')}/errors" if self.portal_url else None

    @property
    def vendor_topic_arn(self) -> str:
        return self.topic_arn(self.vendor_topic)

    @property
    def operator_topic_arn(self) -> str:
        return self.topic_arn(self.operator_topic)

    def topic_arn(self, name: str) -> str:
        return f"arn:{self.aws_partition}:sns:{self.aws_region}:{self.aws_account_id}:{name}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: the process environment).

        Each field is read from the upper-case variable of the same name (`upload_bucket` from
        `UPLOAD_BUCKET`) unless it names its own. `AWS_REGION` falls back to `AWS_DEFAULT_REGION`, as boto3 does.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            raw = env.get(env_name(setting))
            if raw is None and setting.name == "aws_region":
                raw = env.get("AWS_DEFAULT_REGION")
            if raw is None or raw == "":
                continue
            values[setting.name] = int(raw) if setting.type == "int" else raw
        return cls(**values)

    def as_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings (what a function is configured with)."""
        env: dict[str, str] = {}
        for setting in fields(self):
            value = getattr(self, setting.name)
            if value is not None:
                env[env_name(setting)] = str(value)
        return env


def env_name(setting: Field[Any]) -> str:
    """The environment variable a setting is read from."""
    return str(setting.metadata.get("env", setting.name.upper()))


ENV_VARIABLES: tuple[str, ...] = tuple(env_name(setting) for setting in fields(Settings))
"""Every variable `Settings` reads; the compose and template tests check against this list."""
