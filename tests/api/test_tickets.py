"""Tickets: Idempotency-Key semantics, expiry of unused tickets, and listing uploads."""

from __future__ import annotations

import time

import pytest

from onboarding import bootstrap
from tests.api.conftest import CLEAN, Api


def test_the_same_idempotency_key_and_body_get_the_same_ticket(api: Api) -> None:
    key = api.key_for("VEND001")
    body = {"file_name": "VEND001_catalog.csv", "dry_run": False}
    first = api.post("/v1/uploads", key, json=body, headers={"Idempotency-Key": "order-42"})
    again = api.post("/v1/uploads", key, json={"dry_run": False, "file_name": "VEND001_catalog.csv"},
                     headers={"Idempotency-Key": "order-42"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(api.get("/v1/uploads", key).json()["items"]) == 1


def test_the_same_idempotency_key_with_another_body_is_409(api: Api) -> None:
    key = api.key_for("VEND001")
    api.post("/v1/uploads", key, json={"file_name": "VEND001_a.csv"}, headers={"Idempotency-Key": "k1"})
    conflict = api.post("/v1/uploads", key, json={"file_name": "VEND001_b.csv"}, headers={"Idempotency-Key": "k1"})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_idempotency_keys_belong_to_one_vendor(api: Api) -> None:
    one, two = api.key_for("VEND001"), api.key_for("VEND002")
    first = api.post("/v1/uploads", one, json={"file_name": "a.csv"}, headers={"Idempotency-Key": "same"})
    second = api.post("/v1/uploads", two, json={"file_name": "a.csv"}, headers={"Idempotency-Key": "same"})
    assert first.status_code == second.status_code == 201
    assert first.json()["upload_id"] != second.json()["upload_id"]


def test_without_an_idempotency_key_every_request_is_a_new_ticket(api: Api) -> None:
    key = api.key_for("VEND001")
    ids = {api.ticket(key, "VEND001_catalog.csv")["upload_id"] for _ in range(2)}
    assert len(ids) == 2


def test_an_unused_ticket_ends_expired_and_its_post_is_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TICKET_TTL_S", "1")
    bootstrap.reset()
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    time.sleep(1.5)

    assert api.pipeline.worker is not None
    swept = api.pipeline.worker.sweep()  # the scheduled sweep, as EventBridge would run it

    assert ticket["upload_id"] in swept["expired_tickets"]
    upload = api.get(f"/v1/uploads/{ticket['upload_id']}", key).json()
    assert upload["status"] == "expired"
    assert [h["status"] for h in upload["history"]] == ["awaiting_upload", "expired"]
    assert "next_poll_after_s" not in upload
    late = api.send_file(ticket, CLEAN)
    assert late.status_code == 403 and b"Policy expired" in late.content


def test_uploads_are_listed_newest_first_in_pages_and_by_status(api: Api) -> None:
    key = api.key_for("VEND001")
    made = [api.ticket(key, f"VEND001_{n}.csv")["upload_id"] for n in range(5)]

    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/uploads", key, params=params).json()
        seen += [u["upload_id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert len(api.get("/v1/uploads", key, params={"status": "awaiting_upload"}).json()["items"]) == 5
    assert api.get("/v1/uploads", key, params={"status": "completed"}).json()["items"] == []
    assert api.get("/v1/uploads", key, params={"status": "nonsense"}).status_code == 422


def test_products_are_listed_in_pages_and_read_one_by_one(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    assert api.send_file(ticket, CLEAN).status_code == 204
    api.wait_final(key, ticket["upload_id"])

    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/products", key, params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and [p["vendor_product_id"] for p in seen] == sorted(p["vendor_product_id"] for p in seen)
    one = api.get(f"/v1/products/{seen[0]['vendor_product_id']}", key).json()
    assert one == seen[0] and one["upload_id"] == ticket["upload_id"] and "sku" in one and "updated_at" in one
    other = api.key_for("VEND002")
    assert api.get(f"/v1/products/{seen[0]['vendor_product_id']}", other).status_code == 404
    assert api.get("/v1/products", other).json() == {"items": [], "next_cursor": None}
