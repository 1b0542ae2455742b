"""`onboard up`, `onboard worker` and `onboard demo`: the local stack and its worker."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboarding.cli.errors import EXIT_NO_STACK, EXIT_OK, EXIT_TIMEOUT, CliError
from onboarding.cli.output import say
from onboarding.cli.wiring import connect, log_file

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
    from onboarding.local.api_server import portal_url, serve_api
    from onboarding.local.home import onboard_home
    from onboarding.local.stack import start_stack

    home = onboard_home()
    stack = start_stack(home)
    say(f"Stack up: AWS at {stack.settings.aws_endpoint_url}, PostgreSQL at {stack.database.host}.")
    if stack.vendors_resubscribed:
        say(f"{stack.vendors_resubscribed} registered vendors subscribed to their notifications again.")
    say(f"State in {home}; logs in {log_file()}.")
    # Before the stack's environment is loaded, so the functions (webhook links) read API_URL from it too.
    api = serve_api(home, stack.settings)
    say(f"API at {api.url}/v1 (API_URL in {home / 'stack.env'}; keys: `onboard keys create VENDOR_ID`).")
    say(f"Portal at {portal_url(api.url)} (PORTAL_URL in {home / 'stack.env'}; operators: "
        "`onboard keys create --operator`).")
    container = connect()
    worker = None if args.no_worker else _start_worker(container, home)
    say("Worker running." if worker else "No worker: run `onboard worker` in another terminal.")
    say("Other terminals: `onboard vendors add ...`, `onboard upload ...`. Stop with Ctrl-C or `onboard down`.")
    sys.stdout.flush()

    def stop() -> None:
        api.stop()
        if worker is not None:
            worker.stop()
        container.close()
        stack.stop()

    _wait_for_signal(stop)
    say("Stack stopped.")
    return EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    from onboarding.local.home import onboard_home, stop_running_stack

    home = onboard_home()
    try:
        stopped = stop_running_stack(home, timeout_s=args.timeout)
    except TimeoutError as error:
        raise CliError(f"The stack in {home} is still stopping ({error}); wait, or stop its `onboard up` with "
                       "Ctrl-C.", EXIT_TIMEOUT) from error
    if not stopped:
        raise CliError(f"No running stack found in {home}: nothing to stop.", EXIT_NO_STACK)
    say(f"Stack in {home} stopped.")
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    from onboarding.local.home import onboard_home

    worker = _start_worker(connect(), onboard_home())
    say(f"Worker running; logs in {log_file()}. Ctrl-C to stop.")
    sys.stdout.flush()
    _wait_for_signal(worker.stop)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from onboarding.local.demo import run_demo

    return run_demo()
