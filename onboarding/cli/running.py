"""`onboard up`, `onboard worker` and `onboard demo`: the local stack and its worker."""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboarding.cli.errors import EXIT_OK
from onboarding.cli.wiring import configure_logging, connect

if TYPE_CHECKING:
    from onboarding.bootstrap import Container
    from onboarding.local.worker import Worker


def _start_worker(container: Container, home: Path) -> Worker:
    from onboarding.local.functions import functions_from_env
    from onboarding.local.worker import MappingSettings, build_worker

    sweep_every = float(os.environ.get("ONBOARD_SWEEP_EVERY_S", MappingSettings.sweep_every_s))
    # How long a received message stays hidden: after a worker dies, its in-flight messages return this late.
    visibility = int(os.environ.get("ONBOARD_VISIBILITY_TIMEOUT_S", MappingSettings.visibility_timeout_s))
    mappings = MappingSettings(sweep_every_s=sweep_every, visibility_timeout_s=visibility)
    worker = build_worker(container, home, functions_from_env(), mappings)
    worker.start()
    return worker


def _wait_for_signal(stop: Callable[[], object]) -> None:
    stopping = {"now": False}

    def on_signal(signum: int, _frame: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping["now"]:
            time.sleep(0.2)
    finally:
        stop()


def cmd_up(args: argparse.Namespace) -> int:
    from onboarding.local.stack import onboard_home, start_stack

    configure_logging(args.verbose)
    home = onboard_home()
    stack = start_stack(home)
    print(f"Stack up: AWS at {stack.settings.aws_endpoint_url}, PostgreSQL at {stack.database.host}")
    print(f"State in {home}. Other terminals: `onboard vendors add ...`, `onboard upload ...`.")
    container = connect()
    worker = None if args.no_worker else _start_worker(container, home)
    print("Worker running." if worker else "No worker: run `onboard worker` in another terminal.")
    print("Ctrl-C to stop.", flush=True)

    def stop() -> None:
        if worker is not None:
            worker.stop()
        container.close()
        stack.stop()

    _wait_for_signal(stop)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    from onboarding.local.stack import onboard_home

    configure_logging(args.verbose)
    worker = _start_worker(connect(), onboard_home())
    print("Worker running; Ctrl-C to stop.", flush=True)
    _wait_for_signal(worker.stop)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from onboarding.local.demo import run_demo

    configure_logging(args.verbose)
    return run_demo()
