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
from urllib.parse import urlparse


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
    # Catalog operations (issue 16).
    price_change_factor: float = 3.0  # a price moving more than this many times up or down is PRICE_CHANGE_LARGE
    replace_guard_share: float = 0.2  # a replace deactivating more of the catalog fails with REPLACE_GUARD
    # The vendor API (documented in the README's API section).
    api_ticket_ttl_s: int = 900  # a presigned POST is valid this long; the unused ticket then ends `expired`
    api_ticket_grace_s: int = 60  # after the deadline, time for the upload's S3 event to arrive before expiry
    api_report_url_ttl_s: int = 300  # how long a report link (presigned GET) works
    api_create_per_minute: int = 30  # per API key: requests that create or change (POST, DELETE), e.g. tickets
    api_read_per_minute: int = 600  # per API key: GET requests

    log_level: str = "INFO"

    def __post_init__(self) -> None:
        """A value the system cannot run with fails here, at start, with a sentence naming its variable."""
        for name in _POSITIVE:
            _check(self, name, getattr(self, name) > 0, "a whole number above 0")
        for name in _NOT_NEGATIVE:
            _check(self, name, getattr(self, name) >= 0, "a whole number, 0 or more")
        _check(self, "dynamodb_batch_size", self.dynamodb_batch_size <= 25, "at most 25 (BatchWriteItem's limit)")
        _check(self, "error_message_max_bytes", self.error_message_max_bytes <= 256 * 1024,
               "at most 262144 (SQS's message limit)")
        _check(self, "log_level", self.log_level.upper() in LOG_LEVELS, "one of " + ", ".join(LOG_LEVELS))
        _check(self, "aws_partition", self.aws_partition in PARTITIONS, "one of " + ", ".join(PARTITIONS))
        _check(self, "price_change_factor", self.price_change_factor > 1, "a number above 1, like 3")
        _check(self, "replace_guard_share", 0 <= self.replace_guard_share <= 1, "a share from 0 to 1, like 0.2")
        for name in ("aws_endpoint_url", "portal_url", "error_codes_url"):
            value = getattr(self, name)
            _check(self, name, value is None or _is_url(value, ("http", "https")), "an http:// or https:// URL")
        _check(self, "database_url", self.database_url is None or _is_url(self.database_url, DATABASE_SCHEMES),
               "a postgresql:// URL")

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
            if setting.type == "int":
                if not raw.strip().lstrip("-").isdigit():
                    raise SettingsError(f"{env_name(setting)} must be a whole number; it is '{raw}'.")
                values[setting.name] = int(raw)
            elif setting.type == "float":
                try:
                    values[setting.name] = float(raw)
                except ValueError:
                    raise SettingsError(f"{env_name(setting)} must be a number like 0.2; it is '{raw}'.") from None
            else:
                values[setting.name] = raw
        return cls(**values)

    def as_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings (what a function is configured with)."""
        env: dict[str, str] = {}
        for setting in fields(self):
            value = getattr(self, setting.name)
            if value is not None:
                env[env_name(setting)] = str(value)
        return env


class SettingsError(ValueError):
    """A setting the system cannot run with; the message names the variable and what it must be."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2")
# Sizes, counts and timeouts that must be above 0; the others may be 0 (no overflow connections, no category
# cache, an upload swept as soon as it is idle).
_POSITIVE = ("db_connect_timeout_s", "db_pool_size", "max_file_bytes", "max_rows", "max_cell_chars",
             "dynamodb_batch_size", "write_shards", "error_message_max_bytes", "dry_run_commit_window_s")
_NOT_NEGATIVE = ("db_max_overflow", "stuck_upload_after_s", "category_cache_s")


def _check(settings: Settings, name: str, ok: bool, what: str) -> None:
    if not ok:
        variable = env_name(next(f for f in fields(settings) if f.name == name))
        raise SettingsError(f"{variable} must be {what}; it is '{getattr(settings, name)}'.")


def _is_url(value: str, schemes: tuple[str, ...]) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in schemes and bool(parsed.netloc or parsed.query)


def env_name(setting: Field[Any]) -> str:
    """The environment variable a setting is read from."""
    return str(setting.metadata.get("env", setting.name.upper()))


ENV_VARIABLES: tuple[str, ...] = tuple(env_name(setting) for setting in fields(Settings))
"""Every variable `Settings` reads; the compose and template tests check against this list."""

LOCAL_VARIABLES: dict[str, str] = {
    "ONBOARD_HOME": "where the local stack keeps its state (default ./.onboard)",
    "ONBOARD_SWEEP_EVERY_S": "how often the local worker runs the sweeper",
    "ONBOARD_VISIBILITY_TIMEOUT_S": "how long the local worker hides a received message",
    "ONBOARD_API_PORT": "the port `onboard up` serves the vendor API on (default: a free one)",
    "LAMBDA_INVOKE_MODE": "`http` makes the local worker call the function images (docker compose)",
    "CSV_PARSER_URL": "the csv_parser image's invocation URL (with LAMBDA_INVOKE_MODE=http)",
    "VALIDATOR_URL": "the validator image's invocation URL (with LAMBDA_INVOKE_MODE=http)",
    "ERROR_PROCESSOR_URL": "the error_processor image's invocation URL (with LAMBDA_INVOKE_MODE=http)",
    "SECRET_DATABASE_URL": "`onboard provision`: the database the secret it creates points at",
    "ALEMBIC_CONFIG": "an alembic.ini other than the repository's",
}
"""Every other variable the code reads: the local runtime's and the tools' (not the functions')."""

LAMBDA_TASK_ROOT = "LAMBDA_TASK_ROOT"
"""Set by the Lambda runtime in every function's environment (the image's code folder); never by us."""


def in_lambda(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process is a Lambda function's (AWS, or the runtime interface emulator of docker compose)."""
    return bool((os.environ if environ is None else environ).get(LAMBDA_TASK_ROOT))
