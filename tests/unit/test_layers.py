"""The layers keep to their direction: use cases depend on ports, the domain on nothing outside itself.

Read from the source (every import statement, at any depth), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "onboarding"
# Modules whose use means file, process or network I/O; the domain imports none of them.
IO_MODULES = ("boto3", "botocore", "sqlalchemy", "psycopg2", "socket", "urllib", "http", "requests", "tempfile",
              "shutil", "gzip", "zipfile", "zlib", "subprocess", "pathlib", "os", "openpyxl", "aws_lambda_powertools")
IO_BUILTINS = ("open",)


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def imported(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _named(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


@pytest.mark.parametrize("path", modules_under("pipeline"), ids=_named)
def test_a_use_case_never_imports_an_adapter_or_the_local_runtime(path: Path) -> None:
    outer = ("onboarding.adapters", "onboarding.local", "onboarding.bootstrap")
    wrong = [m for m in imported(path) if m.startswith(outer)]
    assert wrong == []


@pytest.mark.parametrize("path", modules_under("domain"), ids=_named)
def test_the_domain_imports_no_other_layer(path: Path) -> None:
    wrong = [m for m in imported(path) if m.startswith("onboarding.") and not m.startswith("onboarding.domain")]
    assert wrong == []


@pytest.mark.parametrize("path", modules_under("domain"), ids=_named)
def test_the_domain_does_no_file_or_network_io(path: Path) -> None:
    io_imports = [m for m in imported(path) if m.split(".")[0] in IO_MODULES]
    io_calls = [
        node.func.id for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IO_BUILTINS
    ]
    assert (io_imports, io_calls) == ([], [])


def test_the_checks_see_the_imports_they_forbid() -> None:
    """Guards the guard: the adapters do import what the domain may not."""
    seen = {m for path in modules_under("adapters") for m in imported(path)}
    assert {"sqlalchemy", "boto3"} <= {m.split(".")[0] for m in seen}
    assert any(m.startswith("onboarding.domain") for m in seen)


def test_importing_the_use_cases_loads_no_adapter_and_no_database_or_aws_library() -> None:
    """Transitively too: a use case that reached an adapter through a helper module would load it here."""
    use_cases = sorted(f"onboarding.pipeline.{p.stem}" for p in modules_under("pipeline") if p.stem != "__init__")
    probe = (
        "import importlib, sys\n"
        f"for name in {use_cases!r}: importlib.import_module(name)\n"
        "print(sorted({n.split('.')[0] if not n.startswith('onboarding') else '.'.join(n.split('.')[:2])"
        " for n in sys.modules}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    for outside in ("onboarding.adapters", "onboarding.local", "'sqlalchemy'", "'boto3'", "'psycopg2'"):
        assert outside not in loaded
