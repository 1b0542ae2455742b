"""Reaching the running stack: its environment, the composition root, the local mailbox."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from onboarding.cli.errors import EXIT_NO_STACK, CliError
from onboarding.startup_gc import resume_after_startup

if TYPE_CHECKING:
    from onboarding.bootstrap import Container
    from onboarding.local.mailbox import Mailboxes
    from onboarding.status import DeliveredFor


def connect() -> Container:
    """Load the running stack's environment (set variables win) and return the container that reaches it."""
    from onboarding import bootstrap
    from onboarding.local.home import load_stack_env, onboard_home

    found = load_stack_env(onboard_home())
    configured = any(os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "UPLOAD_BUCKET", "DATABASE_URL"))
    if not found and not configured:
        raise CliError(
            f"No running stack found in {onboard_home()}: start one with `onboard up` "
            "(or set AWS_ENDPOINT_URL and the other settings to reach one).",
            EXIT_NO_STACK,
        )
    bootstrap.reset()
    container = bootstrap.container()
    resume_after_startup()  # imports done, adapters built: see onboarding/startup_gc.py
    return container


def local_mailboxes() -> Mailboxes | None:
    from onboarding.local.home import onboard_home
    from onboarding.local.mailbox import Mailboxes

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
FUNCTIONS_OUTPUT = "logs/functions.out"  # what the functions print in the worker's threads (EMF metric lines)


class _LogFile(logging.FileHandler):
    """A log file created (with its folder) only when something is logged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(path, delay=True, encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().emit(record)


def log_file() -> Path:
    from onboarding.local.home import onboard_home

    return onboard_home() / LOG_FILE


def configure_logging(verbose: bool) -> None:
    """Logs never mix with what people read: to `$ONBOARD_HOME/logs/onboard.log`, or to stderr with -v.

    The functions' JSON lines (Powertools, one logger per service) go to the same place: the handlers run
    in this process when the worker does, and their logger is configured here before they import it. They
    log at the functions' level, as in Lambda (`LOG_LEVEL`, INFO unless set): the log is where a developer
    looks for what an upload did (`"batch validated"`, one line per stream batch).
    """
    from aws_lambda_powertools import Logger

    from onboarding.pipeline.logs import SERVICE_NAME

    target: logging.Handler = logging.StreamHandler(sys.stderr) if verbose else _LogFile(log_file())
    target.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[target], force=True)
    logging.captureWarnings(True)  # libraries' warnings (platformdirs under pgserver) are log lines too
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    level = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
    os.environ["POWERTOOLS_LOG_LEVEL"] = level  # the child loggers the handlers' modules create read it
    functions_log = logging.StreamHandler(sys.stderr) if verbose else _LogFile(log_file())
    Logger(service=SERVICE_NAME, level=level, logger_handler=functions_log)


class _PeopleOnly(io.TextIOBase):
    """stdout as people see it: only the main thread's lines. What other threads print (the functions, run by
    the worker in its threads, print their EMF metric lines as Lambda does) goes to a file under the home,
    or to stderr with -v, so it never lands between the lines meant for people."""

    def __init__(self, terminal: TextIO, elsewhere: Callable[[], TextIO]) -> None:
        self._terminal = terminal
        self._elsewhere = elsewhere
        self._lock = threading.Lock()

    def _target(self) -> TextIO:
        return self._terminal if threading.current_thread() is threading.main_thread() else self._elsewhere()

    def write(self, text: str) -> int:
        with self._lock:
            return self._target().write(text)

    def flush(self) -> None:
        self._terminal.flush()

    def isatty(self) -> bool:
        return self._terminal.isatty()

    def fileno(self) -> int:
        return self._terminal.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase declares it as a plain attribute
        return self._terminal.encoding


def keep_function_output_off_stdout(verbose: bool) -> None:
    """Route what non-main threads print away from stdout (see `_PeopleOnly`)."""
    opened: list[TextIO] = []

    def elsewhere() -> TextIO:
        if verbose:
            return sys.stderr
        if not opened:
            from onboarding.local.home import onboard_home

            path = onboard_home() / FUNCTIONS_OUTPUT
            path.parent.mkdir(parents=True, exist_ok=True)
            opened.append(path.open("a", encoding="utf-8", buffering=1))
        return opened[0]

    if not isinstance(sys.stdout, _PeopleOnly):
        sys.stdout = _PeopleOnly(sys.stdout, elsewhere)
