"""A running pipeline for end-to-end and fault tests: the worker and the real handler files, in process,
against moto's server over HTTP and a real PostgreSQL. The handlers read the database secret, as in AWS."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from onboarding import bootstrap
from onboarding.adapters.aws import SERVICES, AwsClients
from onboarding.config import Settings
from onboarding.domain.changes import ImportMode
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.local.functions import FUNCTIONS, WEBHOOK_SENDER, Invoke, load_handler
from onboarding.local.home import STACK_ENV
from onboarding.local.mailbox import Mail, Mailboxes, ensure_operator_mailbox, vendor_mailbox
from onboarding.local.stack import LOCAL_AWS_CREDENTIALS
from onboarding.local.worker import MappingSettings, Worker, build_worker
from onboarding.pipeline.ports import Catalog
from onboarding.pipeline.register_vendor import register_vendor
from onboarding.provision import Resources
from onboarding.status import Delivered, current_status, wait_until_final
from onboarding.waiting import wait_for

FAST_MAPPINGS = MappingSettings(poll_wait_s=0, visibility_timeout_s=10, sweep_every_s=3600,
                                webhook_every_s=1.0,
                                stream_batching_window_s=0.2)


def load_what_pipelines_keep() -> None:
    """Import the handlers' modules and load botocore's models of every service the pipeline calls, as the first
    pipeline test would: they stay loaded for the process's life (the models in the region's shared session)."""
    for name in (*FUNCTIONS, WEBHOOK_SENDER):
        load_handler(name)
    clients = AwsClients(Settings(aws_endpoint_url="http://127.0.0.1:9"))  # made offline, never called
    for service in SERVICES:
        getattr(clients, service)  # the property makes the client, which loads the model


@dataclass
class RunningPipeline:
    """The test's adapters (`container`, built by the composition root), its resources, and the worker."""

    container: bootstrap.Container
    resources: Resources
    home: Path
    functions: dict[str, Invoke] = field(default_factory=dict)
    worker: Worker | None = None

    @property
    def settings(self) -> Settings:
        return self.container.settings

    @property
    def aws(self) -> AwsClients:
        return self.container.aws

    @property
    def catalog(self) -> Catalog:
        return self.container.catalog

    @property
    def engine(self) -> Engine:
        return self.container.engine

    @property
    def handler_env(self) -> dict[str, str]:
        """What the functions are configured with: no DATABASE_URL, the secret instead."""
        env = replace(self.settings, database_url=None).as_env()
        return {**env, **LOCAL_AWS_CREDENTIALS, "POWERTOOLS_LOG_LEVEL": "WARNING"}

    @property
    def mailboxes(self) -> Mailboxes:
        return Mailboxes(self.home / "mailbox")

    def start(self, mappings: MappingSettings = FAST_MAPPINGS, functions: Mapping[str, Invoke] | None = None) -> None:
        self.functions = dict(functions or {n: load_handler(n) for n in (*FUNCTIONS, WEBHOOK_SENDER)})
        self.worker = build_worker(self.container, self.home, self.functions, mappings)
        self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            still_running = self.worker.stop()
            self.worker = None
            if still_running:  # they would invoke the handlers against the next test's stack
                raise RuntimeError(f"worker threads outlived the test: {still_running}")

    def add_vendor(self, vendor_id: str, status: VendorStatus = VendorStatus.ACTIVE) -> Vendor:
        vendor = Vendor(vendor_id, f"{vendor_id} Ltd", f"{vendor_id.lower()}@vendors.example", status)
        register_vendor(self.catalog, self.container.notifier, self.settings.vendor_topic_arn, vendor,
                        vendor_mailbox(self.container))
        return vendor

    def put(self, vendor_folder: str, name: str, body: bytes, dry_run: bool = False, mode: ImportMode | None = None,
            confirm_replace: bool = False) -> str:
        """Upload bytes as a vendor would; returns the upload id the pipeline will give it."""
        from onboarding.status import upload_file

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "upload.bin"
            path.write_bytes(body)
            return upload_file(self.container, path, vendor_folder, name, dry_run=dry_run, mode=mode,
                               confirm_replace=confirm_replace)

    def delivered(self, upload_id: str) -> list[Delivered]:
        return [Delivered(m.subject, m.message) for m in self.mailboxes.mail_for_upload(upload_id)]

    def wait(self, upload_id: str, timeout_s: float = 60) -> dict[str, Any]:
        return wait_until_final(self.catalog, upload_id, timeout_s, self.delivered)

    def status(self, upload_id: str) -> dict[str, Any] | None:
        return current_status(self.catalog, upload_id, self.delivered)

    def mail(self, mailbox: str) -> list[Mail]:
        return self.mailboxes.mail_of(mailbox)

    def mail_once(self, mailbox: str, count: int = 1, timeout_s: float = 10) -> list[Mail]:
        """The mailbox's mail once `count` arrived (or the timeout passed): an upload's mail to several
        audiences is drained one mailbox after another, so it may land after the upload is final."""
        wait_for(lambda: len(self.mail(mailbox)) >= count, timeout_s, interval_s=0.1)
        return self.mail(mailbox)

    def write_stack_env(self) -> dict[str, str]:
        """Make this pipeline findable by the CLI (as `onboard up` does); returns the CLI's environment."""
        env = self.handler_env
        (self.home / STACK_ENV).write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
        cli_env = {k: v for k, v in os.environ.items() if k not in env and k != "DATABASE_URL"}
        return {**cli_env, "ONBOARD_HOME": str(self.home)}


def start_pipeline(container: bootstrap.Container, resources: Resources, home: Path, environ: Any) -> RunningPipeline:
    """`environ` is pytest's monkeypatch: the handlers read their configuration from the environment."""
    pipeline = RunningPipeline(container, resources, home)
    for name, value in pipeline.handler_env.items():
        environ.setenv(name, value)
    environ.delenv("DATABASE_URL", raising=False)
    bootstrap.reset()
    ensure_operator_mailbox(container.aws, container.settings, resources.operator_topic_arn)
    return pipeline
