"""Dry runs, commits and webhooks over real HTTP: the local API server in front of the real handlers, the whole
pipeline behind it, and a local receiver whose deliveries are verified with the `standardwebhooks` package."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from onboarding import bootstrap
from onboarding.config import Settings
from onboarding.local.webhook_receiver import Received, WebhookReceiver
from onboarding.waiting import wait_for
from tests.api.conftest import CLEAN, WITH_ERRORS, Api

PROBLEM = "application/problem+json"
ALL_EVENTS = ["upload.completed", "upload.failed", "upload.validated"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As `onboard up` runs it: its own machine may receive webhooks, retries a second apart."""
    return replace(settings, webhook_allow_localhost=1, webhook_retry_schedule_s="1,1,1", webhook_timeout_s=5)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def verified(secret: str, deliveries: list[Received]) -> list[dict[str, Any]]:
    checker = StandardWebhook(secret)
    return [{**checker.verify(d.body, d.headers), "webhook_id": d.headers["webhook-id"]} for d in deliveries]


def upload(api: Api, key: str, content: bytes, dry_run: bool = False) -> str:
    ticket = api.ticket(key, "catalog.csv", dry_run=dry_run)
    assert api.send_file(ticket, content).status_code == 204
    upload_id: str = ticket["upload_id"]
    return upload_id


def products(api: Api, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/v1/products", key, params={"limit": 200}).json()["items"]
    return items


def test_a_dry_run_changes_nothing_and_its_commit_imports_the_same_file(api: Api) -> None:
    key = api.key_for("VEND002")
    upload_id = upload(api, key, WITH_ERRORS, dry_run=True)

    dry = api.wait_final(key, upload_id)
    assert (dry["status"], dry["dry_run"]) == ("validated", True)
    assert dry["summary"] == {"would_create": dry["valid_records"], "would_update": 0,
                              "invalid": dry["error_records"]}
    assert products(api, key) == []

    committed = api.post(f"/v1/uploads/{upload_id}/commit", key)
    assert committed.status_code == 202, committed.text
    final = api.wait_final(key, upload_id)

    assert final["status"] == "partial" and final["dry_run"] is False
    assert len(products(api, key)) == dry["valid_records"] > 0
    history = [entry["status"] for entry in final["history"]]
    assert history.index("validated") < history.index("received", history.index("validated"))
    assert history[-1] == "partial"


def test_committing_twice_is_harmless(api: Api) -> None:
    key = api.key_for("VEND001")
    upload_id = upload(api, key, CLEAN, dry_run=True)
    api.wait_final(key, upload_id)

    first = api.post(f"/v1/uploads/{upload_id}/commit", key)
    second = api.post(f"/v1/uploads/{upload_id}/commit", key)
    final = api.wait_final(key, upload_id)
    third = api.post(f"/v1/uploads/{upload_id}/commit", key)

    assert [r.status_code for r in (first, second, third)] == [202, 202, 202]
    assert (final["status"], final["valid_records"]) == ("completed", 5)
    assert len(products(api, key)) == 5


def test_committing_a_real_upload_an_expired_dry_run_or_anothers_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, other = api.key_for("VEND001"), api.key_for("VEND002")
    real = upload(api, key, CLEAN)
    dry = upload(api, key, CLEAN, dry_run=True)
    api.wait_final(key, real)
    api.wait_final(key, dry)

    not_dry = api.post(f"/v1/uploads/{real}/commit", key)
    foreign = api.post(f"/v1/uploads/{dry}/commit", other)
    monkeypatch.setenv("DRY_RUN_COMMIT_WINDOW_S", "1")  # the API's functions read it again from the environment
    bootstrap.reset()
    time.sleep(1.5)
    expired = api.post(f"/v1/uploads/{dry}/commit", key)

    assert (not_dry.status_code, not_dry.headers["content-type"]) == (409, PROBLEM)
    assert not_dry.json()["code"] == "NOT_A_DRY_RUN" and not_dry.json()["detail"]
    assert foreign.status_code == 404
    assert (expired.status_code, expired.json()["code"]) == (409, "COMMIT_WINDOW_EXPIRED")
    assert api.get(f"/v1/uploads/{dry}", key).json()["status"] == "validated"


def test_a_webhook_gets_exactly_one_verified_event_per_upload_even_after_two_failures(
    api: Api, receiver: WebhookReceiver
) -> None:
    key = api.key_for("VEND001")
    receiver.fail_first = 2
    created = api.post("/v1/webhooks", key, json={"url": receiver.url, "events": ALL_EVENTS})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert set(hook) >= {"id", "url", "events", "secret"} and hook["secret"].startswith("whsec_")

    upload_id = upload(api, key, CLEAN)
    api.wait_final(key, upload_id)
    assert wait_for(lambda: any(d.answered == 204 for d in receiver.deliveries()), 30)

    bodies = verified(hook["secret"], receiver.deliveries())
    assert [d.answered for d in receiver.deliveries()] == [500, 500, 204]
    assert {(b["type"], b["data"]["upload_id"], b["webhook_id"]) for b in bodies} == {
        ("upload.completed", upload_id, bodies[0]["webhook_id"])}
    assert bodies[0]["data"]["links"]["upload"].endswith(f"/v1/uploads/{upload_id}")
    deliveries = api.get(f"/v1/webhooks/{hook['id']}/deliveries", key).json()["items"]
    assert [(d["event_id"], d["status_code"], d["attempt"]) for d in deliveries] == [
        (bodies[0]["webhook_id"], 500, 1), (bodies[0]["webhook_id"], 500, 2), (bodies[0]["webhook_id"], 204, 3)]
    assert all(d["at"] for d in deliveries)


def test_webhooks_are_listed_without_secrets_deleted_and_private_to_their_vendor(
    api: Api, receiver: WebhookReceiver
) -> None:
    key, other = api.key_for("VEND001"), api.key_for("VEND002")
    hook = api.post("/v1/webhooks", key, json={"url": receiver.url, "events": ["upload.failed"]}).json()

    listed = api.get("/v1/webhooks", key).json()["items"]
    assert [(h["id"], h["events"]) for h in listed] == [(hook["id"], ["upload.failed"])]
    assert "secret" not in listed[0]
    assert api.get("/v1/webhooks", other).json()["items"] == []
    assert api.get(f"/v1/webhooks/{hook['id']}/deliveries", other).status_code == 404
    assert api.call("DELETE", f"/v1/webhooks/{hook['id']}", other).status_code == 404
    assert api.call("DELETE", f"/v1/webhooks/{hook['id']}", key).status_code == 204
    assert api.get("/v1/webhooks", key).json()["items"] == []


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://10.0.0.8/x", "https://169.254.169.254/",
                                 "http://127.0.0.1/no-port", "ftp://example.com/"])
def test_webhook_urls_that_could_reach_inside_are_refused(api: Api, url: str) -> None:
    key = api.key_for("VEND001")
    refused = api.post("/v1/webhooks", key, json={"url": url, "events": ["upload.completed"]})
    assert (refused.status_code, refused.headers["content-type"]) == (422, PROBLEM)
    assert refused.json()["code"] == "INVALID_WEBHOOK_URL"
