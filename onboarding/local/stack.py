"""The embedded local stack: moto's server + PostgreSQL + migrations + AWS resources.

`onboard up` starts it and writes `$ONBOARD_HOME/stack.env`: the environment a Lambda function of
this stack would be configured with. Every other command (and `onboard worker` in another process)
loads that file, so it finds the running stack without flags. Variables already set in the
environment win, which is how the same commands reach LocalStack or AWS instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from onboarding import bootstrap
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import Settings
from onboarding.local.aws_server import MotoServer
from onboarding.local.home import (
    STACK_ENV,
    STACK_STATE,
    StackAlreadyRunning,
    forget_stack,
    read_env_file,
    running_stack,
)
from onboarding.local.mailbox import ensure_operator_mailbox, vendor_mailbox
from onboarding.local.postgres import EmbeddedPostgres, credentials_from_url, url_from_credentials
from onboarding.migrations import upgrade
from onboarding.pipeline.register_vendor import resubscribe_vendors
from onboarding.provision import Resources, provision

LOCAL_AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class LocalStack:
    """A running stack. `stop()` ends what `start()` began."""

    home: Path
    settings: Settings
    resources: Resources
    database: DatabaseCredentials
    moto: MotoServer | None
    postgres: EmbeddedPostgres | None
    vendors_resubscribed: int = 0

    def stop(self) -> None:
        forget_stack(self.home)
        if self.moto is not None:
            self.moto.stop()
        if self.postgres is not None:
            self.postgres.stop()

    @property
    def environment(self) -> dict[str, str]:
        return read_env_file(self.home / STACK_ENV)


LOCAL_WEBHOOK_RETRY_SCHEDULE_S = "1,2,4,8,16"


def start_stack(home: Path, environ: Mapping[str, str] | None = None) -> LocalStack:
    """Start moto's server and PostgreSQL (unless DATABASE_URL names a database), migrate, provision."""
    env = dict(os.environ if environ is None else environ)
    home.mkdir(parents=True, exist_ok=True)
    running = running_stack(home)
    if running is not None:
        raise StackAlreadyRunning(
            f"A stack is already running from {home} (AWS at {running.aws_endpoint_url}): use it, "
            "or stop it first with `onboard down`."
        )

    moto: MotoServer | None = None
    postgres: EmbeddedPostgres | None = None
    try:
        if not env.get("AWS_ENDPOINT_URL"):
            moto = MotoServer(home / "moto.log")
            env["AWS_ENDPOINT_URL"] = moto.start()
            env.update(LOCAL_AWS_CREDENTIALS)
            for name, value in LOCAL_AWS_CREDENTIALS.items():  # boto3 reads them from the process
                os.environ.setdefault(name, value)
        if env.get("DATABASE_URL"):
            # The database the URL names, as is: the CLI and a worker started with the same variable use it too.
            database = credentials_from_url(env["DATABASE_URL"])
        else:
            postgres = EmbeddedPostgres(home / "pgdata")
            database = postgres.start()
        env.pop("DATABASE_URL", None)  # the functions read the secret, as in AWS
        # Developers receive webhooks on their own machine, and see retries in seconds rather than hours.
        env.setdefault("WEBHOOK_ALLOW_LOCALHOST", "1")
        env.setdefault("WEBHOOK_RETRY_SCHEDULE_S", LOCAL_WEBHOOK_RETRY_SCHEDULE_S)
        settings = Settings.from_env(env)
        clients = bootstrap.build(settings).aws
        resources = provision(settings, clients, database)
        migrating = bootstrap.build(_with_url(settings, database))
        upgrade(migrating.engine)
        ensure_operator_mailbox(clients, settings, resources.operator_topic_arn)
        # The vendors persist in PostgreSQL; moto starts empty and has forgotten their subscriptions.
        vendors = resubscribe_vendors(migrating.catalog, migrating.notifier, settings.vendor_topic_arn,
                                      vendor_mailbox(migrating))
        migrating.close()
    except BaseException:
        if moto is not None:
            moto.stop()
        if postgres is not None:
            postgres.stop()
        raise

    stack_env = {**settings.as_env(), **_aws_credentials(env), "POWERTOOLS_SERVICE_NAME": "product-onboarding"}
    (home / STACK_ENV).write_text("".join(f"{k}={v}\n" for k, v in sorted(stack_env.items())))
    (home / STACK_STATE).write_text(
        json.dumps(
            {
                "aws_endpoint_url": settings.aws_endpoint_url,
                "moto_pid": moto.pid if moto else None,
                "up_pid": os.getpid(),
                "database": {"host": database.host, "port": database.port, "dbname": database.dbname},
                "resources": resources.__dict__,
            },
            indent=2,
        )
    )
    return LocalStack(home, settings, resources, database, moto, postgres, vendors)


def _aws_credentials(env: Mapping[str, str]) -> dict[str, str]:
    return {k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if env.get(k)}


def _with_url(settings: Settings, database: DatabaseCredentials) -> Settings:
    return replace(settings, database_url=url_from_credentials(database))
