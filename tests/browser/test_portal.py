"""A vendor and an operator in the portal, in a real browser, against the running pipeline."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect

from onboarding.adapters.api_keys import ApiKeyStore
from tests.api.conftest import SAMPLES, Api
from tests.browser.conftest import screenshot, watch_origins

WITH_ERRORS_FILE = SAMPLES / "VEND002_catalog_with_errors.csv"


def sign_in(page: Page, api: Api, key: str) -> None:
    page.goto(f"{api.url}/portal/")
    page.fill("#api-key", key)
    page.click("#sign-in-form button[type=submit]")


def upload(page: Page, path: str, dry_run: bool = False) -> str:
    page.click("#vendor-nav button[data-view=upload]")
    page.set_input_files("#file-input", path)
    if dry_run:
        page.check("#dry-run")
    page.click("#upload-button")
    page.wait_for_url("**#/uploads/*")
    return page.url.rsplit("/", 1)[-1]


@pytest.mark.slow(8)
def test_a_vendor_uploads_a_file_with_errors_reads_them_and_gets_the_report(page: Page, api: Api) -> None:
    key = api.key_for("VEND002")
    origins = watch_origins(page)
    sign_in(page, api, key)
    upload_id = upload(page, str(WITH_ERRORS_FILE))

    expect(page.locator("#detail-meta")).to_have_attribute("data-status", "partial", timeout=60_000)
    expected = requests.get(f"{api.url}/v1/uploads/{upload_id}/errors?limit=200", timeout=30,
                            headers={"Authorization": f"Bearer {key}"}).json()["items"]
    assert expected, "the sample has errors"
    rows = page.locator("#errors-table tbody tr")
    expect(rows).to_have_count(len(expected))
    shown = [(cells[0], cells[2]) for cells in (r.locator("td").all_inner_texts() for r in rows.all())]
    assert shown == [(str(e["row_number"]) if e["row_number"] else "file", e["error_type"]) for e in expected]

    report = page.locator("#report-link")
    expect(report).to_be_visible()
    fetched = requests.get(str(report.get_attribute("href")), timeout=30)
    assert fetched.status_code == 200 and b"error_type" in fetched.content
    screenshot(page, "vendor-upload-partial")

    storage = urlsplit(api.pipeline.settings.aws_endpoint_url or "")
    assert origins <= {api.url, f"{storage.scheme}://{storage.netloc}"}, origins
    assert key not in page.url


@pytest.mark.slow(8)
def test_a_dry_run_changes_the_catalog_only_after_commit(page: Page, api: Api) -> None:
    key = api.key_for("VEND001")
    sign_in(page, api, key)
    upload_id = upload(page, str(SAMPLES / "VEND001_catalog_clean.csv"), dry_run=True)
    expect(page.locator("#detail-meta")).to_have_attribute("data-status", "validated", timeout=60_000)
    products = api.get("/v1/products", key).json()["items"]
    assert products == []
    screenshot(page, "vendor-dry-run")

    page.click("#commit-button")
    expect(page.locator("#detail-meta")).to_have_attribute("data-status", "completed", timeout=60_000)
    assert api.get("/v1/products", key).json()["items"], f"{upload_id} committed, yet the catalog is empty"


def test_a_wrong_key_is_told_so(page: Page, api: Api) -> None:
    sign_in(page, api, "not-a-real-key")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("key")
    expect(page.locator("#api-key")).to_be_visible()
    screenshot(page, "wrong-key")


def test_the_operator_sees_every_vendors_upload_and_the_charts(page: Page, api: Api) -> None:
    vendor_key = api.key_for("VEND002")
    ticket = api.ticket(vendor_key, WITH_ERRORS_FILE.name)
    assert api.send_file(ticket, WITH_ERRORS_FILE.read_bytes(), WITH_ERRORS_FILE.name).status_code in (200, 201, 204)
    assert api.wait_final(vendor_key, ticket["upload_id"])["status"] == "partial"
    _, key = ApiKeyStore(api.pipeline.engine).create(None, operator=True)
    assert api.get("/v1/operator/stats", vendor_key).status_code == 403  # a vendor's key is not an operator's

    sign_in(page, api, key.api_key)
    uploads = page.locator("#op-uploads-table tbody tr")
    expect(uploads.filter(has_text="VEND002").filter(has_text="partial")).to_have_count(1)
    for chart in ("#chart-daily svg rect", "#chart-codes svg rect"):
        expect(page.locator(chart).first).to_be_visible()
    codes = page.locator("#chart-codes svg").inner_html()
    assert "INVALID_PRICE" in codes
    screenshot(page, "operator")


@pytest.mark.slow(8)
def test_a_vendor_fixes_the_report_and_uploads_it_again_to_a_clean_catalog(
    page: Page, api: Api, tmp_path: Path
) -> None:
    key = api.key_for("VEND002")
    sign_in(page, api, key)
    upload(page, str(WITH_ERRORS_FILE))
    expect(page.locator("#detail-meta")).to_have_attribute("data-status", "partial", timeout=60_000)

    # The vendor downloads the report from the page and fixes each rejected row in it, bookkeeping columns and all.
    report = requests.get(str(page.locator("#report-link").get_attribute("href")), timeout=30).content.decode()
    rejected = [row for row in csv.DictReader(io.StringIO(report)) if row["severity"] == "error"]
    assert rejected, "the sample has rejected rows"
    for number, row in enumerate(rejected):
        row.update(vendor_product_id=f"FIXED-{number}", sku=f"HL-FIXED-{number}",
                   product_name=f"Fixed product {number}", category="Bathroom",
                   price="10.00", compare_at_price="", stock_quantity="5", weight_kg="1")
    fixed = tmp_path / "VEND002_fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rejected[0]))
        writer.writeheader()
        writer.writerows(rejected)

    page.click("#upload-again")
    upload(page, str(fixed))
    expect(page.locator("#detail-meta")).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(page.locator("#errors-table tbody tr.error")).to_have_count(0)
    catalog = {p["vendor_product_id"] for p in api.get("/v1/products?limit=200", key).json()["items"]}
    assert {f"FIXED-{n}" for n in range(len(rejected))} <= catalog
    screenshot(page, "vendor-fixed-upload")
