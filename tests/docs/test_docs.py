"""The student docs cannot rot: every link, repo path and test they name exists, and their runnable
shell blocks (fenced as ```sh runnable) run, file by file as one terminal session, against one local
stack that `onboard up` starts here exactly as a student starts it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_local_stack import wait_until_up

ROOT = Path(__file__).parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
RUNNABLE = re.compile(r"^```sh runnable\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"`((?:onboarding|services|tests|bench|db|infra|docs|requirements)/[^`\s]*)`")
PREFIXES = ("http://", "https://", "mailto:", "#")


def _text(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def _ids(docs: list[Path]) -> list[str]:
    return [doc.name for doc in docs]


def test_the_student_docs_exist_and_the_readme_points_at_them() -> None:
    assert {"README.md", "course-map.md", "walkthrough.md", "exercises.md", "errors.md"} <= {d.name for d in DOCS}
    assert "](docs/course-map.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_every_relative_link_points_at_a_file_that_exists(doc: Path) -> None:
    targets = [t.split("#", 1)[0] for t in LINK.findall(_text(doc)) if not t.startswith(PREFIXES)]
    assert [t for t in targets if t and not (doc.parent / t).exists()] == []


@pytest.mark.parametrize("doc", DOCS, ids=_ids(DOCS))
def test_every_repo_path_and_test_named_exists(doc: Path) -> None:
    missing = []
    for named in REPO_PATH.findall(_text(doc)):
        path, _, test = named.partition("::")
        path = path.rstrip(".,;:")
        exists = any(ROOT.glob(path))
        definition = re.compile(rf"^(?:async )?def {re.escape(test)}\(", re.M)
        defined = exists and (not test or definition.search((ROOT / path).read_text()))
        if not defined:
            missing.append(named)
    assert missing == []


def test_every_command_of_the_course_map_is_run_by_its_runnable_block() -> None:
    """The table's third column names commands; the block under the table runs each of them."""
    course_map = _text(ROOT / "docs" / "course-map.md")
    table = [line for line in course_map.splitlines() if line.startswith("| ") and not line.startswith("| concept")]
    run = "\n".join(RUNNABLE.findall(course_map))
    commands = [re.findall(r"`([^`]+)`", row.split(" | ")[2])[0] for row in table]
    assert len(commands) >= 12
    assert [c for c in commands if c not in run] == []


@pytest.fixture(scope="module")
def stack_env() -> Iterator[dict[str, str]]:
    """`onboard up` (worker included) in its own home, outside pytest's temp root (pgserver's own system user
    must be able to reach it), with no AWS or database settings of ours leaking in."""
    home = Path(tempfile.mkdtemp(prefix="onboard-docs-"))
    # conftest quiets Powertools for the other tests; a student's shell does not, and the docs grep the INFO lines.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "DATABASE_URL", "UPLOAD_", "DB_", "POWERTOOLS_LOG_LEVEL", "LOG_LEVEL"))}
    env["ONBOARD_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log = home.parent / f"{home.name}.up.log"
    up = subprocess.Popen([sys.executable, "-m", "onboarding.cli", "up"], env=env, stdout=log.open("wb"),
                          stderr=subprocess.STDOUT)
    wait_until_up(env, up, log, timeout_s=60)
    yield env
    up.send_signal(signal.SIGINT)
    try:
        up.wait(timeout=30)
    except subprocess.TimeoutExpired:
        up.kill()
    shutil.rmtree(home, ignore_errors=True)
    log.unlink(missing_ok=True)


WITH_BLOCKS = [doc for doc in DOCS if RUNNABLE.search(_text(doc))]


@pytest.mark.slow(7)
@pytest.mark.parametrize("doc", WITH_BLOCKS, ids=_ids(WITH_BLOCKS))
def test_the_runnable_blocks_run_in_order_as_one_session(doc: Path, stack_env: dict[str, str]) -> None:
    script = "\n".join(RUNNABLE.findall(_text(doc)))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=stack_env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{doc.name}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
