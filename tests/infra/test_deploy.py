"""infra/deploy.sh, run for real against stand-ins for the AWS and Docker CLIs (tests/infra/fakes/).

The stand-ins record every call and answer as the CLIs do, so these tests check what the script would ask of
AWS and Docker: the build flags, the image tags of each pass, the order of migration and mappings, and that a
failed migration ends the deploy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.infra.cloudformation import ROOT, load_template

FAKES = Path(__file__).parent / "fakes"
COMPOSE_PIN = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-lambda-base-image"]
Call = list[str]


def deploy(tmp_path: Path, *args: str, script_dir: Path = ROOT, **fake_env: str) -> tuple[int, list[Call], str]:
    log = tmp_path / "calls.jsonl"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_")}
    env.update({"PATH": f"{FAKES}:{env['PATH']}", "FAKE_LOG": str(log), "AWS_REGION": "us-east-1", **fake_env})
    result = subprocess.run(["bash", str(script_dir / "infra" / "deploy.sh"), "--env", "dev", *args],
                            capture_output=True, text=True, env=env, check=False, timeout=60)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result.returncode, calls, result.stdout + result.stderr


def stack_deploys(calls: list[Call]) -> list[dict[str, str]]:
    """The parameter overrides of each `aws cloudformation deploy`, in order."""
    deploys = []
    for call in calls:
        if call[1:3] == ["cloudformation", "deploy"]:
            overrides = call[call.index("--parameter-overrides") + 1:]
            deploys.append(dict(item.split("=", 1) for item in overrides if "=" in item))
    return deploys


def builds(calls: list[Call]) -> list[Call]:
    return [call for call in calls if call[:3] == ["docker", "buildx", "build"]]


def test_images_are_built_without_attestations_for_the_functions_architecture_on_the_pinned_base(
    tmp_path: Path,
) -> None:
    code, calls, output = deploy(tmp_path, "--tag", "abc123", FAKE_STACK_TAG="old")
    assert code == 0, output
    architectures = load_template()["Globals"]["Function"]["Architectures"]
    platform = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}[architectures[0]]
    assert len(builds(calls)) == 6
    for build in builds(calls):
        # An OCI index (BuildKit's default with attestations) is rejected by Lambda.
        assert "--provenance=false" in build and "--sbom=false" in build
        assert build[build.index("--platform") + 1] == platform
        assert f"BASE_IMAGE={COMPOSE_PIN}" in build
    pushed = [call[2] for call in calls if call[:2] == ["docker", "push"]]
    assert pushed == [f"123456789012.dkr.ecr.us-east-1.amazonaws.com/product-onboarding-dev/{name}:abc123"
                      for name in ("csv-parser", "validator", "error-processor", "migrator", "webhook-sender", "api")]


def test_the_first_pass_on_an_existing_stack_keeps_the_image_tags_it_runs(tmp_path: Path) -> None:
    code, calls, output = deploy(tmp_path, "--tag", "new", FAKE_STACK_TAG="running")
    assert code == 0, output
    first = stack_deploys(calls)[0]
    assert (first["ImageTag"], first["MigratorImageTag"]) == ("running", "running")


def test_a_first_deploy_starts_without_images(tmp_path: Path) -> None:
    code, calls, output = deploy(tmp_path, "--tag", "new")
    assert code == 0, output
    assert [(d["ImageTag"], d["MigratorImageTag"]) for d in stack_deploys(calls)] == [
        ("", ""), ("", "new"), ("new", "new")]


def test_the_schema_is_migrated_before_the_functions_and_their_mappings_move(tmp_path: Path) -> None:
    code, calls, output = deploy(tmp_path, "--tag", "new", FAKE_STACK_TAG="old")
    assert code == 0, output
    order = [("deploy", stack_deploys([c])[0]["ImageTag"]) if c[1:3] == ["cloudformation", "deploy"] else ("invoke",)
             for c in calls if c[1:3] in (["cloudformation", "deploy"], ["lambda", "invoke"])]
    assert order == [("deploy", "old"), ("deploy", "old"), ("invoke",), ("deploy", "new")]


def test_a_failed_migration_fails_the_deploy_and_leaves_the_functions_on_their_images(tmp_path: Path) -> None:
    code, calls, output = deploy(tmp_path, "--tag", "new", FAKE_STACK_TAG="old", FAKE_MIGRATION_ERROR="Unhandled")
    assert code != 0
    assert "migration failed" in output and "relation exists" in output
    assert all(d["ImageTag"] == "old" for d in stack_deploys(calls))


def test_a_stack_that_cannot_be_read_stops_the_deploy_before_any_change(tmp_path: Path) -> None:
    code, calls, output = deploy(tmp_path, "--tag", "new", FAKE_DESCRIBE_ERROR="ExpiredToken: the token expired")
    assert code != 0 and "ExpiredToken" in output
    assert stack_deploys(calls) == []


def copy_of_the_scripts(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    (copy / "infra").mkdir(parents=True)
    shutil.copy(ROOT / "infra" / "deploy.sh", copy / "infra" / "deploy.sh")
    shutil.copy(ROOT / "docker-compose.yml", copy / "docker-compose.yml")
    return copy


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_outside_a_git_checkout_the_images_need_a_tag(tmp_path: Path) -> None:
    copy = copy_of_the_scripts(tmp_path)
    code, calls, output = deploy(tmp_path, script_dir=copy, FAKE_STACK_TAG="old")
    assert code != 0 and "--tag" in output and calls == []
    code, calls, output = deploy(tmp_path, "--tag", "v1", script_dir=copy, FAKE_STACK_TAG="old")
    assert code == 0, output


def test_a_dirty_tree_is_refused_or_deployed_under_a_tag_of_its_own(tmp_path: Path) -> None:
    copy = copy_of_the_scripts(tmp_path)
    git(copy, "init", "-q")
    git(copy, "add", ".")
    git(copy, "commit", "-qm", "initial")
    commit = git(copy, "rev-parse", "--short=12", "HEAD")
    code, calls, output = deploy(tmp_path, script_dir=copy, FAKE_STACK_TAG="old")
    assert code == 0, output
    assert stack_deploys(calls)[-1]["ImageTag"] == commit

    (copy / "docker-compose.yml").write_text((copy / "docker-compose.yml").read_text() + "\n# edited\n")
    code, calls, output = deploy(tmp_path, script_dir=copy, FAKE_STACK_TAG="old")
    assert code != 0 and "uncommitted changes" in output and calls == []
    code, calls, output = deploy(tmp_path, "--allow-dirty", script_dir=copy, FAKE_STACK_TAG="old")
    assert code == 0, output
    assert stack_deploys(calls)[-1]["ImageTag"].startswith(f"{commit}-dirty-")


def test_a_dry_run_calls_nothing(tmp_path: Path) -> None:
    code, calls, output = deploy(tmp_path, "--dry-run", "--tag", "new")
    assert code == 0, output
    assert calls == []
    assert "--provenance=false" in output


@pytest.mark.parametrize("function", ["csv_parser", "validator", "error_processor", "migrator", "webhook_sender",
                                      "api"])
def test_every_function_has_a_repository_output_the_script_reads(function: str) -> None:
    script = (ROOT / "infra" / "deploy.sh").read_text()
    outputs = load_template()["Outputs"]
    key = script.split(f"    {function}) echo ", 1)[1].split(" ;;", 1)[0]
    assert key in outputs
