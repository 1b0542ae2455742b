"""The portal's packaged files."""

from __future__ import annotations

from pathlib import Path

from onboarding.api import portal

ROOT = Path(__file__).parents[2]


def test_the_portals_error_codes_page_is_docs_errors_md() -> None:
    # A copy (the API image holds only the package): it must not drift from the documentation.
    assert (ROOT / "onboarding/api/portal_static/errors.md").read_text() == (ROOT / "docs/errors.md").read_text()


def test_every_portal_path_is_public_and_gets_the_page_or_a_file() -> None:
    assert portal.serves("GET", "/portal") and portal.serves("GET", "/portal/uploads/U1")
    assert not portal.serves("GET", "/portals") and not portal.serves("POST", "/portal/")
