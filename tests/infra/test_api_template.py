"""The vendor API in the template: the same routes as the code, the key authorizer, the gateway's own answers."""

from __future__ import annotations

import json
from typing import Any

from onboarding.api.app import OPENAPI_PATH, PUBLIC_ROUTES, openapi_document
from onboarding.api.portal import PORTAL_ROUTES
from onboarding.api.problems import FORBIDDEN, UNAUTHORIZED, problem_body
from tests.infra.cloudformation import load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]


def template_routes() -> dict[tuple[str, str], dict[str, Any]]:
    events = RESOURCES["ApiFunction"]["Properties"]["Events"].values()
    return {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]): e["Properties"]
            for e in events if e["Type"] == "Api"}


def test_api_gateway_routes_are_exactly_the_routes_the_function_serves() -> None:
    served = {(method.upper(), path) for path, operations in openapi_document()["paths"].items()
              for method in operations}
    assert set(template_routes()) == served | {("GET", OPENAPI_PATH)} | PORTAL_ROUTES


def test_only_the_public_routes_skip_the_key_authorizer_whose_decisions_are_never_cached() -> None:
    public = {route for route, properties in template_routes().items()
              if properties.get("Auth", {}).get("Authorizer") == "NONE"}
    assert public == set(PUBLIC_ROUTES)
    auth = RESOURCES["VendorApi"]["Properties"]["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["FunctionPayloadType"] == "TOKEN"
    assert authorizer["Identity"] == {"Header": "Authorization", "ReauthorizeEvery": 0}  # revocation is immediate


def test_the_gateways_own_401_and_403_are_the_same_problems_the_local_server_answers() -> None:
    responses = RESOURCES["VendorApi"]["Properties"]["GatewayResponses"]
    for kind, problem in (("UNAUTHORIZED", UNAUTHORIZED), ("ACCESS_DENIED", FORBIDDEN)):
        response = responses[kind]
        assert response["StatusCode"] == problem.status.value
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/problem+json'"
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body == problem_body(problem.status, problem.code, problem.detail)


def test_the_api_is_throttled_and_access_logged() -> None:
    properties = RESOURCES["VendorApi"]["Properties"]
    [settings] = properties["MethodSettings"]
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(settings)
    assert properties["AccessLogSetting"]["DestinationArn"] == {"!GetAtt": "ApiAccessLogGroup.Arn"}
    assert "$context.authorizer.key_id" in properties["AccessLogSetting"]["Format"]
