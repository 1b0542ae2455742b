"""`onboard dlq`, `provision` and `migrate`: operating the stack."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
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


def cmd_metrics(args: argparse.Namespace) -> int:
    """Sum up the functions' EMF metrics as CloudWatch's dashboard would: what the worker collected, or a log."""
    from onboarding.local.home import onboard_home
    from onboarding.local.metrics import METRICS_FILE, summarize

    if args.source == "-":
        summaries = summarize(sys.stdin)
    else:
        path = Path(args.source) if args.source else onboard_home() / METRICS_FILE
        summaries = summarize(path.read_text(encoding="utf-8").splitlines()) if path.is_file() else []
    if args.json:
        emit_json([summary.as_dict() for summary in summaries])
    elif not summaries:
        print("No metrics yet: they appear once the worker (`onboard up`) has run an upload.")
    else:
        print(table([(s.name, ", ".join(f"{k}={v}" for k, v in s.dimensions.items()), len(s.values),
                      _number(sum(s.values)), _number(min(s.values)), _number(max(s.values)), s.unit)
                     for s in summaries], ("METRIC", "DIMENSIONS", "SAMPLES", "SUM", "MIN", "MAX", "UNIT")))
    return EXIT_OK


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
