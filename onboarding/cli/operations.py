"""`onboard dlq`, `provision` and `migrate`: operating the stack."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from onboarding.cli.errors import EXIT_OK
from onboarding.cli.output import emit_json, say, table
from onboarding.cli.wiring import connect

if TYPE_CHECKING:
    from onboarding.local.functions import Invoke


def cmd_dlq(args: argparse.Namespace) -> int:
    from onboarding.local.dead_letters import list_dead_letters, redrive_dead_letters

    container = connect()
    if args.dlq_command == "list":
        letters = list_dead_letters(container.aws, container.settings)
        if args.json:
            emit_json(letters)
        else:
            print(table([(d["queue"], d["message_id"], d["summary"]) for d in letters],
                         ("QUEUE", "MESSAGE", "SUMMARY")) if letters else "All dead-letter queues are empty.")
        return EXIT_OK
    moved = redrive_dead_letters(container.aws, container.settings, _worker_functions_for_redrive())
    if args.json:
        emit_json(moved)
    else:
        print(", ".join(f"{queue}: {count} replayed" for queue, count in moved.items()) or "Nothing to replay.")
    return EXIT_OK


def _worker_functions_for_redrive() -> Invoke:
    from onboarding.local.functions import functions_from_env

    return functions_from_env()["validator"]


def cmd_provision(args: argparse.Namespace) -> int:
    """Create the AWS resources and the database secret (docker compose's setup job)."""
    from onboarding.local.postgres import credentials_from_url
    from onboarding.provision import provision

    container = connect()
    settings = container.settings
    db_url = os.environ.get("SECRET_DATABASE_URL")
    resources = provision(settings, container.aws, credentials_from_url(db_url) if db_url else None)
    emit_json(resources.__dict__)
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    from onboarding import migrations

    engine = connect().engine
    if args.down:
        migrations.downgrade(engine, args.revision or "base")
    else:
        migrations.upgrade(engine, args.revision or "head")
    say("Migrations applied.")
    return EXIT_OK
