"""Dockerfiles and docker-compose.yml, checked statically (no Docker engine on these machines)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from onboarding.config import ENV_VARIABLES

ROOT = Path(__file__).parents[2]
FUNCTIONS = ("csv_parser", "validator", "error_processor", "migrator", "webhook_sender", "api")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# Variables that are not settings: the worker's invocation mode, container images' own, credentials for the emulator.
OTHER_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "LAMBDA_INVOKE_MODE", "CSV_PARSER_URL",
                   "VALIDATOR_URL", "ERROR_PROCESSOR_URL", "SECRET_DATABASE_URL", "POSTGRES_USER",
                   "POSTGRES_PASSWORD", "POSTGRES_DB", "SERVICES", "AWS_DEFAULT_REGION"}


def dockerfile(function: str) -> str:
    return (ROOT / "services" / function / "Dockerfile").read_text()


def copy_sources(text: str) -> list[str]:
    sources = []
    for line in text.splitlines():
        if line.startswith("COPY "):
            sources += [s for s in line.split()[1:-1] if not s.startswith("--")]
    return sources


BASE_IMAGE_PIN = re.compile(r"^public\.ecr\.aws/lambda/python:3\.1[23]@sha256:[0-9a-f]{64}$")
FUNCTION_SERVICES = ("csv_parser", "validator", "error_processor")


def test_the_lambda_base_image_is_pinned_once_by_digest_on_python_3_12_or_3_13() -> None:
    # Python 3.12/3.13 images run on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels install on both
    # architectures; the 3.11 image's Amazon Linux 2 (glibc 2.26) has no psycopg2-binary wheel for arm64.
    assert BASE_IMAGE_PIN.match(COMPOSE["x-lambda-base-image"])
    build_files = [*ROOT.glob("services/*/Dockerfile"), *ROOT.glob("infra/**/*"), ROOT / "Makefile"]
    build_files = [path for path in build_files if path.suffix != ".md"]  # documentation may name the image
    assert [path.name for path in build_files if path.is_file() and "lambda/python:" in path.read_text()] == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_image_takes_the_one_pinned_base_and_runs_its_handler(function: str) -> None:
    text = dockerfile(function)
    # No default: a build that is not handed the pin fails instead of drifting to another base.
    assert re.search(r"^ARG BASE_IMAGE$", text, re.MULTILINE)
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.MULTILINE)
    assert 'CMD ["handler.handler"]' in text
    assert (ROOT / "services" / function / "handler.py").is_file()


@pytest.mark.parametrize("function", FUNCTION_SERVICES)
def test_compose_builds_each_function_on_the_pinned_base_for_the_hosts_own_architecture(function: str) -> None:
    service = COMPOSE["services"][function]
    assert service["build"]["args"]["BASE_IMAGE"] == COMPOSE["x-lambda-base-image"]
    # Native builds: the base image and every wheel exist for x86_64 and arm64 (test_image_trees.py checks the
    # wheels); forcing linux/amd64 would run the emulator under QEMU on arm64 laptops.
    assert "platform" not in service and "platforms" not in service["build"]


@pytest.mark.parametrize("service", [*FUNCTION_SERVICES, "worker"])
def test_long_running_services_come_back_after_a_crash(service: str) -> None:
    assert COMPOSE["services"][service]["restart"] in {"unless-stopped", "always", "on-failure"}


def test_the_one_shot_setup_is_not_restarted() -> None:
    assert COMPOSE["services"]["setup"].get("restart", "no") == "no"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_image_installs_pinned_dependencies_without_caches_or_credentials(function: str) -> None:
    text = dockerfile(function)
    assert "requirements/lambda.txt" in text and "--no-cache-dir" in text
    assert '--target "${LAMBDA_TASK_ROOT}"' in text  # the task root, as AWS documents (and the image-tree test builds)
    assert not re.search(r"(?i)(secret|password|aws_access_key)", text.replace("aws_calls", ""))
    for source in copy_sources(text):
        assert (ROOT / source).exists(), source


def test_the_lock_file_pins_every_dependency_exactly() -> None:
    lines = [line for line in (ROOT / "requirements" / "lambda.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines and all("==" in line for line in lines)


def test_the_docker_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", ".onboard", "tests"} <= set(ignored)


def test_compose_runs_postgres_localstack_setup_the_three_functions_and_the_worker() -> None:
    assert set(COMPOSE["services"]) == {"postgres", "localstack", "setup", "csv_parser", "validator",
                                        "error_processor", "worker"}


def test_compose_images_are_pinned_and_builds_exist() -> None:
    for name, service in COMPOSE["services"].items():
        if "image" in service:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), name
        else:
            build = service["build"]
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name


def test_the_data_stores_have_healthchecks_that_gate_the_setup_job() -> None:
    assert COMPOSE["services"]["postgres"]["healthcheck"]["test"]
    assert COMPOSE["services"]["localstack"]["healthcheck"]["test"]
    assert COMPOSE["services"]["setup"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"}, "localstack": {"condition": "service_healthy"}}
    for name in ("csv_parser", "validator", "error_processor", "worker"):
        assert COMPOSE["services"][name]["depends_on"]["setup"] == {"condition": "service_completed_successfully"}


def test_compose_sets_only_variables_the_code_reads() -> None:
    for name, service in COMPOSE["services"].items():
        variables = set(service.get("environment", {}))
        assert variables <= set(ENV_VARIABLES) | OTHER_VARIABLES, (name, variables - set(ENV_VARIABLES))


def test_the_worker_invokes_each_function_image_by_its_compose_name() -> None:
    environment = COMPOSE["services"]["worker"]["environment"]
    assert environment["LAMBDA_INVOKE_MODE"] == "http"
    for function in ("csv_parser", "validator", "error_processor"):
        assert environment[f"{function.upper()}_URL"].startswith(f"http://{function}:8080/")
