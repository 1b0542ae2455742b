"""Who may call: missing, unknown and revoked keys, suspended vendors, other vendors' ids, rate limits."""

from __future__ import annotations

import time

import pytest

from onboarding import bootstrap
from onboarding.adapters.api_keys import ApiKeyStore
from onboarding.domain.vendors import VendorStatus
from tests.api.conftest import Api

PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


@pytest.mark.parametrize("authorization", [None, "Bearer onb_not-a-key", "Basic dXNlcjpwYXNz", "Bearer "])
def test_a_request_without_a_valid_key_is_401(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = api.get("/v1/uploads", headers=headers)
    assert_problem(response, 401)
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_revoked_key_fails_at_once(api: Api) -> None:
    key = api.key_for("VEND001")
    assert api.get("/v1/uploads", key).status_code == 200
    store = ApiKeyStore(api.pipeline.engine)
    [listed] = store.list("VEND001")
    store.revoke(listed.key_id)
    assert_problem(api.get("/v1/uploads", key), 401)


def test_a_suspended_vendors_key_is_403(api: Api) -> None:
    key = api.key_for("VEND009", VendorStatus.SUSPENDED)
    assert_problem(api.get("/v1/uploads", key), 403)
    assert_problem(api.post("/v1/uploads", key, json={"file_name": "VEND009_a.csv"}), 403)


def test_another_vendors_upload_is_answered_exactly_like_an_unknown_one(api: Api) -> None:
    owner, other = api.key_for("VEND001"), api.key_for("VEND002")
    upload_id = api.ticket(owner, "VEND001_catalog.csv")["upload_id"]
    unknown_id = upload_id[:-4] + "0000"
    for suffix in ("", "/errors", "/report"):
        theirs = api.get(f"/v1/uploads/{upload_id}{suffix}", other)
        unknown = api.get(f"/v1/uploads/{unknown_id}{suffix}", other)
        assert_problem(theirs, 404)
        assert theirs.json() == unknown.json()
    assert api.get(f"/v1/uploads/{upload_id}", owner).status_code == 200
    assert api.get("/v1/uploads", other).json()["items"] == []


def test_unknown_routes_and_invalid_requests_are_problems_too(api: Api) -> None:
    key = api.key_for("VEND001")
    assert_problem(api.get("/v1/nothing-here", key), 404)
    invalid = assert_problem(api.post("/v1/uploads", key, json={"dry_run": "maybe"}), 422)
    assert invalid["code"] == "INVALID_REQUEST"
    assert_problem(api.post("/v1/uploads", key, json={"file_name": "VEND001_a.pdf"}), 422)
    api.key_for("VEND002")  # a name claims a vendor only when that vendor is registered
    assert_problem(api.post("/v1/uploads", key, json={"file_name": "VEND002_theirs.csv"}), 422)
    assert_problem(api.get("/v1/uploads", key, params={"limit": 0}), 422)
    assert_problem(api.get("/v1/uploads", key, params={"cursor": "not-a-cursor"}), 400)


def test_a_nul_character_anywhere_in_a_request_is_a_problem_not_a_server_error(api: Api) -> None:
    key = api.key_for("VEND001")
    for refused in (api.get("/v1/products", key, params={"q": "a\x00b"}),
                    api.get("/v1/uploads", key, params={"cursor": "\x00"}),
                    api.post("/v1/uploads", key, json={"file_name": "VEND001_a\x00.csv"})):
        body = assert_problem(refused, 422)
        assert body["code"] == "INVALID_REQUEST" and "NUL" in str(body["detail"])
    assert api.get("/v1/products", key, params={"q": "a"}).status_code == 200


def test_creating_and_reading_are_rate_limited_separately_per_key(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_CREATE_PER_MINUTE", "2")
    monkeypatch.setenv("API_READ_PER_MINUTE", "3")
    bootstrap.reset()
    key, other_key = api.key_for("VEND001"), api.key_for("VEND001")
    if time.time() % 60 > 50:  # windows are whole minutes: do not let one end halfway through the test
        time.sleep(61 - time.time() % 60)

    for _ in range(2):
        assert api.post("/v1/uploads", key, json={"file_name": "VEND001_a.csv"}).status_code == 201
    limited = api.post("/v1/uploads", key, json={"file_name": "VEND001_a.csv"})
    body = assert_problem(limited, 429)
    assert body["code"] == "RATE_LIMITED" and 1 <= int(limited.headers["Retry-After"]) <= 60

    for _ in range(3):
        assert api.get("/v1/uploads", key).status_code == 200  # reads have their own budget
    assert_problem(api.get("/v1/uploads", key), 429)
    assert api.get("/v1/uploads", other_key).status_code == 200  # and every key its own
