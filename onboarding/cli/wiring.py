"""Reaching the running stack: its environment, the composition root, the local mailbox."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from onboarding.cli.errors import EXIT_NO_STACK, CliError

if TYPE_CHECKING:
    from onboarding.bootstrap import Container
    from onboarding.local.mailbox import Mailboxes
    from onboarding.status import DeliveredFor


def connect() -> Container:
    """Load the running stack's environment (set variables win) and return the container that reaches it."""
    from onboarding import bootstrap
    from onboarding.local.stack import load_stack_env, onboard_home

    found = load_stack_env(onboard_home())
    configured = any(os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "UPLOAD_BUCKET", "DATABASE_URL"))
    if not found and not configured:
        raise CliError(
            f"No running stack found in {onboard_home()}: start one with `onboard up` "
            "(or set AWS_ENDPOINT_URL and the other settings to reach one).",
            EXIT_NO_STACK,
        )
    bootstrap.reset()
    return bootstrap.container()


def local_mailboxes() -> Mailboxes | None:
    from onboarding.local.mailbox import Mailboxes
    from onboarding.local.stack import onboard_home

    directory = onboard_home() / "mailbox"
    return Mailboxes(directory) if (onboard_home() / "stack.env").is_file() else None


def delivered_for() -> DeliveredFor | None:
    """The local mailbox's deliveries per upload, when this is the local stack."""
    from onboarding.status import Delivered

    mailboxes = local_mailboxes()
    if mailboxes is None:
        return None
    return lambda upload_id: [Delivered(m.subject, m.message) for m in mailboxes.mail_for_upload(upload_id)]


LOG_FILE = "logs/onboard.log"  # under $ONBOARD_HOME


class _LogFile(logging.FileHandler):
    """A log file created (with its folder) only when something is logged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(path, delay=True, encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().emit(record)


def log_file() -> Path:
    from onboarding.local.stack import onboard_home

    return onboard_home() / LOG_FILE


def configure_logging(verbose: bool) -> None:
    """Logs never mix with what people read: to `$ONBOARD_HOME/logs/onboard.log`, or to stderr with -v.

    The functions' JSON lines (Powertools, one logger per service) go to the same place: the handlers run
    in this process when the worker does, and their logger is configured here before they import it.
    """
    from aws_lambda_powertools import Logger

    from onboarding.pipeline.logs import SERVICE_NAME

    target: logging.Handler = logging.StreamHandler(sys.stderr) if verbose else _LogFile(log_file())
    target.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[target], force=True)
    logging.captureWarnings(True)  # libraries' warnings (platformdirs under pgserver) are log lines too
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    level = "INFO" if verbose else "WARNING"
    os.environ["POWERTOOLS_LOG_LEVEL"] = level
    functions_log = logging.StreamHandler(sys.stderr) if verbose else _LogFile(log_file())
    Logger(service=SERVICE_NAME, level=level, logger_handler=functions_log)
