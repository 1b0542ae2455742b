"""The routes the portal reads besides the vendor API's: who signed in, catalog search and a product's
history, and the operators' views."""

from __future__ import annotations

from pathlib import Path

from onboarding.adapters.api_keys import ApiKeyStore
from onboarding.config import Settings
from onboarding.local.api_server import serve_api
from tests.api.conftest import CLEAN, MAX_FILE_BYTES, WITH_ERRORS, Api


def test_me_says_who_the_key_belongs_to_and_the_file_limit(api: Api) -> None:
    key = api.key_for("VEND001")
    assert api.get("/v1/me", key).json() == {"vendor_id": "VEND001", "role": "vendor",
                                             "max_file_bytes": MAX_FILE_BYTES}
    _, operator = ApiKeyStore(api.pipeline.engine).create(None, operator=True)
    assert api.get("/v1/me", operator.api_key).json()["role"] == "operator"
    assert api.get("/v1/me").status_code == 401


def test_the_catalog_is_searched_by_sku_or_name_and_each_product_has_its_history(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog_clean.csv")
    api.send_file(ticket, CLEAN, "VEND001_catalog_clean.csv")
    assert api.wait_final(key, ticket["upload_id"])["status"] == "completed"
    everything = api.get("/v1/products?limit=200", key).json()["items"]
    first = everything[0]
    by_sku = api.get("/v1/products", key, params={"q": first["sku"].lower()}).json()["items"]
    assert first["vendor_product_id"] in {p["vendor_product_id"] for p in by_sku}
    assert all(first["sku"].lower() in p["sku"].lower() or first["sku"].lower() in p["product_name"].lower()
               for p in by_sku)
    assert api.get("/v1/products", key, params={"q": "no such thing %_"}).json()["items"] == []
    history = api.get(f"/v1/products/{first['vendor_product_id']}/history", key).json()["items"]
    assert history and history[0]["upload_id"] == ticket["upload_id"]
    assert api.get("/v1/products/NOPE/history", key).status_code == 404


def test_operators_see_every_vendors_uploads_and_the_trends_and_vendors_cannot(api: Api) -> None:
    key = api.key_for("VEND002")
    ticket = api.ticket(key, "VEND002_catalog_with_errors.csv")
    api.send_file(ticket, WITH_ERRORS, "VEND002_catalog_with_errors.csv")
    api.wait_final(key, ticket["upload_id"])
    _, operator = ApiKeyStore(api.pipeline.engine).create(None, operator=True)
    uploads = api.get("/v1/operator/uploads", operator.api_key, params={"vendor_id": "VEND002"}).json()["items"]
    assert [u["upload_id"] for u in uploads] == [ticket["upload_id"]]
    stats = api.get("/v1/operator/stats", operator.api_key).json()
    assert {"status": "partial", "count": 1}.items() <= stats["uploads_per_day"][0].items()
    assert {c["error_type"] for c in stats["top_error_codes"]} >= {"INVALID_PRICE"}
    assert api.get("/v1/operator/stuck", operator.api_key).json() == {"items": []}
    queues = api.get("/v1/operator/dead-letters", operator.api_key).json()["items"]
    assert {q["queue"] for q in queues} == {"uploads", "errors", "webhooks", "validator"}
    for path in ("/v1/operator/uploads", "/v1/operator/stuck", "/v1/operator/dead-letters", "/v1/operator/stats"):
        assert api.get(path, key).status_code == 403, path


def test_onboard_up_writes_the_portal_url_next_to_the_api_url(tmp_path: Path, settings: Settings) -> None:
    server = serve_api(tmp_path, settings)
    try:
        lines = (tmp_path / "stack.env").read_text().splitlines()
        assert f"API_URL={server.url}" in lines and f"PORTAL_URL={server.url}/portal" in lines
    finally:
        server.stop()


def test_the_portal_is_served_with_a_strict_content_security_policy(api: Api) -> None:
    for path in ("/portal", "/portal/", "/portal/uploads/some-id", "/portal/app.js", "/portal/errors"):
        response = api.get(path)
        assert response.status_code == 200, path
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "MISSING_REQUIRED_FIELDS" in api.get("/portal/errors").text
