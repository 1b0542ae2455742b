"""Property-based: schemathesis generates requests from `/v1/openapi.json` and checks every answer: no 5xx,
and each response conforms to the documented schema (status code, content type, body)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Err, Ok
from schemathesis.generation.case import Case

from onboarding import bootstrap
from tests.api.conftest import Api

EXAMPLES_PER_OPERATION = 15  # modest: CI time; raise it locally to search harder
# Left out: "schema-valid data is accepted". A schema cannot say which strings are cursors this API gave out,
# or which file names are another registered vendor's; those are well-formed requests rightly refused (400, 422).


def test_generated_requests_get_no_5xx_and_answers_that_conform_to_the_schema(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_CREATE_PER_MINUTE", "100000")  # the rate limits are tested on their own
    monkeypatch.setenv("API_READ_PER_MINUTE", "100000")
    bootstrap.reset()
    key = api.key_for("VEND001")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_url(f"{api.url}/v1/openapi.json")
    results = list(schema.get_all_operations())
    assert not [r.err() for r in results if isinstance(r, Err)], "the generated OpenAPI document is invalid"
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) >= 7

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_conform(case: Case[Any]) -> None:
            case.call_and_validate(base_url=api.url, headers=headers, excluded_checks=[positive_data_acceptance])

        answers_conform()
