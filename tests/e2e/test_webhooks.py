"""Webhooks through the whole pipeline: raised once when an upload becomes final, signed, retried, listed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from onboarding import bootstrap
from onboarding.config import Settings
from onboarding.local.webhook_receiver import Received, WebhookReceiver
from onboarding.pipeline.commit_upload import commit_upload
from onboarding.pipeline.webhooks import register_webhook, webhook_attempts
from onboarding.waiting import wait_for
from tests.e2e.test_pipeline import catalog_file
from tests.harness import RunningPipeline

ROW = "A-1,Mouse,Electronics,,,SKU-A-1,B,9.99,,3,piece,,,"
ALL_EVENTS = ["upload.completed", "upload.failed", "upload.validated"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The local stack's webhook settings: its own machine may receive, retries a second apart."""
    return replace(settings, webhook_allow_localhost=1, webhook_retry_schedule_s="1,1,1", webhook_timeout_s=5)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def verified(secret: str, deliveries: list[Received]) -> list[dict[str, object]]:
    """Every delivery's body, each checked with the independent Standard Webhooks implementation."""
    checker = StandardWebhook(secret)
    return [{**checker.verify(d.body, d.headers), "webhook_id": d.headers["webhook-id"]} for d in deliveries]


def test_a_completed_upload_is_announced_once_signed_after_two_failed_attempts(
    pipeline: RunningPipeline, receiver: WebhookReceiver
) -> None:
    pipeline.add_vendor("VEND001")
    receiver.fail_first = 2
    hook = register_webhook(bootstrap.webhook_dependencies(), "VEND001", receiver.url, ALL_EVENTS)

    upload_id = pipeline.wait(pipeline.put("VEND001", "a.csv", catalog_file(ROW)))["upload_id"]
    assert wait_for(lambda: any(d.answered == 204 for d in receiver.deliveries()), 30)

    deliveries = receiver.deliveries()
    bodies = verified(hook.secret, deliveries)
    assert [d.answered for d in deliveries] == [500, 500, 204]
    assert len({b["webhook_id"] for b in bodies}) == 1  # one event, retried under one id
    assert [(b["type"], b["data"]["upload_id"], b["data"]["status"]) for b in bodies[-1:]] == [  # type: ignore[index]
        ("upload.completed", upload_id, "completed")]
    assert bodies[-1]["data"]["valid_records"] == 1  # type: ignore[index]
    attempts = webhook_attempts(bootstrap.webhook_dependencies(), "VEND001", hook.webhook.webhook_id, 50, None)
    assert attempts is not None
    assert [(a.event_id, a.status_code, a.attempt) for a in attempts] == [
        (bodies[0]["webhook_id"], 500, 1), (bodies[0]["webhook_id"], 500, 2), (bodies[0]["webhook_id"], 204, 3)]


def test_each_upload_raises_exactly_one_event_and_only_to_subscribers(
    pipeline: RunningPipeline, receiver: WebhookReceiver
) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    hook = register_webhook(bootstrap.webhook_dependencies(), "VEND001", receiver.url, ["upload.completed"])
    with WebhookReceiver() as failures_only:
        failures_hook = register_webhook(bootstrap.webhook_dependencies(), "VEND001", failures_only.url,
                                         ["upload.failed"])
        first = pipeline.wait(pipeline.put("VEND001", "a.csv", catalog_file(ROW)))["upload_id"]
        second = pipeline.wait(pipeline.put("VEND001", "b.csv", catalog_file(
            "A-2,Keyboard,Electronics,,,SKU-A-2,B,19.99,,7,piece,,,", "A-3,Bad,Electronics,,,SKU-A-3,B,free,,1,,,,"
        )))["upload_id"]
        pipeline.wait(pipeline.put("VEND002", "c.csv", catalog_file("B-1,Lamp,Electronics,,,SKU-B-1,B,5,,1,,,,")))
        assert wait_for(lambda: len(receiver.deliveries()) >= 2, 30)
        pipeline.wait(pipeline.put("VEND001", "d.csv", catalog_file("A-9,X,Nowhere,,,SKU-A-9,B,1,,1,,,,")))
        assert wait_for(lambda: len(failures_only.deliveries()) >= 1, 30)
        failed = verified(failures_hook.secret, failures_only.deliveries())

    bodies = verified(hook.secret, receiver.deliveries())
    assert sorted((b["data"]["upload_id"], b["data"]["status"]) for b in bodies) == sorted(  # type: ignore[index]
        [(first, "completed"), (second, "partial")])
    assert len({b["webhook_id"] for b in bodies}) == 2
    assert [(b["type"], b["data"]["status"]) for b in failed] == [("upload.failed", "failed")]  # type: ignore[index]


def test_a_dry_run_announces_validated_then_its_commit_completed(
    pipeline: RunningPipeline, receiver: WebhookReceiver
) -> None:
    pipeline.add_vendor("VEND001")
    hook = register_webhook(bootstrap.webhook_dependencies(), "VEND001", receiver.url, ALL_EVENTS)
    upload_id = pipeline.wait(pipeline.put("VEND001", "a.csv", catalog_file(ROW), dry_run=True))["upload_id"]
    assert wait_for(lambda: len(receiver.deliveries()) == 1, 30)

    commit_upload(bootstrap.commit_dependencies(), "VEND001", upload_id)
    assert wait_for(lambda: len(receiver.deliveries()) == 2, 60)

    bodies = verified(hook.secret, receiver.deliveries())
    assert [(b["type"], b["data"]["upload_id"]) for b in bodies] == [  # type: ignore[index]
        ("upload.validated", upload_id), ("upload.completed", upload_id)]
    assert bodies[0]["data"]["summary"] == {"would_create": 1, "would_update": 0, "invalid": 0}  # type: ignore[index]
