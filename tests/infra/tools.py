"""Cached, isolated installs for the infra tests: a tool's own virtual environment (checkov), an image's file tree.

Each lives under `.tools/` in the repository (ignored by git and Docker), keyed by the content of the
requirements file it installs, so `make test` pays for `pip install` only when that file changes (or on a
fresh CI machine), and never mixes the tool's dependencies into the project's environment.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

from tests.infra.cloudformation import ROOT

TOOLS_DIR = ROOT / ".tools"
READY = ".ready"


def content_key(*paths: Path, extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_dir(name: str, key: str, build: Callable[[Path], None]) -> Path:
    """`.tools/<name>-<key>`, built once by `build(directory)`; a half-built directory is rebuilt. Built under a
    lock: pytest-xdist workers may ask for the same directory at once."""
    target = TOOLS_DIR / f"{name}-{key}"
    TOOLS_DIR.mkdir(exist_ok=True)
    with (TOOLS_DIR / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (target / READY).exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        for stale in TOOLS_DIR.glob(f"{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # an older key: its requirements changed
        target.mkdir(parents=True)
        build(target)
        (target / READY).touch()
    return target


# The project's environment has uv (the Makefile installs it): it installs what pip would, about ten times as fast
# on a fresh machine (checkov's environment: 2 s against 21 s with pip, measured here).
UV = Path(sys.executable).parent / "uv"


def pip(*args: str, python: str = sys.executable, compile_bytecode: bool = False) -> None:
    """`pip install` for `python`'s environment (or a --target folder), done by uv. Not compiled ahead unless
    asked: the tests import a small part of some installs (checkov's environment is 265 MB), and Python compiles
    that part on first import. Compiling all of checkov cost a cold run of tests/infra 17 CPU-seconds more."""
    compiled = ["--compile-bytecode"] if compile_bytecode else []
    subprocess.run([str(UV), "pip", "install", "--quiet", *compiled, "--python", python, *args],
                   check=True, capture_output=True, text=True)


def tool_environment(name: str, requirements: Path) -> Path:
    """A virtual environment with exactly `requirements` installed; returns its bin directory."""

    def build(target: Path) -> None:
        venv.create(target, with_pip=False)
        pip("--requirement", str(requirements), python=str(target / "bin" / "python"))

    return cached_dir(name, content_key(requirements), build) / "bin"
