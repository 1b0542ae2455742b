"""What a route reads from the request's context: the dependencies and the calling vendor."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from onboarding.api.problems import ApiProblem
from onboarding.domain.api_keys import Caller
from onboarding.pipeline.vendor_api import ApiDependencies

DEPS = "deps"
CALLER = "caller"


def dependencies(router: Any) -> ApiDependencies:
    deps: ApiDependencies = router.context[DEPS]
    return deps


def caller(router: Any) -> Caller:
    found: Caller = router.context[CALLER]
    return found


def vendor_id(router: Any) -> str:
    """The calling vendor; an operator key (no vendor) cannot use the vendor routes."""
    vendor = caller(router).vendor_id
    if vendor is None:
        raise ApiProblem(HTTPStatus.FORBIDDEN, "VENDOR_KEY_REQUIRED",
                         "This route acts for one vendor; call it with that vendor's API key.")
    return vendor
