"""Reading the SAM template with its CloudFormation tags (!Ref, !Sub, !GetAtt, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
TEMPLATE_PATH = ROOT / "infra" / "template.yaml"
FUNCTION_ROLES = {
    "csv_parser": ("CsvParserFunction", "CsvParserRole"),
    "validator": ("ValidatorFunction", "ValidatorRole"),
    "error_processor": ("ErrorProcessorFunction", "ErrorProcessorRole"),
    "migrator": ("MigratorFunction", "MigratorRole"),
    "webhook_sender": ("WebhookSenderFunction", "WebhookSenderRole"),
    "api": ("ApiFunction", "ApiRole"),
    "api_authorizer": ("ApiAuthorizerFunction", "ApiAuthorizerRole"),
}
# The service directory of each function's code (the API's two functions share one image).
SERVICE_OF = {**{name: name for name in FUNCTION_ROLES}, "api_authorizer": "api"}


class CloudFormationLoader(yaml.SafeLoader):
    """Keeps each tag as {"!Tag": value}."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"!{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _tagged)


def load_template() -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(TEMPLATE_PATH.read_text(), Loader=CloudFormationLoader)  # noqa: S506
    return template


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = template["Resources"][role]["Properties"].get("Policies", [])
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def declared_actions(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}
