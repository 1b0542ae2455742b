"""RFC 9457 problem details: every error the API answers, including the authorizer's and validation's.

`type` is a stable URI per problem, `code` (an extension member) the machine-readable UPPER_SNAKE code,
`detail` one sentence that says what to do.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://product-onboarding.example/problems/"


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


class ApiProblem(Exception):
    """Raised by a route (or the request guard) to answer with a problem."""

    def __init__(
        self, status: HTTPStatus, code: str, detail: str, headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}


def problem_body(status: HTTPStatus, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": status.phrase,
        "status": status.value,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(problem: ApiProblem) -> Response[str]:
    return Response(
        status_code=problem.status.value,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(problem_body(problem.status, problem.code, problem.detail, **problem.extra)),
        headers=problem.headers,
    )


# What the gateway answers before the function runs (the authorizer's refusals); the template's gateway
# responses carry the same bodies, and the local server answers them too.
UNAUTHORIZED = ApiProblem(
    HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED",
    "Send a valid API key as `Authorization: Bearer <key>`; create one with `onboard keys create VENDOR_ID`.",
    headers={"WWW-Authenticate": 'Bearer realm="product-onboarding"'},
)
FORBIDDEN = ApiProblem(
    HTTPStatus.FORBIDDEN, "VENDOR_NOT_ACTIVE",
    "This vendor account is not active; contact the marketplace's vendor support to reactivate it.",
)


def not_found(what: str) -> ApiProblem:
    return ApiProblem(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"No {what} with this id belongs to your account.")
