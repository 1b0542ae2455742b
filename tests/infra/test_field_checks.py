"""The checks the field runs on a SAM template and Dockerfiles: cfn-lint on the template as written and as
CloudFormation receives it (after the SAM transform), and checkov against a short, commented baseline."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.cloudformation import FUNCTION_ROLES, ROOT, TEMPLATE_PATH
from tests.infra.tools import tool_environment

CFN_LINT = Path(sys.executable).with_name("cfn-lint")  # installed with the dev extras
BASELINE: list[dict[str, Any]] = yaml.safe_load((ROOT / "infra" / "checkov-baseline.yaml").read_text())["accepted"]
# Parameter values of a deploy's last pass: every condition that holds in production holds here.
DEPLOYED_PARAMETERS = {"ImageTag": "0123456789ab", "MigratorImageTag": "0123456789ab", "EnvironmentName": "prod",
                       "OperatorEmail": "ops@example.com"}


def transformed_template(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The template after `AWS::Serverless-2016-10-31`, as aws-sam-translator (what CloudFormation runs) makes it."""
    from cfnlint.decode import cfn_yaml
    from samtranslator.translator.transform import transform

    class NoManagedPolicyNames:
        """The template names managed policies by ARN, so SAM never looks one up."""

        def load(self) -> dict[str, str]:
            return {}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # SAM resolves AWS::Region from the session
    template = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))
    result: dict[str, Any] = transform(template, dict(DEPLOYED_PARAMETERS), NoManagedPolicyNames())
    return result


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True, check=False)


def test_cfn_lint_passes_the_sam_template() -> None:
    result = cfn_lint(TEMPLATE_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_passes_the_template_cloudformation_receives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    transformed = transformed_template(monkeypatch)
    assert "Transform" not in transformed
    kinds = {resource["Type"] for resource in transformed["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::Events::Rule"} <= kinds
    assert not any(kind.startswith("AWS::Serverless::") for kind in kinds)
    path = tmp_path / "transformed.json"
    path.write_text(json.dumps(transformed, indent=1))
    result = cfn_lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_transformed_functions_keep_tracing_concurrency_and_log_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    functions = {name: r["Properties"] for name, r in transformed_template(monkeypatch)["Resources"].items()
                 if r["Type"] == "AWS::Lambda::Function"}
    assert len(functions) == len(FUNCTION_ROLES)
    for name, properties in functions.items():
        assert properties["TracingConfig"] == {"Mode": "Active"}, name
        assert "ReservedConcurrentExecutions" in properties, name
        assert properties["Architectures"] == ["x86_64"], name
        assert "LogGroup" in properties["LoggingConfig"], name


def checkov_findings() -> list[tuple[str, str]]:
    checkov = tool_environment("checkov", ROOT / "requirements" / "checks.txt") / "checkov"
    files = [TEMPLATE_PATH, *sorted(ROOT.glob("services/*/Dockerfile")), ROOT / "infra" / "local" / "Dockerfile"]
    arguments = [str(checkov), "--quiet", "--output", "json", "--skip-download"]
    for path in files:
        arguments += ["--file", str(path.relative_to(ROOT))]
    result = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert {report["check_type"] for report in reports} == {"cloudformation", "dockerfile"}, result.stderr[-2000:]
    return sorted((f["check_id"], f["resource"]) for report in reports for f in report["results"]["failed_checks"])


def accepted(check: str, resource: str) -> dict[str, Any] | None:
    for entry in BASELINE:
        if entry["check"] == check and any(fnmatch.fnmatchcase(resource, p) for p in entry["resources"]):
            return entry
    return None


def test_every_baseline_entry_says_why() -> None:
    for entry in BASELINE:
        assert len(entry["reason"].split()) >= 5, entry


@pytest.mark.slow(7)
def test_checkov_finds_nothing_beyond_the_baseline_and_the_baseline_nothing_stale() -> None:
    findings = checkov_findings()
    new = [finding for finding in findings if accepted(*finding) is None]
    assert new == [], "new checkov findings: fix them, or add them to infra/checkov-baseline.yaml with a reason"
    used = {accepted(*finding)["check"] for finding in findings}  # type: ignore[index]
    assert [entry["check"] for entry in BASELINE if entry["check"] not in used] == []
