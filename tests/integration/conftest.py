from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboarding import bootstrap
from onboarding.provision import Resources
from tests.harness import RunningPipeline, start_pipeline


@pytest.fixture
def configured(
    container: bootstrap.Container, resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningPipeline]:
    """A stack with the handlers' environment set, but no worker: tests call the handlers themselves."""
    yield start_pipeline(container, resources, tmp_path, monkeypatch)
    bootstrap.reset()
