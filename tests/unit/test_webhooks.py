"""Webhooks: signatures an independent implementation accepts, which URLs may receive them, the retry schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from onboarding.domain.uploads import UploadStatus
from onboarding.domain.webhooks import (
    EventType,
    WebhookRefused,
    after_failed_attempt,
    check_addresses,
    check_events,
    check_url,
    encode_body,
    event_for_status,
    new_secret,
    parse_schedule,
    signed_headers,
)


def now() -> int:
    # Read at signing time: verifiers refuse timestamps more than five minutes old, and a module-level
    # value is read at collection, which can be minutes before the test runs.
    return int(datetime.now(UTC).timestamp())


def test_a_signed_delivery_verifies_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    body = encode_body({"type": "upload.completed", "data": {"upload_id": "U1", "note": "é"}})

    headers = signed_headers(secret, "msg_1", now(), body)

    assert StandardWebhook(secret).verify(body, headers)["data"]["upload_id"] == "U1"
    assert headers["webhook-id"] == "msg_1" and headers["webhook-signature"].startswith("v1,")


def test_a_tampered_body_or_another_secret_does_not_verify() -> None:
    secret = new_secret()
    body = encode_body({"type": "upload.completed"})
    headers = signed_headers(secret, "msg_1", now(), body)

    with pytest.raises(WebhookVerificationError):
        StandardWebhook(secret).verify(body.replace(b"completed", b"failed"), headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(new_secret()).verify(body, headers)


def test_secrets_follow_the_scheme_and_differ() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second


@pytest.mark.parametrize(("status", "event"), [
    (UploadStatus.COMPLETED, EventType.UPLOAD_COMPLETED), (UploadStatus.PARTIAL, EventType.UPLOAD_COMPLETED),
    (UploadStatus.FAILED, EventType.UPLOAD_FAILED), (UploadStatus.VALIDATED, EventType.UPLOAD_VALIDATED),
    (UploadStatus.VALIDATING, None),
])
def test_each_final_status_raises_its_event(status: UploadStatus, event: EventType | None) -> None:
    assert event_for_status(status) is event


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://hooks.example.com", "https://user:pw@h.example/",
                                 "https:///nohost", "http://127.0.0.1:8080/x", "not a url", "https://h.example/#f"])
def test_in_aws_only_plain_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(WebhookRefused):
        check_url(url, allow_localhost=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks", "http://localhost:9000", "https://localhost:9443/x"])
def test_the_local_stack_also_accepts_its_own_machine_with_a_port(url: str) -> None:
    assert check_url(url, allow_localhost=True).is_local


@pytest.mark.parametrize("url", ["http://127.0.0.1/hooks", "http://10.0.0.5:80/", "http://example.com:80/"])
def test_the_local_exception_is_only_loopback_with_a_port(url: str) -> None:
    with pytest.raises(WebhookRefused):
        check_url(url, allow_localhost=True)


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254",
                                     "::1", "fe80::1", "fd00::1", "0.0.0.0", "::ffff:10.0.0.1",  # noqa: S104 (refused, not bound)
                                     "100.64.0.1"])
def test_hosts_resolving_to_private_loopback_or_link_local_addresses_are_refused(address: str) -> None:
    target = check_url("https://hooks.example.com/x", allow_localhost=False)
    with pytest.raises(WebhookRefused):
        check_addresses(target, ["93.184.216.34", address])


def test_hosts_resolving_only_to_public_addresses_are_accepted() -> None:
    check_addresses(check_url("https://hooks.example.com/x", allow_localhost=False), ["93.184.216.34", "2606:4700::1"])


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(WebhookRefused):
        check_addresses(check_url("https://nowhere.invalid/x", allow_localhost=False), [])


def test_events_must_be_known_and_at_least_one() -> None:
    assert check_events(["upload.failed", "upload.completed", "upload.failed"]) == (EventType.UPLOAD_FAILED,
                                                                                    EventType.UPLOAD_COMPLETED)
    for events in ([], ["upload.started"]):
        with pytest.raises(WebhookRefused):
            check_events(events)


def test_retries_follow_the_schedule_then_give_up() -> None:
    schedule = parse_schedule("5,300,1800")
    assert [after_failed_attempt(n, schedule).wait_s for n in (1, 2, 3)] == [5, 300, 1800]
    assert after_failed_attempt(4, schedule).give_up


def test_the_default_schedule_retries_for_more_than_a_day() -> None:
    from onboarding.config import Settings

    assert sum(parse_schedule(Settings().webhook_retry_schedule_s)) > 24 * 3600


def test_the_body_is_compact_json() -> None:
    assert json.loads(encode_body({"a": 1})) == {"a": 1} and b" " not in encode_body({"a": [1, 2]})
