"""The portal in Debian's Chromium (Playwright for Python), against the whole local stack behind the local
API server: the same fixtures as tests/api."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.api.conftest import api, settings  # noqa: F401 (the running stack and API, as tests/api has them)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "artifacts" / "browser"  # gitignored; CI keeps it

NO_CHROMIUM = ("tests/browser skipped: no /usr/bin/chromium (apt-get install -y chromium, as .ci/run does, "
               "then pytest tests/browser)")

if not CHROMIUM.exists():
    collect_ignore_glob = ["test_*.py"]  # not collected at all; one line in the summary says why


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_line(NO_CHROMIUM, yellow=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_origins(page: Page) -> set[str]:
    """Every origin the page sends a request to, from now on."""
    origins: set[str] = set()
    page.on("request", lambda request: origins.add("/".join(request.url.split("/")[:3])))
    return origins
