"""The whole pipeline through the worker: files in, products and error reports and emails out."""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from onboarding import bootstrap
from onboarding.domain.vendors import VendorStatus
from onboarding.local.functions import FUNCTIONS, WEBHOOK_SENDER, load_handler
from onboarding.provision import Resources
from tests.harness import FAST_MAPPINGS, RunningPipeline, start_pipeline

FILES = Path(__file__).parents[1] / "files"
HEADER = ("vendor_product_id,product_name,category,subcategory,description,sku,brand,price,compare_at_price,"
          "stock_quantity,unit,weight_kg,dimensions_cm,image_url\n")


def catalog_file(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def error_codes_by_row(status: dict[str, object]) -> dict[int, set[str]]:
    """Each row's errors (its warnings, of rows accepted anyway, are left out)."""
    found: dict[int, set[str]] = {}
    for error in status["errors"]:  # type: ignore[attr-defined]
        if error["severity"] == "error":
            found.setdefault(error["row_number"], set()).add(error["error_type"])
    return found


def test_a_file_exercising_every_rule_ends_with_each_row_a_product_or_an_error(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.put("VEND001", "VEND001_rules.csv", (FILES / "every_rule.csv").read_bytes())

    status = pipeline.wait(upload_id)

    assert status["status"] == "partial"
    assert (status["total_records"], status["valid_records"], status["error_records"]) == (14, 2, 12)
    assert error_codes_by_row(status) == {
        2: {"MISSING_REQUIRED_FIELDS"},
        3: {"INVALID_PRICE"},
        4: {"INVALID_PRICE"},
        5: {"INVALID_PRICE"},
        6: {"INVALID_PRICE"},
        7: {"INVALID_STOCK"},
        8: {"INVALID_STOCK"},
        9: {"FIELD_LENGTH_EXCEEDED"},
        10: {"INVALID_CATEGORY"},
        11: {"DUPLICATE_SKU"},
        12: {"DUPLICATE_VENDOR_PRODUCT_ID"},
        13: {"INVALID_CATEGORY", "INVALID_PRICE", "INVALID_STOCK"},
    }
    products = {p["vendor_product_id"] for p in pipeline.catalog.products_of("VEND001")}
    assert products == {"R-01", "R-14"}


def test_the_error_report_holds_every_failed_row_as_written_and_the_email_links_it(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.put("VEND001", "VEND001_rules.csv", (FILES / "every_rule.csv").read_bytes())
    status = pipeline.wait(upload_id)

    assert status["error_report"] == f"s3://{pipeline.settings.upload_bucket}/errors/VEND001/{upload_id}_errors.csv"
    key = status["error_report"].split("/", 3)[3]
    report = list(csv.DictReader(io.StringIO(
        pipeline.aws.s3.get_object(Bucket=pipeline.settings.upload_bucket, Key=key)["Body"].read().decode())))
    rejected = [r for r in report if r["severity"] == "error"]  # rows 1 and 14 are imported, with warnings
    assert [int(r["row_number"]) for r in rejected] == list(range(2, 14))
    assert rejected[0]["vendor_product_id"] == "R-02" and rejected[0]["error_type"] == "MISSING_REQUIRED_FIELDS"
    assert status["notification_count"] == 1
    assert status["notification"]["subject"].startswith("Catalog upload VEND001_rules.csv")
    message = status["notification"]["message"]
    assert f"  http://portal.test/uploads/{upload_id}\n" in message and "s3://" not in message
    assert "What each error code means and how to fix it: http://portal.test/errors" in message


def test_a_clean_file_completes_and_still_gets_one_email(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.put("VEND001", "clean.csv", catalog_file(
        "A-1,Mouse,Electronics,,A mouse,SKU-A-1,B,9.99,,3,piece,,,https://img.example.com/a1.jpg",
        "A-2,Keyboard,electronics,,A keyboard,SKU-A-2,B,19.99,25.00,0,piece,0.8,,https://img.example.com/a2.jpg",
    ))

    status = pipeline.wait(upload_id)

    assert (status["status"], status["valid_records"], status["error_records"]) == ("completed", 2, 0)
    assert status["error_report"] is None and status["errors"] == []
    assert status["notification_count"] == 1
    assert "all products accepted" in status["notification"]["subject"]


def test_reuploading_a_catalog_updates_prices_and_stock_without_duplicates(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    first = pipeline.wait(pipeline.put("VEND001", "catalog.csv", catalog_file(
        "A-1,Mouse,Electronics,,,SKU-A-1,B,9.99,,3,piece,,,",
        "A-2,Keyboard,Electronics,,,SKU-A-2,B,19.99,,7,piece,,,",
    )))
    second = pipeline.wait(pipeline.put("VEND001", "catalog.csv", catalog_file(
        "A-1,Mouse,Electronics,,,SKU-A-1,B,8.49,,30,piece,,,",
        "A-2,Keyboard,Electronics,,,SKU-A-2,B,19.99,,7,piece,,,",
    )))

    assert first["upload_id"] != second["upload_id"]
    assert (second["status"], second["valid_records"]) == ("completed", 2)
    products = {p["vendor_product_id"]: p for p in pipeline.catalog.products_of("VEND001")}
    assert len(products) == 2
    assert (str(products["A-1"]["price"]), products["A-1"]["stock_quantity"]) == ("8.49", 30)
    assert products["A-1"]["upload_id"] == second["upload_id"]


def test_two_vendors_uploading_the_same_file_name_in_the_same_second_get_two_uploads(
    pipeline: RunningPipeline,
) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    first = pipeline.put("VEND001", "catalog.csv", catalog_file("A-1,Mouse,Electronics,,,SKU-V1-1,B,9.99,,3,piece,,,"))
    second = pipeline.put("VEND002", "catalog.csv", catalog_file("A-1,Mouse,Electronics,,,SKU-V2-1,B,9.99,,3,piece,,,"))

    assert first != second
    assert pipeline.wait(first)["status"] == pipeline.wait(second)["status"] == "completed"
    assert [m.upload_id for m in pipeline.mail("vendor-VEND001")] == [first]
    assert [m.upload_id for m in pipeline.mail("vendor-VEND002")] == [second]


def test_vendors_with_the_longest_ids_get_their_own_mail_on_the_local_stack(pipeline: RunningPipeline) -> None:
    """Vendor ids may be 64 characters; a capture queue's name may be 80. Two ids alike but for their end."""
    long_ids = ["V" * 63 + "1", "V" * 63 + "2"]
    for vendor_id in long_ids:
        pipeline.add_vendor(vendor_id)
    uploads = [pipeline.put(vendor_id, "catalog.csv",
                            catalog_file(f"A-1,Mouse,Electronics,,,SKU-{n},B,9.99,,3,piece,,,"))
               for n, vendor_id in enumerate(long_ids)]

    assert [pipeline.wait(u)["status"] for u in uploads] == ["completed", "completed"]
    for vendor_id, upload_id in zip(long_ids, uploads, strict=True):
        assert [m.upload_id for m in pipeline.mail_once(f"vendor-{vendor_id}")] == [upload_id]


def test_a_sku_held_by_another_vendor_is_a_duplicate_for_the_newcomer(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    first = catalog_file("A-1,Mouse,Electronics,,,SKU-SHARED,B,9.99,,3,piece,,,")
    pipeline.wait(pipeline.put("VEND001", "a.csv", first))

    status = pipeline.wait(pipeline.put("VEND002", "b.csv", catalog_file(
        "B-1,Mouse,Electronics,,,SKU-SHARED,B,9.99,,3,piece,,,")))

    assert status["status"] == "failed"
    assert [(e["row_number"], e["error_type"], e["field"]) for e in status["errors"]] == [(1, "DUPLICATE_SKU", "sku")]


def test_an_unknown_vendor_is_reported_to_operators_only_and_the_file_quarantined(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.put("VEND999", "VEND999_catalog.csv", catalog_file("A-1,Mouse,Electronics,,,S,B,1,,1,,,,"))

    status = pipeline.wait(upload_id)

    assert status["status"] == "failed"
    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, "UNKNOWN_VENDOR")]
    assert [m.upload_id for m in pipeline.mail("operators")] == [upload_id]
    assert pipeline.mail("vendor-VEND001") == []
    listed = pipeline.aws.s3.list_objects_v2(Bucket=pipeline.settings.upload_bucket, Prefix="quarantine/")
    assert [o["Key"] for o in listed.get("Contents", [])] == ["quarantine/VEND999/VEND999_catalog.csv"]


def test_a_suspended_vendor_cannot_upload(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND003", VendorStatus.SUSPENDED)
    status = pipeline.wait(pipeline.put("VEND003", "c.csv", catalog_file("A-1,Mouse,Electronics,,,S,B,1,,1,,,,")))

    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, "VENDOR_NOT_ACTIVE")]
    assert len(pipeline.mail("operators")) == 1
    # Its own folder: the vendor is told why its file was not processed (issue 20).
    [told] = pipeline.mail_once("vendor-VEND003")
    assert "not active" in told.message


def test_each_stage_wakes_the_next_so_an_upload_never_waits_for_a_quiet_poll(
    container: bootstrap.Container, resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stream, the errors queue and the mailbox are polled only now and then while idle: the parser's, the
    validator's and the error processor's invocations wake them. With idle polls longer than the waits, only
    those wakes bring the upload to its end and its email to the mailbox."""
    pipeline = start_pipeline(container, resources, tmp_path / "onboard", monkeypatch)
    pipeline.home.mkdir()
    pipeline.start(replace(FAST_MAPPINGS, quiet_poll_s=120.0, mailbox_every_s=120.0))
    try:
        pipeline.add_vendor("VEND001")
        upload_id = pipeline.put("VEND001", "VEND001_rules.csv", (FILES / "every_rule.csv").read_bytes())

        status = pipeline.wait(upload_id, timeout_s=60)
        mail = pipeline.mail_once("vendor-VEND001", timeout_s=30)
    finally:
        pipeline.stop()

    assert (status["status"], status["total_records"], status["error_records"]) == ("partial", 14, 12)
    assert [m.upload_id for m in mail] == [upload_id]


def test_rows_reach_the_validator_while_the_parser_is_still_writing_them(
    container: bootstrap.Container, resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large file's rows are validated as they are written, not once the parser returns: while it runs, the
    stream is read as often as the uploads queue, however long the idle polls. Here the parser does not return
    until the validator has been called."""
    functions = {name: load_handler(name) for name in (*FUNCTIONS, WEBHOOK_SENDER)}
    parse, validate = functions["csv_parser"], functions["validator"]
    validated = threading.Event()
    validated_while_parsing: list[bool] = []

    def validator(event: dict[str, Any]) -> dict[str, Any]:
        validated.set()
        return validate(event)

    def parser(event: dict[str, Any]) -> dict[str, Any]:
        result = parse(event)
        if "VEND001_rules.csv" in json.dumps(event):  # not S3's test event, which the parser only acknowledges
            validated_while_parsing.append(validated.wait(30))
        return result

    pipeline = start_pipeline(container, resources, tmp_path / "onboard", monkeypatch)
    pipeline.home.mkdir()
    pipeline.start(replace(FAST_MAPPINGS, quiet_poll_s=120.0),
                   {**functions, "csv_parser": parser, "validator": validator})
    try:
        pipeline.add_vendor("VEND001")
        upload_id = pipeline.put("VEND001", "VEND001_rules.csv", (FILES / "every_rule.csv").read_bytes())
        status = pipeline.wait(upload_id, timeout_s=60)
    finally:
        pipeline.stop()

    assert validated_while_parsing == [True]
    assert status["status"] == "partial"
