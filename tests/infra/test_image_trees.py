"""The Lambda images, proven without Docker: each image's file tree built as its Dockerfile builds it, each CMD
started under awslambdaric in an isolated interpreter, and one real upload run through the three pipeline
functions' trees against moto's server and PostgreSQL, by the worker, as Lambda's mappings would invoke them.

How the trees are built, and what this cannot prove (the image's own interpreter and glibc): image_trees.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from onboarding import bootstrap
from onboarding.local.demo import SAMPLES
from onboarding.provision import Resources
from tests.harness import FAST_MAPPINGS, start_pipeline
from tests.infra.cloudformation import FUNCTION_ROLES, ROOT, load_template
from tests.infra.image_trees import Dockerfile, RunningFunction, build_tree, start_function, tree_bytes
from tests.infra.tools import TOOLS_DIR, content_key

FUNCTIONS = ("csv_parser", "validator", "error_processor", "webhook_sender", "migrator")
PIPELINE = ("csv_parser", "validator", "error_processor")
# One folder per pytest-xdist worker: the module's tests may run on several workers at once, each building them.
TREES = TOOLS_DIR / f"image-trees-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
BASE_IMAGE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-lambda-base-image"]

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "resources": ["arn:aws:events:::rule/x"]}

pytestmark = pytest.mark.slow(5)


@pytest.fixture(scope="module")
def trees() -> dict[str, tuple[Path, Dockerfile]]:
    built = {function: (TREES / function, build_tree(function, TREES / function)) for function in FUNCTIONS}
    sizes = {function: round(tree_bytes(tree) / 2**20, 1) for function, (tree, _) in built.items()}
    (TREES / "sizes-mib.json").write_text(json.dumps(sizes, indent=1))
    return built


def configured_as_in_the_template(function: str) -> dict[str, str]:
    """The function's variables in the template that are plain values (the connection budget's pool sizes,
    Powertools' names); the rest (names, endpoints) are this test stack's."""
    template = load_template()
    own = template["Resources"][FUNCTION_ROLES[function][0]]["Properties"].get("Environment", {}).get("Variables", {})
    variables = {**template["Globals"]["Function"]["Environment"]["Variables"], **own}
    return {name: str(value) for name, value in variables.items() if isinstance(value, str | int)}


@pytest.fixture
def functions(trees: dict[str, tuple[Path, Dockerfile]], container: bootstrap.Container, resources: Resources,
              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, dict[str, RunningFunction]]]:
    pipeline = start_pipeline(container, resources, tmp_path / "onboard", monkeypatch)
    pipeline.home.mkdir()
    environment = {**pipeline.handler_env, "POWERTOOLS_LOG_LEVEL": "INFO"}
    running: dict[str, RunningFunction] = {}
    logs = []
    (TREES / "logs").mkdir(exist_ok=True)  # kept after the run, to read what each function logged
    try:
        for name in FUNCTIONS:
            path = TREES / "logs" / f"{name}.log"
            logs.append(path.open("wb"))
            running[name] = start_function(name, *trees[name], {**environment, **configured_as_in_the_template(name)},
                                           logs[-1], path)
        yield pipeline, running
    finally:
        pipeline.stop()
        for function in running.values():
            function.stop()
        for log in logs:
            log.close()


def test_one_upload_runs_through_the_three_images_from_their_trees(
    functions: tuple[Any, dict[str, RunningFunction]],
) -> None:
    pipeline, running = functions
    assert running["migrator"].api.invoke({}) == {"migrated": True}  # alembic, from the image's own files
    # Beside the pipeline: its schedule, with nothing due yet.
    assert running["webhook_sender"].api.invoke(SCHEDULED) == {"delivered": 0, "retrying": 0, "given_up": 0}
    pipeline.start(FAST_MAPPINGS, {name: running[name].api.invoke for name in PIPELINE})
    pipeline.add_vendor("VEND002")
    upload_id = pipeline.put("VEND002", "VEND002_catalog.csv",
                             (SAMPLES / "VEND002_catalog_with_errors.csv").read_bytes())

    status = pipeline.wait(upload_id, timeout_s=90)

    assert status["status"] == "partial", status
    assert status["valid_records"] > 0 and status["error_records"] > 0
    assert len(pipeline.catalog.products_of("VEND002")) == status["valid_records"]
    assert status["error_report"]
    [mail] = pipeline.delivered(upload_id)  # the vendor's email, through SNS
    assert upload_id in mail.message
    for name in PIPELINE:
        assert running[name].api.request_ids, f"{name} was never invoked"

    # What CloudWatch Logs would receive: every line of an invocation carries its request id and cold start flag,
    # the upload's lines carry the upload and the vendor, and the metrics are EMF lines.
    for name in PIPELINE:
        lines = [line for line in running[name].lines() if "level" in line]
        invocation_lines = [line for line in lines if line.get("function_request_id") in running[name].api.request_ids]
        assert invocation_lines, name
        assert all("cold_start" in line and line["function_name"].endswith(name) for line in invocation_lines)
    upload_lines = [line for name in PIPELINE for line in running[name].lines() if line.get("upload_id") == upload_id]
    assert upload_lines and all(line.get("vendor_id") == "VEND002" for line in upload_lines)
    metrics = {name for line in running["error_processor"].lines() if "_aws" in line
               for name in [m["Name"] for d in line["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]}
    assert {"UploadsFinished", "RowsAccepted", "RowsRejected", "TimeToFinalStatus", "NotificationsSent"} <= metrics


def test_the_trees_hold_only_what_the_dockerfiles_copy(trees: dict[str, tuple[Path, Dockerfile]]) -> None:
    for function, (tree, _) in trees.items():
        assert (tree / "handler.py").read_bytes() == (ROOT / "services" / function / "handler.py").read_bytes()
        assert not (tree / "onboarding" / "local").exists()  # the local stack stays out of the images
        assert not (tree / "tests").exists()
    assert (trees["migrator"][0] / "alembic.ini").is_file()


def manylinux_platforms(architecture: str) -> list[str]:
    """Every platform tag Amazon Linux 2023 (glibc 2.34) accepts."""
    return [f"manylinux_2_{minor}_{architecture}" for minor in range(17, 35)] + [f"manylinux2014_{architecture}"]


@pytest.mark.parametrize("architecture", ["x86_64", "aarch64"])
def test_every_lambda_requirement_has_a_wheel_for_the_images_python_on_both_architectures(architecture: str) -> None:
    """Resolution only (pip downloads metadata, installs nothing), cached per requirements content."""
    requirements = ROOT / "requirements" / "lambda.txt"
    match = re.search(r"python:(3\.\d+)@", BASE_IMAGE)
    assert match is not None
    version = match.group(1)
    marker = TOOLS_DIR / f"wheels-{architecture}-{content_key(requirements, extra=version)}.ok"
    if marker.exists():
        return
    arguments = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--dry-run",
                 "--ignore-installed", "--target", str(TOOLS_DIR / "unused"), "--only-binary=:all:",
                 "--python-version", version, "--implementation", "cp", "--abi", f"cp{version.replace('.', '')}"]
    for platform in manylinux_platforms(architecture):
        arguments += ["--platform", platform]
    result = subprocess.run([*arguments, "--requirement", str(requirements)], capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    TOOLS_DIR.mkdir(exist_ok=True)
    marker.touch()
