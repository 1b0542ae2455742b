"""Messy and hostile files through the whole pipeline: each ends final, with the exact code and one email."""

from __future__ import annotations

import codecs
import csv
import gzip
import io

import openpyxl
import pytest

from onboarding import bootstrap
from onboarding.domain.vendors import VendorStatus
from tests.harness import RunningPipeline

HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity"
ROW = "P-1,Mouse,Electronics,SKU-1,9.99,3"


def csv_bytes(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FAILED_FILES = {
    "empty": ("c.csv", b"", "EMPTY_FILE"),
    "header only": ("c.csv", csv_bytes(HEADER), "NO_DATA_ROWS"),
    "missing column": ("c.csv", csv_bytes("vendor_product_id,product_name,category,sku,stock_quantity", "P,N,C,S,1"),
                       "MISSING_COLUMNS"),
    "duplicate headers": ("c.csv", csv_bytes(HEADER + ",Price", ROW + ",1"), "DUPLICATE_COLUMNS"),
    "binary": ("c.csv", b"\x89PNG\r\n\x1a\n" + bytes(300), "NOT_TEXT"),
    "unclosed quote": ("c.csv", csv_bytes(HEADER, ROW, 'P-2,"Mouse,Electronics,SKU-2,1,1', ROW), "UNCLOSED_QUOTE"),
    "not a catalog type": ("c.pdf", b"%PDF-1.4", "UNSUPPORTED_FILE_TYPE"),
    "corrupt workbook": ("c.xlsx", b"PK\x03\x04broken", "UNREADABLE_FILE"),
}


@pytest.mark.parametrize(("name", "body", "code"), FAILED_FILES.values(), ids=FAILED_FILES.keys())
def test_an_unusable_file_fails_whole_with_its_code_and_one_email(
    pipeline: RunningPipeline, name: str, body: bytes, code: str
) -> None:
    pipeline.add_vendor("VEND001")
    status = pipeline.wait(pipeline.put("VEND001", name, body))

    assert (status["status"], status["total_records"], status["valid_records"]) == ("failed", 0, 0)
    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, code)]
    assert status["notification_count"] == 1
    assert "rejected" in status["notification"]["subject"]
    assert pipeline.catalog.products_of("VEND001") == []


LIMITED = {
    "file over the size limit": ("MAX_FILE_BYTES", "200", csv_bytes(HEADER, *[ROW] * 20), "FILE_TOO_LARGE"),
    "rows over the row limit": ("MAX_ROWS", "3", csv_bytes(HEADER, *[ROW.replace("1", str(n)) for n in range(5)]),
                                "TOO_MANY_ROWS"),
    "cell over the cell limit": ("MAX_CELL_CHARS", "50", csv_bytes(HEADER, f"P-1,{'x' * 60},E,S,1,1"),
                                 "CELL_TOO_LARGE"),
}


@pytest.mark.parametrize(("variable", "value", "body", "code"), LIMITED.values(), ids=LIMITED.keys())
def test_limits_are_configurable_and_fail_the_file(
    pipeline: RunningPipeline, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, body: bytes, code: str
) -> None:
    pipeline.stop()  # a new deployment of the functions, with the new limit
    monkeypatch.setenv(variable, value)
    bootstrap.reset()
    pipeline.start()
    pipeline.add_vendor("VEND001")

    status = pipeline.wait(pipeline.put("VEND001", "c.csv", body))

    assert (status["status"], [(e["row_number"], e["error_type"]) for e in status["errors"]]) == (
        "failed", [(0, code)])
    assert status["notification_count"] == 1


def test_a_file_claiming_another_vendor_goes_to_operators_and_quarantine(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    pipeline.add_vendor("VEND002")
    status = pipeline.wait(pipeline.put("VEND001", "VEND002_20251221_034236.csv", csv_bytes(HEADER, ROW)))

    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, "VENDOR_MISMATCH")]
    assert (status["status"], status["error_report"]) == ("failed", None)
    assert [m.upload_id for m in pipeline.mail("operators")] == [status["upload_id"]]
    # The folder's own vendor is told its file was not processed (issue 20); the claimed vendor hears nothing.
    assert [m.upload_id for m in pipeline.mail_once("vendor-VEND001")] == [status["upload_id"]]
    assert pipeline.mail("vendor-VEND002") == []


def test_a_key_outside_a_vendor_folder_is_reported_to_operators(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    upload_id = pipeline.put("VEND001/nested", "c.csv", csv_bytes(HEADER, ROW))

    status = pipeline.wait(upload_id)

    assert [(e["row_number"], e["error_type"]) for e in status["errors"]] == [(0, "INVALID_UPLOAD_KEY")]
    assert [m.upload_id for m in pipeline.mail("operators")] == [upload_id]


def test_a_spreadsheet_export_with_bom_crlf_semicolons_and_title_case_is_accepted(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    export = codecs.BOM_UTF8 + (
        b"Vendor Product ID;Product Name;Category;SKU;Price;Stock Quantity;Colour\r\n"
        b'P-1;"Mouse; wireless";Electronics;SKU-1;9.99;3;red\r\n'
        b"P-2;Keyboard;Electronics;SKU-2;19.99;0;blue\r\n"
    )

    status = pipeline.wait(pipeline.put("VEND001", "export.csv", export))

    assert (status["status"], status["valid_records"]) == ("completed", 2)
    assert {p["product_name"] for p in pipeline.catalog.products_of("VEND001")} == {"Mouse; wireless", "Keyboard"}
    assert "These columns were ignored: Colour." in status["notification"]["message"]


def test_a_windows_1252_file_is_read_and_the_email_says_so(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    body = csv_bytes(HEADER, "P-1,Café crème,Electronics,SKU-1,9.99,3").decode().encode("cp1252")

    status = pipeline.wait(pipeline.put("VEND001", "c.csv", body))

    assert status["status"] == "completed"
    assert pipeline.catalog.products_of("VEND001")[0]["product_name"] == "Café crème"
    assert "Windows-1252" in status["notification"]["message"]


def test_gzip_and_xlsx_uploads_go_through_the_same_rows(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    gz = pipeline.wait(pipeline.put("VEND001", "c.csv.gz", gzip.compress(csv_bytes(HEADER, ROW))))
    header: list[object] = list(HEADER.split(","))
    book = pipeline.wait(pipeline.put("VEND001", "c.xlsx", workbook(
        [header, ["P-2", "Desk", "Electronics", "SKU-2", 120.5, 4]])))

    assert (gz["status"], book["status"]) == ("completed", "completed")
    products = {p["vendor_product_id"]: p for p in pipeline.catalog.products_of("VEND001")}
    assert (str(products["P-2"]["price"]), products["P-2"]["stock_quantity"]) == ("120.50", 4)


def test_a_row_with_the_wrong_field_count_is_reported_and_the_rest_imported(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    status = pipeline.wait(pipeline.put("VEND001", "c.csv", csv_bytes(HEADER, ROW, "P-2,Mouse,Electronics",
                                                                      "P-3,Lamp,Electronics,SKU-3,5,1")))

    assert (status["status"], status["valid_records"], status["error_records"]) == ("partial", 2, 1)
    assert [(e["row_number"], e["error_type"]) for e in status["errors"] if e["severity"] == "error"] == [
        (2, "WRONG_FIELD_COUNT")]


def test_a_formula_in_a_cell_comes_back_inert_in_the_error_report(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND001")
    status = pipeline.wait(pipeline.put("VEND001", "c.csv", csv_bytes(
        HEADER, 'P-1,"=HYPERLINK(""http://x"",""y"")",Electronics,SKU-1,free,3')))

    key = status["error_report"].split("/", 3)[3]
    text = pipeline.aws.s3.get_object(Bucket=pipeline.settings.upload_bucket, Key=key)["Body"].read().decode()
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["product_name"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert row["error_type"] == "INVALID_PRICE"


def test_a_suspended_vendors_file_is_quarantined(pipeline: RunningPipeline) -> None:
    pipeline.add_vendor("VEND005", VendorStatus.SUSPENDED)
    status = pipeline.wait(pipeline.put("VEND005", "c.csv", csv_bytes(HEADER, ROW)))

    assert status["errors"][0]["error_type"] == "VENDOR_NOT_ACTIVE"
    listed = pipeline.aws.s3.list_objects_v2(Bucket=pipeline.settings.upload_bucket, Prefix="quarantine/")
    assert [o["Key"] for o in listed.get("Contents", [])] == ["quarantine/VEND005/c.csv"]
