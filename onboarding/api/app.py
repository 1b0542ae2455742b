"""The API function: Powertools' REST resolver with request and response validation, the routers, problem
details for every error, and the OpenAPI document generated from the code.

To add a resource: write a module with a Powertools `Router` (see `uploads.py`) and add it to `ROUTERS`.
"""

from __future__ import annotations

import json
from functools import cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ResponseValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from onboarding.api import commits, operator, portal, products, uploads, webhooks
from onboarding.api.auth import caller_from_event
from onboarding.api.context import CALLER, DEPS
from onboarding.api.problems import (
    FORBIDDEN,
    PROBLEM_CONTENT_TYPE,
    UNAUTHORIZED,
    ApiProblem,
    Problem,
    problem_body,
    problem_response,
)
from onboarding.domain.errors import FileRejected
from onboarding.domain.tickets import IdempotencyConflict
from onboarding.domain.vendors import VendorStatus
from onboarding.pipeline.logs import SERVICE_NAME
from onboarding.pipeline.vendor_api import ApiDependencies, check_rate, request_kind

logger = Logger(service=SERVICE_NAME, child=True)

API_TITLE = "Product onboarding: vendor API"
API_VERSION = "1.0.0"
OPENAPI_PATH = "/v1/openapi.json"
# No API key needed: the OpenAPI document and the portal's page and files (the page asks for the key).
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", OPENAPI_PATH), *portal.PORTAL_ROUTES})

ROUTERS: tuple[Router, ...] = (uploads.router, commits.router, products.router, webhooks.router, portal.router,
                                 operator.router)

# A response that breaks its own schema is our bug: 500, not the 422 Powertools would answer by default.
app = APIGatewayRestResolver(
    enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
)
for _router in ROUTERS:
    app.include_router(_router)


# -- errors: all of them problem details ---------------------------------------------------------


@app.exception_handler(ApiProblem)
def _problem(problem: ApiProblem) -> Response[str]:
    return problem_response(problem)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[str]:
    # Where and what, without echoing Python or Pydantic internals.
    errors = [{"loc": list(e.get("loc", ())), "type": e.get("type"), "message": e.get("msg")} for e in error.errors()]
    where = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:3])
    return problem_response(ApiProblem(
        HTTPStatus.UNPROCESSABLE_ENTITY, "INVALID_REQUEST",
        f"The request does not match the API's schema ({where}); see /v1/openapi.json.",
        extra={"errors": errors},
    ))


@app.exception_handler(ResponseValidationError)
def _invalid_response(error: ResponseValidationError) -> Response[str]:
    logger.error("response broke its schema", extra={"errors": error.errors()})
    return problem_response(ApiProblem(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                                       "Something went wrong on our side; retry in a minute."))


@app.exception_handler(FileRejected)
def _file_rejected(rejection: FileRejected) -> Response[str]:
    return problem_response(ApiProblem(HTTPStatus.UNPROCESSABLE_ENTITY, str(rejection.code), rejection.message))


@app.exception_handler(IdempotencyConflict)
def _idempotency_conflict(_: IdempotencyConflict) -> Response[str]:
    return problem_response(ApiProblem(
        HTTPStatus.CONFLICT, "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key was used in the last 24 hours for a different request; use a new key.",
    ))


@app.not_found
def _not_found(_: NotFoundError) -> Response[str]:
    return problem_response(ApiProblem(HTTPStatus.NOT_FOUND, "NOT_FOUND",
                                       "There is no such route; see /v1/openapi.json for the API."))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("request failed")
    return problem_response(ApiProblem(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                                       "Something went wrong on our side; retry in a minute."))


# -- the OpenAPI document ------------------------------------------------------------------------

_ERROR_STATUSES = (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN,
                   HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.TOO_MANY_REQUESTS)


@cache
def openapi_document() -> dict[str, Any]:
    """Generated from the routes and models, then every operation's errors declared as problem details
    (Powertools declares its own 422 shape; ours replaces it)."""
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(
        title=API_TITLE, version=API_VERSION,
        description="Upload catalog files, follow them, read their errors and your catalog. "
                    "Errors are RFC 9457 problem details.",
        security_schemes={"apiKey": HTTPBearer(description="An API key from `onboard keys create VENDOR_ID`.")},
        security=[{"apiKey": []}],
    ))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema()
    for schema in ("HTTPValidationError", "ValidationError"):
        schemas.pop(schema, None)
    problem = {"content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses = [*_ERROR_STATUSES, *((HTTPStatus.NOT_FOUND,) if "{" in path else ())]
            if operation.get("requestBody"):
                statuses.append(HTTPStatus.CONFLICT)
            for status in statuses:
                responses[str(status.value)] = {"description": status.phrase, **problem}
    return document


@app.get(OPENAPI_PATH, include_in_schema=False)
def _openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=json.dumps(openapi_document()))


# -- one request ---------------------------------------------------------------------------------


def handle(event: dict[str, Any], context: Any, deps: ApiDependencies) -> dict[str, Any]:
    """Check the caller (the authorizer's verdict, again) and its rate limit, then route."""
    route = (str(event.get("httpMethod", "")).upper(), str(event.get("path", "")))
    if portal.serves(*route):
        return portal.response(route[1], deps.settings)
    if not is_public(*route):
        caller = caller_from_event(event)
        if caller is None:
            return proxy_response(UNAUTHORIZED)
        if caller.vendor_id is not None and caller.vendor_status != VendorStatus.ACTIVE:
            return proxy_response(FORBIDDEN)
        decision = check_rate(deps, caller, request_kind(route[0]))
        if not decision.allowed:
            return proxy_response(ApiProblem(
                HTTPStatus.TOO_MANY_REQUESTS, "RATE_LIMITED",
                f"Too many requests with this key ({decision.limit} a minute for this kind); "
                f"retry after {decision.retry_after_s} s.",
                headers={"Retry-After": str(decision.retry_after_s), "RateLimit-Limit": str(decision.limit),
                         "RateLimit-Remaining": "0"},
            ))
        app.append_context(**{CALLER: caller})
    if carries_nul(event):
        return proxy_response(NUL_IN_REQUEST)
    app.append_context(**{DEPS: deps})
    return app.resolve(event, context)


# PostgreSQL's text cannot hold a NUL, and no field of this API means one: refused before any route sees it.
NUL_IN_REQUEST = ApiProblem(
    HTTPStatus.UNPROCESSABLE_ENTITY, "INVALID_REQUEST",
    "The request contains a NUL character (0x00), which no field accepts: remove it and send the request again.",
)


def carries_nul(event: dict[str, Any]) -> bool:
    """A NUL in the path, a path or query parameter, or the body (raw, or escaped as JSON writes it)."""
    texts = [str(event.get("path") or ""), str(event.get("body") or "")]
    for name in ("pathParameters", "queryStringParameters"):
        texts += [str(value) for value in (event.get(name) or {}).values()]
    for values in (event.get("multiValueQueryStringParameters") or {}).values():
        texts += [str(value) for value in values or ()]
    return any("\x00" in text or "\\u0000" in text for text in texts)


def is_public(method: str, path: str) -> bool:
    """Whether a request skips the key authorizer (API Gateway's `Auth: NONE` routes)."""
    return (method, path) in PUBLIC_ROUTES or portal.serves(method, path)


def proxy_response(problem: ApiProblem) -> dict[str, Any]:
    """A problem as a Lambda proxy response (answered before routing)."""
    return {
        "statusCode": problem.status.value,
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE, **problem.headers},
        "body": json.dumps(problem_body(problem.status, problem.code, problem.detail, **problem.extra)),
        "isBase64Encoded": False,
    }
