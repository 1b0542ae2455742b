"""Dockerfiles and docker-compose.yml, checked statically (no Docker engine on these machines)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from onboarding.config import ENV_VARIABLES

ROOT = Path(__file__).parents[2]
FUNCTIONS = ("csv_parser", "validator", "error_processor", "migrator")
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


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_image_starts_from_a_pinned_lambda_base_and_runs_its_handler(function: str) -> None:
    text = dockerfile(function)
    base = re.search(r"ARG BASE_IMAGE=(\S+)", text)
    assert base is not None and base.group(1).startswith("public.ecr.aws/lambda/python:3.1")
    assert not base.group(1).endswith(":latest")
    assert 'CMD ["handler.handler"]' in text
    assert (ROOT / "services" / function / "handler.py").is_file()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_image_installs_pinned_dependencies_without_caches_or_credentials(function: str) -> None:
    text = dockerfile(function)
    assert "requirements/lambda.txt" in text and "--no-cache-dir" in text
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
