"""Reaching the running stack: its environment, the composition root, the local mailbox."""

from __future__ import annotations

import logging
import os
import sys
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
    if not found and not os.environ.get("AWS_ENDPOINT_URL") and not os.environ.get("UPLOAD_BUCKET"):
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


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The handlers' JSON logs are for operators; on a terminal only warnings show unless -v.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO" if verbose else "WARNING"
