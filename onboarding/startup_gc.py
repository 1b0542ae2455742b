"""The garbage collector while a process of ours starts: paused while it imports, then told to ignore what it
imported.

An `onboard` command, the worker and moto's server import SQLAlchemy, boto3 (and moto) and build their adapters
before doing anything: a few hundred thousand objects that live as long as the process. CPython's collector walks
all of them each time its thresholds trip while they are being created, and once more as the interpreter exits.
Measured on this project's 2-core machine, that was about a third of a short command's CPU (0.6 -> 0.4 CPU-s to
import the CLI's modules and exit). So an entry point pauses collection, and once started moves everything alive
into the collector's permanent generation (`gc.freeze`) and collects normally from there: what the command then
creates and drops is still collected.

Only entry points call `pause_during_startup`; `resume_after_startup` does nothing where collection was not
paused, so code that calls it inside another process (a test importing a command's helpers) changes nothing there.
"""

from __future__ import annotations

import gc


def pause_during_startup() -> None:
    gc.disable()


def resume_after_startup() -> None:
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
