"""Reading vendors' files: real-world exports just work; broken ones fail with a precise code."""

from __future__ import annotations

import codecs
import gzip
import io
from datetime import date

import openpyxl
import pytest

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file import FileScan, Limits, SourceRow, read_rows, scan_file

LIMITS = Limits(max_file_bytes=5_000_000, max_rows=1000, max_cell_chars=10_000)
HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity"
ROW = "P-1,Mouse,Electronics,SKU-1,9.99,3"
EXPECTED = {"vendor_product_id": "P-1", "product_name": "Mouse", "category": "Electronics", "sku": "SKU-1",
            "price": "9.99", "stock_quantity": "3"}


def read(data: bytes, name: str = "catalog.csv", limits: Limits = LIMITS) -> tuple[FileScan, list[SourceRow]]:
    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    scan = scan_file(open_stream, name, limits)
    return scan, list(read_rows(open_stream, scan, limits))


def rejected(data: bytes, name: str = "catalog.csv", limits: Limits = LIMITS) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read(data, name, limits)
    return caught.value


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


ACCEPTED = {
    "plain utf-8": f"{HEADER}\n{ROW}\n".encode(),
    "utf-8 with BOM and CRLF": codecs.BOM_UTF8 + f"{HEADER}\r\n{ROW}\r\n".encode(),
    "utf-16 with BOM": f"{HEADER}\n{ROW}\n".encode("utf-16"),
    "semicolons": f"{HEADER.replace(',', ';')}\n{ROW.replace(',', ';')}\n".encode(),
    "tabs": f"{HEADER.replace(',', chr(9))}\n{ROW.replace(',', chr(9))}\n".encode(),
    "pipes": f"{HEADER.replace(',', '|')}\n{ROW.replace(',', '|')}\n".encode(),
    "bare CR line ends": f"{HEADER}\r{ROW}\r".encode(),
    "no final newline": f"{HEADER}\n{ROW}".encode(),
    "title case headers with spaces": (
        "Vendor Product ID, Product Name ,CATEGORY,Sku,Price,Stock Quantity\n" + ROW + "\n").encode(),
    "alias qty": f"{HEADER.replace('stock_quantity', 'qty')}\n{ROW}\n".encode(),
    "blank lines and trailing delimiter": f"\n{HEADER}\n\n{ROW},\n,,,,,\n".encode(),
    "quoted cells": f'{HEADER}\n"P-1","Mouse","Electronics","SKU-1","9.99","3"\n'.encode(),
    "gzip": gzip.compress(f"{HEADER}\n{ROW}\n".encode()),
}


@pytest.mark.parametrize("data", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_real_world_variants_read_as_the_same_row(data: bytes) -> None:
    scan, rows = read(data, "catalog.csv.gz" if data.startswith(b"\x1f\x8b") else "catalog.csv")
    assert scan.data_rows == 1
    assert [(r.row_number, r.product_data, r.problems) for r in rows] == [(1, EXPECTED, ())]


def test_a_spreadsheet_export_reads_exactly_like_plain_csv() -> None:
    export = codecs.BOM_UTF8 + (
        b"Vendor Product ID;Product Name;Category;SKU;Price;Stock Quantity\r\n"
        b'P-1;"Mouse; wireless";Electronics;SKU-1;9.99;3\r\n'
    )
    plain = f'{HEADER}\nP-1,"Mouse; wireless",Electronics,SKU-1,9.99,3\n'.encode()
    assert [r.product_data for r in read(export)[1]] == [r.product_data for r in read(plain)[1]]


def test_windows_1252_is_detected_and_named_in_the_notes() -> None:
    scan, rows = read(f"{HEADER}\nP-1,Café crème €,Electronics,SKU-1,9.99,3\n".encode("cp1252"))
    assert rows[0].product_data["product_name"] == "Café crème €"
    assert "The file was read as Windows-1252 (cp1252)." in scan.notes


def test_utf8_needs_no_note() -> None:
    assert read(f"{HEADER}\nP-1,Café,Electronics,SKU-1,9.99,3\n".encode())[0].notes == ()


def test_quoted_fields_keep_delimiters_quotes_and_newlines_in_one_row() -> None:
    scan, rows = read(f'{HEADER}\nP-1,"Mouse, ""pro""\nsecond line",Electronics,SKU-1,9.99,3\n{ROW}\n'.encode())
    assert scan.data_rows == 2
    assert rows[0].product_data["product_name"] == 'Mouse, "pro"\nsecond line'
    assert [r.row_number for r in rows] == [1, 2]


def test_unknown_columns_are_ignored_and_mentioned_once() -> None:
    scan, rows = read(f"{HEADER},colour,Warehouse\n{ROW},red,W1\n".encode())
    assert scan.notes == ("These columns were ignored: colour, Warehouse.",)
    assert rows[0].product_data == EXPECTED
    assert rows[0].cells[-2:] == ("red", "W1")


def test_a_row_with_too_few_or_too_many_fields_is_a_row_error_and_the_rest_is_read() -> None:
    scan, rows = read(f"{HEADER}\nP-1,Mouse,Electronics\n{ROW},extra\n{ROW}\n".encode())
    assert scan.data_rows == 3
    assert [[p.code for p in r.problems] for r in rows] == [
        [ErrorCode.WRONG_FIELD_COUNT], [ErrorCode.WRONG_FIELD_COUNT], []]


def test_xlsx_first_sheet_reads_like_csv_with_numbers_as_written() -> None:
    header: list[object] = list(HEADER.split(","))
    data = xlsx([header, ["P-1", "Mouse", "Electronics", "SKU-1", 9.99, 3],
                 ["P-2", "Desk", "Electronics", "SKU-2", 120.0, 0], [None] * 6,
                 ["P-3", "Lamp", "Electronics", "SKU-3", 5.5, 7.0, date(2025, 1, 2)]])
    scan, rows = read(data, "catalog.xlsx")
    assert (scan.layout.kind, scan.data_rows) == ("xlsx", 3)
    assert rows[0].product_data == EXPECTED
    assert (rows[1].product_data["price"], rows[1].product_data["stock_quantity"]) == ("120", "0")
    assert rows[2].product_data["price"] == "5.5"


REJECTED = {
    "empty": (b"", "catalog.csv", ErrorCode.EMPTY_FILE),
    "only whitespace and a BOM": (codecs.BOM_UTF8 + b"\n \r\n", "catalog.csv", ErrorCode.EMPTY_FILE),
    "header only": (f"{HEADER}\n".encode(), "catalog.csv", ErrorCode.NO_DATA_ROWS),
    "header and blank rows": (f"{HEADER}\n,,,,,\n\n".encode(), "catalog.csv", ErrorCode.NO_DATA_ROWS),
    "missing a required column": (b"vendor_product_id,product_name,category,sku,stock_quantity\nP,N,C,S,1\n",
                                  "catalog.csv", ErrorCode.MISSING_COLUMNS),
    "duplicate header names": (f"{HEADER},SKU\n{ROW},x\n".encode(), "catalog.csv", ErrorCode.DUPLICATE_COLUMNS),
    "duplicate via an alias": (f"{HEADER},qty\n{ROW},1\n".encode(), "catalog.csv", ErrorCode.DUPLICATE_COLUMNS),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "catalog.csv", ErrorCode.NOT_TEXT),
    "NUL bytes": (f"{HEADER}\n".encode() + b"\x00\x01\x02" * 50, "catalog.csv", ErrorCode.NOT_TEXT),
    "a quote never closed": (f'{HEADER}\n{ROW}\nP-2,"Mouse,Electronics,SKU-2,9.99,3\n{ROW}\n'.encode(),
                             "catalog.csv", ErrorCode.UNCLOSED_QUOTE),
    "text after a closing quote": (f'{HEADER}\nP-1,"Mouse"x,Electronics,SKU-1,9.99,3\n'.encode(), "catalog.csv",
                                   ErrorCode.UNCLOSED_QUOTE),
    "a corrupt workbook": (b"PK\x03\x04" + b"garbage" * 20, "catalog.xlsx", ErrorCode.UNREADABLE_FILE),
}


@pytest.mark.parametrize(("data", "name", "code"), REJECTED.values(), ids=REJECTED.keys())
def test_broken_files_are_rejected_with_a_precise_code(data: bytes, name: str, code: ErrorCode) -> None:
    error = rejected(data, name)
    assert error.code is code
    assert error.message.endswith(".")


def test_bytes_that_are_not_utf8_past_the_sampled_start_make_the_file_unreadable() -> None:
    data = f"{HEADER}\n".encode() + (ROW + "\n").encode() * 5000 + b"\xff\xfe\xfa\n"
    assert rejected(data, limits=Limits(5_000_000, 10_000, 10_000)).code is ErrorCode.UNREADABLE_FILE


def test_the_missing_column_is_named() -> None:
    error = rejected(b"vendor_product_id,product_name,category,sku,stock_quantity\nP,N,C,S,1\n")
    assert "price" in error.message and error.field == "price"


def test_more_rows_than_the_limit_fail_the_file() -> None:
    error = rejected((HEADER + "\n" + (ROW + "\n") * 11).encode(), limits=Limits(5_000_000, 10, 10_000))
    assert error.code is ErrorCode.TOO_MANY_ROWS


def test_a_cell_over_the_limit_fails_the_file_naming_row_and_column() -> None:
    error = rejected(f"{HEADER}\n{ROW}\nP-2,{'x' * 20_000},Electronics,SKU-2,1,1\n".encode())
    assert error.code is ErrorCode.CELL_TOO_LARGE
    assert "Row 2" in error.message and "product_name" in error.message


def test_a_megabyte_in_one_cell_fails_cleanly() -> None:
    assert rejected(f'{HEADER}\nP-1,"{"y" * 1_000_000}",E,S,1,1\n'.encode()).code is ErrorCode.CELL_TOO_LARGE


def test_a_gzip_that_inflates_past_the_size_limit_fails_the_file() -> None:
    bomb = gzip.compress((HEADER + "\n").encode() + (ROW + "\n").encode() * 200_000)
    error = rejected(bomb, "catalog.csv.gz", Limits(max_file_bytes=1_000_000, max_rows=1_000_000, max_cell_chars=100))
    assert error.code is ErrorCode.FILE_TOO_LARGE
