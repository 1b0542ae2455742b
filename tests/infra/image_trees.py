"""Each Lambda image's file tree, built without Docker exactly as its Dockerfile builds it, and its CMD started the
way the base image starts it: `python -m awslambdaric <CMD>` against a Runtime API (tests/infra/runtime_api.py).

- the requirements file the Dockerfile copies, `pip install --target` into the task root (cached in `.tools/`,
  keyed on that file's content and this interpreter: installed once, then hard-linked into every tree);
- every `COPY` of the Dockerfile, with Docker's rules (a directory's contents, several sources into a folder)
  and `.dockerignore` honoured;
- its `ENV`, and its `CMD` handed to awslambdaric (installed apart, as the base image keeps it in /var/runtime);
- the interpreter isolated: `-S -E` (no site-packages, no PYTHON* variables), a sys.path of the task root then
  the runtime folder, as in the image. The interpreter is this machine's (3.11), not the image's 3.12: the wheels
  for 3.12 on both architectures are checked apart (test_image_trees.py).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.infra.cloudformation import ROOT
from tests.infra.runtime_api import RuntimeApi
from tests.infra.tools import TOOLS_DIR, cached_dir, content_key, pip

TASK_ROOT = "${LAMBDA_TASK_ROOT}"
IMAGE_TASK_ROOT = "/var/task"
AWSLAMBDARIC = "awslambdaric==4.2.2"  # the Runtime Interface Client of the python:3.12 base images
BOOTSTRAP = ("import runpy, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; del sys.argv[1:3]; "
             "runpy.run_module('awslambdaric', run_name='__main__', alter_sys=True)")


@dataclass
class Dockerfile:
    path: Path
    requirements: Path | None = None
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] = field(default_factory=list)
    installs_into_task_root: bool = False

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        parsed = cls(path)
        for instruction in _instructions(path.read_text()):
            keyword, _, rest = instruction.partition(" ")
            if keyword == "COPY":
                *sources, destination = shlex.split(rest)
                if destination.startswith("/tmp/"):
                    [requirements] = sources
                    parsed.requirements = ROOT / requirements
                else:
                    parsed.copies.append((sources, destination))
            elif keyword == "ENV":
                parsed.env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
            elif keyword == "CMD":
                parsed.cmd = json.loads(rest)
            elif keyword == "RUN" and "pip install" in rest:
                parsed.installs_into_task_root = (f'--target "{TASK_ROOT}"' in rest
                                                  and "--requirement /tmp/requirements.txt" in rest)
        return parsed


def _instructions(text: str) -> list[str]:
    joined = text.replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip() and not line.startswith("#")]


class DockerIgnore:
    def __init__(self, path: Path) -> None:
        self.patterns = [line.strip().rstrip("/") for line in path.read_text().splitlines()
                         if line.strip() and not line.startswith("#")]

    def ignores(self, relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for pattern in self.patterns:
            bare = pattern.removeprefix("**/")
            for prefix in prefixes:
                if fnmatch.fnmatchcase(prefix, pattern):
                    return True
                if pattern.startswith("**/") and fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], bare):
                    return True
        return False


# Compiled at install, as the Dockerfiles' `pip install` compiles: the trees are rebuilt for every session and
# worker, and each tree's first import then compiled the same packages again (about 2,300 modules a worker).
_COMPILED = "compiled"


def lambda_packages(requirements: Path) -> Path:
    """`pip install --target` of the image's requirements, once per requirements content and interpreter."""
    key = content_key(requirements, extra=sys.version + _COMPILED)
    return cached_dir("lambda-packages", key, lambda target: pip("--target", str(target), "--requirement",
                                                                   str(requirements), compile_bytecode=True))


def lambda_runtime() -> Path:
    """awslambdaric, where the base image keeps it (/var/runtime), apart from the task root."""
    return cached_dir("lambda-runtime", content_key(extra=AWSLAMBDARIC + sys.version + _COMPILED),
                      lambda target: pip("--target", str(target), AWSLAMBDARIC, compile_bytecode=True))


def build_tree(function: str, destination: Path) -> Dockerfile:
    """The task root of `services/<function>/Dockerfile`'s image, at `destination` (rebuilt from scratch)."""
    dockerfile = Dockerfile.read(ROOT / "services" / function / "Dockerfile")
    assert dockerfile.requirements is not None and dockerfile.installs_into_task_root, dockerfile.path
    shutil.rmtree(destination, ignore_errors=True)
    packages = lambda_packages(dockerfile.requirements)
    shutil.copytree(packages, destination, copy_function=_link_or_copy,
                    ignore=shutil.ignore_patterns(".ready"))
    ignore = DockerIgnore(ROOT / ".dockerignore")
    for sources, target in dockerfile.copies:
        _copy(sources, target.replace(TASK_ROOT, str(destination)), ignore)
    return dockerfile


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _copy(sources: list[str], target: str, ignore: DockerIgnore) -> None:
    into_folder = target.endswith("/") or len(sources) > 1
    for source in sources:
        path = ROOT / source
        if path.is_dir():  # Docker copies a folder's contents, not the folder
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = file.relative_to(ROOT).as_posix()
                if not ignore.ignores(relative):
                    _place(file, Path(target) / file.relative_to(path))
        elif not ignore.ignores(source):
            _place(path, Path(target) / path.name if into_folder else Path(target))


def _place(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, destination)


def tree_bytes(tree: Path) -> int:
    return sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())


@dataclass
class RunningFunction:
    """One image's CMD running under awslambdaric, served by its own Runtime API."""

    name: str
    api: RuntimeApi
    process: subprocess.Popen[bytes]
    output: Path

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines it wrote (its structured logs and EMF metrics), as CloudWatch Logs would receive them."""
        found = []
        for line in self.output.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.api.stop()


def start_function(name: str, tree: Path, dockerfile: Dockerfile, environment: dict[str, str],
                   log: IO[bytes], log_path: Path) -> RunningFunction:
    api = RuntimeApi(name).start()
    image_env = {k: v.replace(IMAGE_TASK_ROOT, str(tree)) for k, v in dockerfile.env.items()}
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(tree),
        "LAMBDA_RUNTIME_DIR": str(lambda_runtime()),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": f"product-onboarding-test-{name}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/product-onboarding/test/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "image-tree",
        **image_env,
        **environment,
    }
    process = subprocess.Popen(
        [sys.executable, "-S", "-E", "-c", BOOTSTRAP, str(tree), str(lambda_runtime()), *dockerfile.cmd],
        cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return RunningFunction(name, api, process, log_path)


__all__ = ["TOOLS_DIR", "Dockerfile", "RunningFunction", "build_tree", "start_function", "tree_bytes"]
