"""A stack's home folder (`$ONBOARD_HOME`): what `onboard up` records there, and how other commands find it.

Kept apart from `stack` (which starts a stack and imports the whole composition root) so that a command
which only looks for the running stack, or stops it, starts in a fraction of the time.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from onboarding.local.aws_server import is_reachable
from onboarding.waiting import wait_for

STACK_ENV = "stack.env"
STACK_STATE = "stack.json"


def onboard_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("ONBOARD_HOME") or Path.cwd() / ".onboard").resolve()


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                name, value = line.split("=", 1)
                values[name] = value
    return values


def load_stack_env(home: Path | None = None) -> bool:
    """Put the running stack's environment into `os.environ` (set variables win). False if no stack."""
    values = read_env_file((home or onboard_home()) / STACK_ENV)
    for name, value in values.items():
        os.environ.setdefault(name, value)
    return bool(values)


class StackAlreadyRunning(RuntimeError):
    """`onboard up` on a home whose stack is running."""


@dataclass(frozen=True)
class RunningStack:
    """What `onboard up` recorded about the stack it runs (`$ONBOARD_HOME/stack.json`)."""

    home: Path
    up_pid: int | None
    aws_endpoint_url: str | None

    @property
    def answering(self) -> bool:
        return _is_onboard_process(self.up_pid) and (
            not self.aws_endpoint_url or is_reachable(self.aws_endpoint_url)
        )


def recorded_stack(home: Path) -> RunningStack | None:
    """The stack `onboard up` recorded under `home`, running or not (None: none recorded)."""
    state = home / STACK_STATE
    if not state.is_file():
        return None
    try:
        recorded = json.loads(state.read_text())
    except (OSError, ValueError):
        return None
    pid = recorded.get("up_pid")
    return RunningStack(home, int(pid) if pid else None, recorded.get("aws_endpoint_url"))


def running_stack(home: Path) -> RunningStack | None:
    """The stack running from `home`, if its `onboard up` process is alive and its AWS endpoint answers."""
    stack = recorded_stack(home)
    return stack if stack is not None and stack.answering else None


def forget_stack(home: Path) -> None:
    """Remove what a stack that is no longer running left behind, so nothing finds it."""
    (home / STACK_STATE).unlink(missing_ok=True)
    (home / STACK_ENV).unlink(missing_ok=True)


def stop_running_stack(home: Path, timeout_s: float = 90) -> bool:
    """Ask the `onboard up` running from `home` to stop (SIGTERM, as Ctrl-C) and wait until it has.

    Returns False if no stack was running (leftover state files are removed). Raises TimeoutError if it
    does not stop in time.
    """
    stack = recorded_stack(home)
    if stack is None or stack.up_pid is None or not _is_onboard_process(stack.up_pid):
        forget_stack(home)
        return False
    os.kill(stack.up_pid, signal.SIGTERM)
    pid = stack.up_pid
    if wait_for(lambda: not _is_onboard_process(pid), timeout_s):
        return True
    raise TimeoutError(f"the stack (process {stack.up_pid}) did not stop within {timeout_s:.0f} s")


def _is_onboard_process(pid: int | None) -> bool:
    """True if `pid` is alive and is an `onboard` process (a recorded pid may have been reused since)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the recorded pid
    status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").is_file() else ""
    if "State:\tZ" in status:
        return False
    return b"onboard" in cmdline
