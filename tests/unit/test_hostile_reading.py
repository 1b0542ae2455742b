"""Hostile or careless files, round 2: what the stores behind the reader cannot carry is refused at the door,
row by row, and no file amplifies into far more than it holds."""

from __future__ import annotations

import io
from collections.abc import Sequence

import openpyxl
import pytest

from onboarding.domain.errors import ErrorCode, FileRejected, RowError
from onboarding.domain.source_file import SAMPLE_BYTES, FileScan, Limits, SourceRow
from onboarding.reading import read_rows, scan_file

LIMITS = Limits(max_file_bytes=5_000_000, max_rows=10_000, max_cell_chars=10_000)
HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity"


def read(data: bytes, name: str = "catalog.csv", limits: Limits = LIMITS) -> tuple[FileScan, list[SourceRow]]:
    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    scan = scan_file(open_stream, name, limits)
    return scan, list(read_rows(open_stream, scan, limits))


def row_line(n: int, name: str = "Mouse") -> str:
    return f"P-{n},{name},Electronics,SKU-{n},9.99,3"


def ascii_rows_past_the_sample(start: int = 1) -> tuple[list[str], int]:
    """Plain rows until the file is past the sniffed sample; returns them and the next row number."""
    rows, size, n = [], len(HEADER) + 1, start
    while size <= SAMPLE_BYTES + 1000:
        line = row_line(n)
        rows.append(line)
        size += len(line) + 1
        n += 1
    return rows, n


def codes(row: SourceRow) -> list[tuple[ErrorCode, str]]:
    return [(p.code, p.field) for p in row.problems]


def xlsx(rows: Sequence[Sequence[object]], extra_sheets: Sequence[str] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for title in extra_sheets:
        workbook.create_sheet(title)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- defect 1: characters the stores refuse, anywhere in the file ---------------------------------


def test_a_nul_byte_far_past_the_sniffed_head_is_a_row_error_naming_its_column() -> None:
    rows, n = ascii_rows_past_the_sample()
    data = "\n".join([HEADER, *rows, f"P-{n},Mou\x00se,Electronics,SKU-{n},9.99,3", row_line(n + 1)]).encode()

    scan, read_back = read(data)

    assert scan.data_rows == n + 1
    poisoned = read_back[n - 1]
    assert codes(poisoned) == [(ErrorCode.INVALID_CHARACTER, "product_name")]
    assert "\x00" not in poisoned.product_data["product_name"] and all("\x00" not in c for c in poisoned.cells)
    assert [codes(r) for r in read_back if r is not poisoned] == [[]] * n


@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x1b", "\ufffe", "\uffff"])
def test_control_characters_no_store_or_email_carries_are_row_errors(char: str) -> None:
    _, read_back = read(f"{HEADER}\nP-1,Mouse,Elec{char}tronics,SKU-1,9.99,3\n{row_line(2)}\n".encode())
    assert [codes(r) for r in read_back] == [[(ErrorCode.INVALID_CHARACTER, "category")], []]
    assert char not in read_back[0].product_data["category"]


def test_tabs_and_line_breaks_inside_a_quoted_cell_are_ordinary_text() -> None:
    _, read_back = read(f'{HEADER}\nP-1,"Mouse\twith\nwheel",Electronics,SKU-1,9.99,3\n'.encode())
    assert codes(read_back[0]) == []


def test_an_invalid_character_in_a_column_we_ignore_names_the_vendors_header() -> None:
    _, read_back = read(f"{HEADER},notes\n{row_line(1)},bad\x07bell\n".encode())
    assert codes(read_back[0]) == [(ErrorCode.INVALID_CHARACTER, "notes")]


def test_a_header_cell_with_a_control_character_fails_the_file() -> None:
    with pytest.raises(FileRejected) as rejected:
        read(f"{HEADER},no\x1btes\n{row_line(1)},x\n".encode())
    assert rejected.value.code is ErrorCode.INVALID_CHARACTER


def test_a_workbooks_escaped_control_character_stays_plain_text() -> None:
    # XML cannot hold control characters: a workbook writes them as _xHHHH_, which is read as the text it is.
    _, read_back = read(xlsx([HEADER.split(","), ["P-1", "Mouse", "Electronics", "SKU_x0001_-1", 9.99, 3]]),
                        "catalog.xlsx")
    assert (codes(read_back[0]), read_back[0].product_data["sku"]) == ([], "SKU_x0001_-1")


# -- defect 5: sparse workbooks and blank rows ----------------------------------------------------


def test_workbook_rows_are_cut_past_the_header_and_the_cut_is_reported_once() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    for n in range(1, 201):
        sheet.append([f"P-{n}", "Mouse", "Electronics", f"SKU-{n}", 9.99, 3])
        sheet.cell(row=n + 1, column=16_384, value="x")  # column XFD
    out = io.BytesIO()
    workbook.save(out)

    scan, read_back = read(out.getvalue(), "catalog.xlsx")

    assert scan.data_rows == 200
    assert max(len(r.cells) for r in read_back) <= 6 + 10
    assert all(ErrorCode.WRONG_FIELD_COUNT in {p.code for p in r.problems} for r in read_back)
    notes_about_the_cut = [note for note in scan.notes if "200" in note]
    assert len(notes_about_the_cut) == 1, scan.notes


def test_blank_workbook_rows_count_toward_the_row_limit() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["P-1", "Mouse", "Electronics", "SKU-1", 9.99, 3])
    for n in range(3, 3000):  # styled but empty rows: stored as <row> elements with nothing in them
        sheet.row_dimensions[n].height = 20
        sheet.cell(row=n, column=1).style = "Normal"
    sheet.append(["P-2", "Mouse", "Electronics", "SKU-2", 9.99, 3])
    out = io.BytesIO()
    workbook.save(out)

    with pytest.raises(FileRejected) as rejected:
        read(out.getvalue(), "catalog.xlsx", Limits(5_000_000, max_rows=1000, max_cell_chars=10_000))
    assert rejected.value.code is ErrorCode.TOO_MANY_ROWS
    assert "blank" in rejected.value.message


def test_a_few_blank_lines_between_rows_are_still_fine() -> None:
    scan, _ = read(f"{HEADER}\n\n{row_line(1)}\n\n\n{row_line(2)}\n".encode())
    assert scan.data_rows == 2


# -- defect 6: rows over what DynamoDB (and SQS) can carry ----------------------------------------


def test_a_row_too_large_to_store_is_a_row_error_and_the_rest_of_the_file_proceeds() -> None:
    huge = "😀" * 9_000  # 36 KB a cell, six cells: well over what one stored row may hold
    data = f"{HEADER}\n{row_line(1)}\nP-2,{huge},{huge},{huge},{huge},{huge}\n{row_line(3)}\n".encode()

    _, read_back = read(data)

    assert [codes(r) for r in read_back] == [[], [(ErrorCode.ROW_TOO_LARGE, "")], []]
    stored = read_back[1]
    assert sum(len(c.encode()) for c in stored.cells) + sum(len(v.encode()) for v in stored.product_data.values()) \
        < 50_000


# -- defect 7: silent mojibake ---------------------------------------------------------------------


def test_a_late_non_utf8_byte_after_an_ascii_head_fails_the_file_with_its_line() -> None:
    rows, n = ascii_rows_past_the_sample()
    data = ("\n".join([HEADER, *rows]) + "\n").encode() + f"P-{n},Caf".encode() + b"\xe9,Electronics,S,9.99,3\n"

    with pytest.raises(FileRejected) as rejected:
        read(data)

    assert rejected.value.code is ErrorCode.UNREADABLE_FILE
    assert f"line {n + 1:,}" in rejected.value.message


# -- decisions: formulas without a value, extra sheets, SKUs -------------------------------------


def test_a_formula_cell_saved_without_its_value_is_a_specific_row_error() -> None:
    data = xlsx([HEADER.split(","), ["P-1", "Mouse", "Electronics", "SKU-1", "=2*5", 3],
                 ["P-2", "Mouse", "Electronics", "SKU-2", 9.99, 3]])
    _, read_back = read(data, "catalog.xlsx")
    assert [codes(r) for r in read_back] == [[(ErrorCode.UNCALCULATED_FORMULA, "price")], []]
    assert "spreadsheet" in read_back[0].problems[0].message


def test_a_workbooks_other_sheets_are_named_in_a_note() -> None:
    scan, _ = read(xlsx([HEADER.split(","), ["P-1", "Mouse", "Electronics", "SKU-1", 9.99, 3]],
                        extra_sheets=["Prices 2024", "Notes"]), "catalog.xlsx")
    assert any("Prices 2024" in note and "Notes" in note for note in scan.notes), scan.notes


def test_skus_are_compared_in_nfkc_form() -> None:
    _, read_back = read(f"{HEADER}\nP-1,Mouse,Electronics,\uff33\uff2b\uff35\uff0d\uff11,9.99,3\n".encode())
    assert read_back[0].product_data["sku"] == "SKU-1"
    assert read_back[0].cells[3] == "\uff33\uff2b\uff35\uff0d\uff11"  # the report shows the row as written


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u202e"])
def test_a_sku_with_invisible_format_characters_is_refused(invisible: str) -> None:
    _, read_back = read(f"{HEADER}\nP-1,Mouse,Electronics,SKU{invisible}-1,9.99,3\n".encode())
    assert codes(read_back[0]) == [(ErrorCode.INVALID_CHARACTER, "sku")]


def test_row_errors_found_while_reading_carry_the_row_number() -> None:
    _, read_back = read(f"{HEADER}\n{row_line(1)}\nP-2,Mouse,Electronics,SKU-2,9.99,3\x01\n".encode())
    problem: RowError = read_back[1].problems[0]
    assert (problem.row_number, problem.code, problem.field) == (2, ErrorCode.INVALID_CHARACTER, "stock_quantity")
