from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboarding import bootstrap
from onboarding.adapters.aws import AwsClients
from onboarding.adapters.catalog import CatalogDatabase
from onboarding.config import Settings
from onboarding.provision import Resources
from tests.harness import RunningPipeline, start_pipeline


@pytest.fixture
def configured(
    settings: Settings, aws: AwsClients, catalog: CatalogDatabase, resources: Resources, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningPipeline]:
    """A stack with the handlers' environment set, but no worker: tests call the handlers themselves."""
    yield start_pipeline(settings, aws, catalog, resources, tmp_path, monkeypatch)
    bootstrap.engine().dispose()
    bootstrap.reset()
