"""Reading vendors' files: real-world exports just work; broken or hostile ones fail with a precise code."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, cast

import openpyxl
import pytest

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file import SAMPLE_BYTES, FileScan, Limits, OpenStream, SourceRow
from onboarding.reading import read_rows, scan_file

FILES = Path(__file__).parent / "files"
LIMITS = Limits(max_file_bytes=5_000_000, max_rows=1000, max_cell_chars=10_000)
HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity"
ROW = "P-1,Mouse,Electronics,SKU-1,9.99,3"
HEADER_CELLS = HEADER.split(",")
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


def lines(*rows: str, end: str = "\n") -> bytes:
    return "".join(row + end for row in rows).encode()


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class TrickleStream(io.RawIOBase):
    """Like botocore's StreamingBody: not seekable, and a read may return fewer bytes than asked."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._fail_after = fail_after
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._fail_after is not None and self.bytes_read >= self._fail_after:
            raise ConnectionResetError("connection reset by peer")
        chunk = self._data.read(min(size, 997) if size and size > 0 else 997)
        self.bytes_read += len(chunk)
        return chunk


def trickling(data: bytes, fail_after: int | None = None) -> OpenStream:
    def open_stream() -> BinaryIO:
        return cast(BinaryIO, TrickleStream(data, fail_after))

    return open_stream


# -- what is accepted -------------------------------------------------------------------------

ACCEPTED = {
    "plain utf-8": lines(HEADER, ROW),
    "utf-8 with BOM and CRLF": codecs.BOM_UTF8 + lines(HEADER, ROW, end="\r\n"),
    "utf-16 LE with BOM": codecs.BOM_UTF16_LE + lines(HEADER, ROW).decode().encode("utf-16-le"),
    "utf-16 BE with BOM": codecs.BOM_UTF16_BE + lines(HEADER, ROW).decode().encode("utf-16-be"),
    "semicolons": lines(HEADER.replace(",", ";"), ROW.replace(",", ";")),
    "tabs": lines(HEADER.replace(",", "\t"), ROW.replace(",", "\t")),
    "pipes": lines(HEADER.replace(",", "|"), ROW.replace(",", "|")),
    "bare CR line ends": lines(HEADER, ROW, end="\r"),
    "no final line end": f"{HEADER}\n{ROW}".encode(),
    "title case headers with spaces": lines(
        "Vendor Product ID, Product Name ,CATEGORY,Sku,Price,Stock Quantity", ROW),
    "underscores and dashes in headers": lines(
        "VENDOR_PRODUCT_ID,product-name,Category,SKU,PRICE,stock quantity", ROW),
    "alias qty": lines(HEADER.replace("stock_quantity", "qty"), ROW),
    "aliases name and product id": lines("Product ID,Name,category,sku,price,Quantity", ROW),
    "blank lines and a row of delimiters": lines("", HEADER, "", ROW, ",,,,,", " "),
    "blank line before a semicolon header": lines(" ", HEADER.replace(",", ";"), ROW.replace(",", ";")),
    "trailing delimiter on every line": lines(HEADER + ",", ROW + ","),
    "trailing delimiters on the rows only": lines(HEADER, ROW + ",,"),
    "every cell quoted": lines(HEADER, '"P-1","Mouse","Electronics","SKU-1","9.99","3"'),
    "spaces around cells": lines(HEADER, " P-1 , Mouse ,Electronics,SKU-1, 9.99 ,3 "),
    "a space after the delimiter before a quote": lines(HEADER, 'P-1, "Mouse", "Electronics",SKU-1,9.99,3'),
    "gzip": gzip.compress(lines(HEADER, ROW)),
    "gzip of a BOM and CRLF export": gzip.compress(codecs.BOM_UTF8 + lines(HEADER, ROW, end="\r\n")),
}


@pytest.mark.parametrize("data", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_real_world_variants_read_as_the_same_row(data: bytes) -> None:
    scan, rows = read(data)
    assert scan.data_rows == 1
    assert [(r.row_number, r.product_data, r.problems) for r in rows] == [(1, EXPECTED, ())]


def test_a_gzip_file_is_recognised_by_its_bytes_whatever_its_name() -> None:
    for name in ("catalog.csv.gz", "catalog.csv", "catalog.gz"):
        scan, rows = read(gzip.compress(lines(HEADER, ROW)), name)
        assert scan.layout.compression == "gzip"
        assert rows[0].product_data == EXPECTED


def test_a_spreadsheet_export_reads_exactly_like_plain_csv() -> None:
    export = codecs.BOM_UTF8 + (
        b"Vendor Product ID;Product Name;Category;SKU;Price;Stock Quantity\r\n"
        b'P-1;"Mouse; wireless";Electronics;SKU-1;9.99;3\r\n'
        b"P-2;Keyboard;Electronics;SKU-2;19.99;0\r\n"
        b";;;;;\r\n"
    )
    plain = lines(HEADER, 'P-1,"Mouse; wireless",Electronics,SKU-1,9.99,3',
                  "P-2,Keyboard,Electronics,SKU-2,19.99,0")

    export_scan, export_rows = read(export)
    plain_scan, plain_rows = read(plain)

    assert [r.product_data for r in export_rows] == [r.product_data for r in plain_rows]
    assert (export_scan.data_rows, export_scan.notes) == (plain_scan.data_rows, plain_scan.notes) == (2, ())
    assert (export_scan.layout.delimiter, export_scan.layout.header[0]) == (";", "Vendor Product ID")


SAMPLE_PRODUCTS = [
    {
        "vendor_product_id": "P-100",
        "product_name": "Café crème mug",
        "category": "Kitchen",
        "subcategory": "Mugs",
        "description": 'Holds 350 ml; dishwasher safe.\nSays "Bonjour", in blue.',
        "sku": "SKU-100",
        "brand": "Maison",
        "price": "12.50",
        "compare_at_price": "15.00",
        "stock_quantity": "40",
        "unit": "each",
        "weight_kg": "0.35",
        "dimensions_cm": "9x9x10",
        "image_url": "https://img.example.com/p100.jpg",
    },
    {
        "vendor_product_id": "P-101",
        "product_name": "Desk lamp | 40 W",
        "category": "Lighting",
        "subcategory": "Lamps",
        "description": "Warm light, €-saver bulb included.",
        "sku": "SKU-101",
        "brand": "Lumière",
        "price": "34.90",
        "compare_at_price": "",
        "stock_quantity": "0",
        "unit": "each",
        "weight_kg": "1.2",
        "dimensions_cm": "20x15x45",
        "image_url": "https://img.example.com/p101.jpg",
    },
]
# The same two products as three real-world exports (bytes exactly as those programs write them).
SAMPLE_FILES = {
    "excel_semicolon_export.csv": ("utf-8-sig", ";", ()),
    "windows_1252.csv": ("cp1252", ",", ("The file was read as Windows-1252 (cp1252).",)),
    "mac_classic_cr.csv": ("utf-8", "\t", ()),
}


@pytest.mark.parametrize(("name", "layout"), SAMPLE_FILES.items(), ids=SAMPLE_FILES.keys())
def test_sample_exports_read_to_the_same_products(
    name: str, layout: tuple[str, str, tuple[str, ...]]
) -> None:
    scan, rows = read((FILES / name).read_bytes(), name)
    assert (scan.layout.encoding, scan.layout.delimiter, scan.notes) == layout
    assert [r.product_data for r in rows] == SAMPLE_PRODUCTS
    assert [r.problems for r in rows] == [(), ()]


ENCODING_NOTES = {
    "utf-8": (),
    "utf-8-sig": (),
    "utf-16": ("The file was read as UTF-16.",),
    "cp1252": ("The file was read as Windows-1252 (cp1252).",),
}


@pytest.mark.parametrize(("encoding", "notes"), ENCODING_NOTES.items(), ids=ENCODING_NOTES.keys())
def test_the_encoding_is_found_and_named_in_the_notes_unless_utf8(
    encoding: str, notes: tuple[str, ...]
) -> None:
    scan, rows = read(f"{HEADER}\nP-1,Café crème €,Electronics,SKU-1,9.99,3\n".encode(encoding))
    assert rows[0].product_data["product_name"] == "Café crème €"
    assert (scan.layout.encoding, scan.notes) == (encoding, notes)


def test_windows_1252_ending_in_an_accent_is_not_mistaken_for_cut_utf8() -> None:
    scan, rows = read(f"{HEADER}\nP-1,Mouse,Electronics,SKU-1,9.99,Café".encode("cp1252"))
    assert scan.layout.encoding == "cp1252"
    assert rows[0].product_data["stock_quantity"] == "Café"


def test_windows_1252_whose_first_accent_comes_after_the_sample_fails_with_its_line() -> None:
    # Re-reading the whole file as Windows-1252 would silently corrupt a UTF-8 file with one stray byte
    # (issue 20, defect 7): the file fails with the line, as it does when the sample already had UTF-8 letters.
    rows = SAMPLE_BYTES // len(ROW) + 10
    data = f"{HEADER}\n{(ROW + chr(10)) * rows}P-2,Crème brûlée,Food,SKU-2,4.50,7\n".encode("cp1252")

    problem = rejected(data, limits=Limits(5_000_000, 10_000, 10_000))

    assert problem.code is ErrorCode.UNREADABLE_FILE
    assert f"near line {rows + 2:,}" in problem.message and "UTF-8" in problem.message


def test_utf8_cut_in_the_middle_of_a_character_at_the_sample_boundary_is_still_utf8() -> None:
    padding = "x" * (SAMPLE_BYTES - len(HEADER) - len("\nP-1,") - 1)  # "é" straddles the 64 KiB mark
    data = f"{HEADER}\nP-1,{padding}é,Electronics,SKU-1,9.99,3\n".encode()
    assert data[SAMPLE_BYTES - 1 : SAMPLE_BYTES + 1] == "é".encode()

    scan, rows = read(data, limits=Limits(5_000_000, 10, 100_000))

    assert (scan.layout.encoding, scan.notes) == ("utf-8", ())
    assert rows[0].product_data["product_name"].endswith("xé")


def test_quoted_cells_keep_delimiters_doubled_quotes_and_line_breaks_in_one_row() -> None:
    scan, rows = read(lines(HEADER, 'P-1,"Mouse, ""pro""\nsecond line",Electronics,SKU-1,9.99,3', ROW))
    assert scan.data_rows == 2
    assert rows[0].product_data["product_name"] == 'Mouse, "pro"\nsecond line'
    assert [r.row_number for r in rows] == [1, 2]


def test_bare_cr_line_ends_with_a_quoted_line_break_inside_a_cell() -> None:
    scan, rows = read(lines(HEADER, 'P-1,"Mouse\rwireless",Electronics,SKU-1,9.99,3', ROW, end="\r"))
    assert scan.data_rows == 2
    assert rows[0].product_data["product_name"] == "Mouse\rwireless"
    assert rows[1].product_data == EXPECTED


def test_a_quote_inside_an_unquoted_cell_is_kept_as_written() -> None:
    _, rows = read(lines(HEADER, 'P-1,27" monitor,Electronics,SKU-1,9.99,3'))
    assert rows[0].product_data["product_name"] == '27" monitor'
    assert rows[0].problems == ()


def test_row_numbers_count_data_rows_not_lines() -> None:
    scan, rows = read(lines("", HEADER, ROW, "", ",,,", 'P-2,"two\nlines",E,S,1,1', ROW))
    assert scan.data_rows == 3
    assert [r.row_number for r in rows] == [1, 2, 3]


def test_unknown_columns_are_ignored_and_named_in_one_note() -> None:
    scan, rows = read(lines(f"{HEADER},colour,Warehouse", f"{ROW},red,W1"))
    assert scan.notes == ("These columns were ignored: colour, Warehouse.",)
    assert scan.layout.ignored_columns == ("colour", "Warehouse")
    assert rows[0].product_data == EXPECTED
    assert rows[0].cells == ("P-1", "Mouse", "Electronics", "SKU-1", "9.99", "3", "red", "W1")


def test_a_long_list_of_ignored_columns_is_shortened_in_the_note() -> None:
    extra = [f"extra{n}" for n in range(25)]
    scan, _ = read(lines(",".join([HEADER, *extra]), ",".join([ROW, *["x"] * 25])))
    assert scan.notes == (f"These columns were ignored: {', '.join(extra[:10])} and 15 more.",)


def test_cells_keep_the_values_as_read_and_product_data_is_trimmed() -> None:
    _, rows = read(lines(HEADER, "P-1,  Mouse  ,Electronics,SKU-1,9.99,3"))
    assert rows[0].cells[1] == "Mouse  "  # spaces right after a delimiter are skipped (skipinitialspace)
    assert rows[0].product_data["product_name"] == "Mouse"


FIELD_COUNTS = {
    "too few cells": ("P-2,Mouse,Electronics", (ErrorCode.WRONG_FIELD_COUNT,)),
    "too many cells": (f"{ROW},extra", (ErrorCode.WRONG_FIELD_COUNT,)),
    "an unquoted delimiter in a value": ("P-2,Mouse, wireless,Electronics,SKU-2,9.99,3",
                                         (ErrorCode.WRONG_FIELD_COUNT,)),
    "empty cells past the header (trailing delimiters)": (f"{ROW},,", ()),
    "blank but present cells": ("P-2,,,,,", ()),
}


@pytest.mark.parametrize(("row", "codes"), FIELD_COUNTS.values(), ids=FIELD_COUNTS.keys())
def test_a_row_with_the_wrong_number_of_cells_is_a_row_problem_and_the_rest_is_read(
    row: str, codes: tuple[ErrorCode, ...]
) -> None:
    scan, rows = read(lines(HEADER, ROW, row, ROW))
    assert scan.data_rows == 3
    assert [tuple(p.code for p in r.problems) for r in rows] == [(), codes, ()]
    assert rows[2].product_data == EXPECTED
    for problem in rows[1].problems:
        assert (problem.row_number, problem.field) == (2, "")
        assert "the header has 6" in problem.message


def test_a_short_row_keeps_the_columns_it_has() -> None:
    _, rows = read(lines(HEADER, "P-2,Mouse"))
    assert rows[0].product_data == {"vendor_product_id": "P-2", "product_name": "Mouse"}
    assert "This row has 2 cells but the header has 6" in rows[0].problems[0].message


# -- xlsx ---------------------------------------------------------------------------------------


def test_xlsx_first_sheet_reads_like_csv() -> None:
    data = xlsx([
        HEADER_CELLS,
        ["P-1", "Mouse", "Electronics", "SKU-1", 9.99, 3],
        [None] * 6,
        ["P-2", "Desk", "Electronics", "SKU-2", 120.0, 0, "ignored"],
        ["P-3", "Lamp", "Electronics"],
    ])

    scan, rows = read(data, "catalog.xlsx")

    assert (scan.layout.kind, scan.layout.compression, scan.data_rows) == ("xlsx", None, 3)
    assert rows[0].product_data == EXPECTED
    assert rows[1].problems[0].code is ErrorCode.WRONG_FIELD_COUNT  # a value under no header
    assert rows[2].product_data["price"] == ""  # a spreadsheet stores no empty cells at a row's end
    assert rows[2].problems == ()


XLSX_VALUES = {
    "empty": (None, ""),
    "integer": (12, "12"),
    "integral float": (12.0, "12"),
    "decimal": (19.99, "19.99"),
    "tiny decimal, no exponent": (1e-05, "0.00001"),
    "large integral float": (1e16, "10000000000000000"),
    "text with spaces": ("  hello ", "hello"),
    "boolean": (True, "TRUE"),
    "date": (date(2025, 1, 2), "2025-01-02"),
    "date and time": (datetime(2025, 1, 2, 10, 30), "2025-01-02T10:30:00"),
}


@pytest.mark.parametrize(("value", "text"), XLSX_VALUES.values(), ids=XLSX_VALUES.keys())
def test_xlsx_cells_become_the_text_a_csv_export_would_hold(value: object, text: str) -> None:
    workbook = xlsx([[*HEADER_CELLS, "description"], ["P-1", "M", "E", "S", "1", "1", value]])
    _, rows = read(workbook, "catalog.xlsx")
    assert rows[0].product_data["description"] == text


def test_xlsx_is_spooled_from_a_stream_that_cannot_seek() -> None:
    data = xlsx([HEADER_CELLS, ["P-1", "Mouse", "Electronics", "SKU-1", 9.99, 3]])

    scan = scan_file(trickling(data), "catalog.xlsx", LIMITS)
    rows = list(read_rows(trickling(data), scan, LIMITS))

    assert [r.product_data for r in rows] == [EXPECTED]


def test_a_csv_file_named_xlsx_is_read_as_csv() -> None:
    scan, rows = read(lines(HEADER, ROW), "catalog.xlsx")
    assert (scan.layout.kind, rows[0].product_data) == ("csv", EXPECTED)


# -- what is rejected ---------------------------------------------------------------------------


def _zip_bomb_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([HEADER_CELLS]))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for entry in source.infolist():
            bomb.writestr(entry, source.read(entry.filename))
        bomb.writestr("xl/media/padding.bin", bytes(25_000_000))
    return out.getvalue()


REJECTED = {
    "empty": (b"", "catalog.csv", ErrorCode.EMPTY_FILE),
    "only whitespace and a BOM": (codecs.BOM_UTF8 + b"\n \r\n\t", "catalog.csv", ErrorCode.EMPTY_FILE),
    "only a UTF-16 BOM": (codecs.BOM_UTF16_LE, "catalog.csv", ErrorCode.EMPTY_FILE),
    "only delimiters": (lines(",,,", " , ,"), "catalog.csv", ErrorCode.EMPTY_FILE),
    "an empty gzip": (gzip.compress(b""), "catalog.csv.gz", ErrorCode.EMPTY_FILE),
    "an empty workbook": (xlsx([]), "catalog.xlsx", ErrorCode.EMPTY_FILE),
    "header only": (lines(HEADER), "catalog.csv", ErrorCode.NO_DATA_ROWS),
    "header and blank rows": (lines(HEADER, ",,,,,", "", "  "), "catalog.csv", ErrorCode.NO_DATA_ROWS),
    "workbook with a header only": (xlsx([HEADER_CELLS, [None] * 6]), "catalog.xlsx", ErrorCode.NO_DATA_ROWS),
    "missing a required column": (lines("vendor_product_id,product_name,category,sku,qty", "P,N,C,S,1"),
                                  "catalog.csv", ErrorCode.MISSING_COLUMNS),
    "a title line above the header": (lines("Catalog export, May", HEADER, ROW), "catalog.csv",
                                      ErrorCode.MISSING_COLUMNS),
    "duplicate header names": (lines(f"{HEADER},SKU", f"{ROW},x"), "c.csv", ErrorCode.DUPLICATE_COLUMNS),
    "duplicate via an alias": (lines(f"{HEADER},qty", f"{ROW},1"), "c.csv", ErrorCode.DUPLICATE_COLUMNS),
    "duplicate ignored names": (lines(f"{HEADER},Notes,notes", f"{ROW},a,b"), "catalog.csv",
                                ErrorCode.DUPLICATE_COLUMNS),
    "PNG header and NUL bytes": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "catalog.csv",
                                 ErrorCode.NOT_TEXT),
    "NUL bytes after a header": (lines(HEADER) + b"\x00\x01\x02" * 50, "catalog.csv", ErrorCode.NOT_TEXT),
    "control characters": (bytes(range(1, 32)) * 20, "catalog.csv", ErrorCode.NOT_TEXT),
    "a PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "catalog.csv", ErrorCode.NOT_TEXT),
    "a workbook named .csv": (xlsx([HEADER_CELLS]), "catalog.csv", ErrorCode.NOT_TEXT),
    "an old .xls workbook": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "c.xlsx", ErrorCode.NOT_TEXT),
    "gzip inside gzip": (gzip.compress(gzip.compress(lines(HEADER, ROW))), "c.csv.gz", ErrorCode.NOT_TEXT),
    "a quote never closed": (lines(HEADER, ROW, 'P-2,"Mouse,Electronics,SKU-2,9.99,3', ROW), "catalog.csv",
                             ErrorCode.UNCLOSED_QUOTE),
    "a quote closed by a later row's quote": (lines(HEADER, 'P-2,"Mouse,E,S,1,3', ROW, 'P-3,"Desk",E,S,1,3'),
                                              "catalog.csv", ErrorCode.UNCLOSED_QUOTE),
    "text after a closing quote": (lines(HEADER, 'P-1,"27" monitor",Electronics,SKU-1,9.99,3'), "catalog.csv",
                                   ErrorCode.UNCLOSED_QUOTE),
    "a corrupt workbook": (b"PK\x03\x04" + b"garbage" * 20, "catalog.xlsx", ErrorCode.UNREADABLE_FILE),
    "a workbook cut short": (xlsx([HEADER_CELLS, ROW.split(",")])[:-200], "catalog.xlsx",
                             ErrorCode.UNREADABLE_FILE),
    "a gzip cut short": (gzip.compress(lines(HEADER, *[ROW] * 200))[:-40], "catalog.csv.gz",
                         ErrorCode.UNREADABLE_FILE),
    "a workbook that unpacks past the limit": (_zip_bomb_workbook(), "c.xlsx", ErrorCode.FILE_TOO_LARGE),
}


@pytest.mark.parametrize(("data", "name", "code"), REJECTED.values(), ids=REJECTED.keys())
def test_broken_files_are_rejected_with_a_precise_code_and_a_sentence(
    data: bytes, name: str, code: ErrorCode
) -> None:
    error = rejected(data, name)
    assert error.code is code
    assert error.message[0].isupper() and error.message.endswith(".")


def test_the_missing_columns_are_named() -> None:
    error = rejected(lines("Vendor Product ID,product_name,category,stock_quantity", "P,N,C,1"))
    assert error.field == "sku,price"
    assert "sku, price" in error.message and "Vendor Product ID" in error.message


def test_duplicate_columns_are_all_named() -> None:
    error = rejected(lines(f"{HEADER},SKU,Quantity", f"{ROW},x,1"))
    assert error.field == "sku,stock_quantity"
    assert "'sku' and 'SKU'" in error.message and "'stock_quantity' and 'Quantity'" in error.message


def test_not_text_says_what_the_file_looks_like() -> None:
    assert "a PDF document" in rejected(b"%PDF-1.7\n" + bytes(100)).message
    assert "must be named .xlsx" in rejected(xlsx([HEADER_CELLS]), "catalog.csv").message


def test_an_unclosed_quote_names_the_line_where_it_opened() -> None:
    error = rejected(lines(HEADER, ROW, 'P-2,"Mouse,Electronics,SKU-2,9.99,3', ROW, ROW))
    assert "line 3" in error.message


def test_text_after_a_closing_quote_names_its_line_and_the_fix() -> None:
    error = rejected(lines(HEADER, ROW, 'P-2,"27" monitor",Electronics,SKU-2,9.99,3'))
    assert "On line 3" in error.message and '""' in error.message


def test_bytes_that_are_not_utf8_after_utf8_text_fail_naming_the_line() -> None:
    start = lines(HEADER, "P-0,Café,Electronics,SKU-0,9.99,3")  # real UTF-8: the encoding is no guess
    data = start + lines(*[ROW] * 5000) + b"P-2,Caf\xe9,Electronics,SKU-2,9.99,3\n"

    error = rejected(data, limits=Limits(5_000_000, 10_000, 10_000))

    assert error.code is ErrorCode.UNREADABLE_FILE
    assert "near line 5,003" in error.message


# -- limits -------------------------------------------------------------------------------------

SMALL = Limits(max_file_bytes=5_000_000, max_rows=10, max_cell_chars=100)
LIMITED = {
    "more rows than the limit": (lines(HEADER, *[ROW] * 11), SMALL, ErrorCode.TOO_MANY_ROWS),
    "rows up to the limit are fine": (lines(HEADER, *[ROW] * 10), SMALL, None),
    "a cell over the limit": (lines(HEADER, f"P-1,{'x' * 101},E,S,1,1"), SMALL, ErrorCode.CELL_TOO_LARGE),
    "a cell at the limit is fine": (lines(HEADER, f"P-1,{'x' * 100},E,S,1,1"), SMALL, None),
    "a megabyte in one quoted cell": (lines(HEADER, f'P-1,"{"y" * 1_000_000}",E,S,1,1'), LIMITS,
                                      ErrorCode.CELL_TOO_LARGE),
    "a megabyte in one unquoted cell": (lines(HEADER, f"P-1,{'y' * 1_000_000},E,S,1,1"), LIMITS,
                                        ErrorCode.CELL_TOO_LARGE),
    "a line of two million delimiters": (lines(HEADER, "," * 2_000_000), LIMITS, ErrorCode.CELL_TOO_LARGE),
    "a quote left open over many lines": (lines(HEADER, 'P-0,"x,E,S,1,1', *[ROW] * 10_000),
                                          Limits(5_000_000, 100_000, 10_000), ErrorCode.UNCLOSED_QUOTE),
    "a file over the size limit": (lines(HEADER, *[ROW] * 9), Limits(300, 10, 100), ErrorCode.FILE_TOO_LARGE),
    "a gzip that inflates past the size limit": (gzip.compress(lines(HEADER, *[ROW] * 200_000)),
                                                 Limits(1_000_000, 1_000_000, 100), ErrorCode.FILE_TOO_LARGE),
    "a workbook cell over the limit": (xlsx([HEADER_CELLS, ["P-1", "x" * 101, "E", "S", 1, 1]]), SMALL,
                                       ErrorCode.CELL_TOO_LARGE),
    "more workbook rows than the limit": (xlsx([HEADER_CELLS, *[ROW.split(",")] * 11]), SMALL,
                                          ErrorCode.TOO_MANY_ROWS),
}


@pytest.mark.parametrize(("data", "limits", "code"), LIMITED.values(), ids=LIMITED.keys())
def test_limits_fail_the_file_with_their_code(data: bytes, limits: Limits, code: ErrorCode | None) -> None:
    name = "catalog.xlsx" if data.startswith(b"PK") else "catalog.csv"
    if code is None:
        assert read(data, name, limits)[0].data_rows > 0
    else:
        assert rejected(data, name, limits).code is code


def test_a_cell_over_the_limit_is_named_by_row_line_and_column() -> None:
    error = rejected(lines(HEADER, ROW, "", f"P-2,{'x' * 20_000},Electronics,SKU-2,1,1"))
    assert error.message.startswith("Product row 2 (line 4 of the file), column 'product_name', has 20,000")
    assert error.field == "product_name"


def test_the_row_limit_stops_the_scan_early() -> None:
    data = lines(HEADER, *[ROW] * 100_000)
    opened: list[TrickleStream] = []

    def open_stream() -> BinaryIO:
        opened.append(TrickleStream(data))
        return cast(BinaryIO, opened[-1])

    with pytest.raises(FileRejected) as caught:
        scan_file(open_stream, "catalog.csv", Limits(50_000_000, 10, 100))
    assert caught.value.code is ErrorCode.TOO_MANY_ROWS
    assert max(stream.bytes_read for stream in opened) < 100_000  # of about 3.6 MB


def test_reading_leaves_the_csv_modules_global_field_limit_alone() -> None:
    before = csv.field_size_limit()
    read(lines(HEADER, ROW), limits=Limits(5_000_000, 10, 1_000_000))
    rejected(lines(HEADER, f"P-1,{'y' * 200_000},E,S,1,1"))
    assert csv.field_size_limit() == before


# -- the storage stream -------------------------------------------------------------------------


def test_a_stream_that_cannot_seek_and_returns_short_reads_is_read_whole() -> None:
    data = lines(HEADER, *[ROW] * 900)
    scan = scan_file(trickling(data), "catalog.csv", LIMITS)
    rows = list(read_rows(trickling(data), scan, LIMITS))
    assert (scan.data_rows, len(rows), rows[-1].product_data) == (900, 900, EXPECTED)


def test_a_failing_storage_stream_is_not_blamed_on_the_file() -> None:
    data = lines(HEADER, *[ROW] * 900)
    with pytest.raises(ConnectionResetError):  # the pipeline retries; a rejection would be final
        scan_file(trickling(data, fail_after=20_000), "catalog.csv", LIMITS)


def test_a_storage_stream_that_fails_during_the_second_pass_raises_its_own_error() -> None:
    data = lines(HEADER, *[ROW] * 900)
    scan = scan_file(lambda: io.BytesIO(data), "catalog.csv", LIMITS)
    with pytest.raises(ConnectionResetError):
        list(read_rows(trickling(data, fail_after=20_000), scan, LIMITS))
