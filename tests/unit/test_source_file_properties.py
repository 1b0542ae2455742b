"""Properties of the reader: any bytes are read or rejected, never a crash; valid rows survive any dialect."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import unicodedata

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.errors import FileRejected
from onboarding.domain.formula_guard import unguard_cell
from onboarding.domain.source_file import Limits
from onboarding.reading import read_rows, scan_file

LIMITS = Limits(max_file_bytes=1_000_000, max_rows=500, max_cell_chars=2_000)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_CSV = (
    "vendor_product_id,product_name,category,sku,price,stock_quantity\r\n"
    'P-1,"Mouse, ""pro""\nwireless",Electronics,SKU-1,9.99,3\r\n'
    "P-2,Café,Electronics,SKU-2,1,1\r\n"
).encode()


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few bytes overwritten, inserted or cut: close enough to valid to reach the parser."""
    result = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(result)))
        byte = draw(st.one_of(st.sampled_from(b'\x00",\n\r\xe9\xff'), st.integers(0, 255)))
        action = draw(st.sampled_from(["overwrite", "insert", "cut"]))
        if action == "insert" or at == len(result):
            result.insert(at, byte)
        elif action == "overwrite":
            result[at] = byte
        else:
            del result[at:]
    return bytes(result)


PREFIXES = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x1f\x8b", b"PK\x03\x04"]
ANY_BYTES = st.one_of(
    st.binary(max_size=2_000),
    st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=500)).map(b"".join),
    mutated(VALID_CSV),
    mutated(VALID_CSV).map(gzip.compress),
    mutated(gzip.compress(VALID_CSV)),
    mutated(VALID_CSV.decode().encode("utf-16")),
)


@FAST
@given(data=ANY_BYTES, name=st.sampled_from(["catalog.csv", "catalog.csv.gz", "catalog.xlsx"]))
def test_any_bytes_are_read_or_rejected_never_a_crash(data: bytes, name: str) -> None:
    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    field_limit = csv.field_size_limit()
    try:
        scan = scan_file(open_stream, name, LIMITS)
    except FileRejected as rejection:
        assert rejection.message.endswith(".")
        return
    finally:
        assert csv.field_size_limit() == field_limit

    rows = list(read_rows(open_stream, scan, LIMITS))

    assert len(rows) == scan.data_rows
    assert [row.row_number for row in rows] == list(range(1, scan.data_rows + 1))


# Windows-1252 can hold every character here, so one strategy serves every encoding. No lone "\r":
# csv.writer leaves it unquoted unless it is in the line terminator, and a bare CR ends a line.
TYPOGRAPHY = "\u2013\u2019\u201c\u201d\u2026"  # dash, curly quotes, ellipsis: as word processors write them
CELL_CHARACTERS = st.sampled_from(list("abcXYZ 019,;|\t\"'\n-_.éÉèüÜßñçà€£©°" + TYPOGRAPHY))
CELL = st.text(alphabet=CELL_CHARACTERS, max_size=20)
PRODUCT = st.fixed_dictionaries(
    {column: CELL.filter(str.strip) if column == "vendor_product_id" else CELL for column in CSV_COLUMNS}
)


@FAST
@example(  # an unquoted cell of spaces, a quote and a trigger: the reader skips the spaces (found by hypothesis)
    products=[{**dict.fromkeys(CSV_COLUMNS, ""), "vendor_product_id": "0", "image_url": " '\t"}],
    delimiter=",", quote_all=False, line_end="\n", encoding="utf-8",
)
@given(
    products=st.lists(PRODUCT, min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\r\n", "\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_rows_written_in_any_dialect_read_back_the_same(
    products: list[dict[str, str]], delimiter: str, quote_all: bool, line_end: str, encoding: str
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[product[column] for column in CSV_COLUMNS] for product in products])
    data = out.getvalue().encode(encoding)
    if encoding == "cp1252":
        # Some Windows-1252 byte runs are valid UTF-8 too ("ß€" is U+07C0): no reader can tell those apart.
        assume(not _is_utf8(data))

    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    scan = scan_file(open_stream, "catalog.csv", LIMITS)
    rows = list(read_rows(open_stream, scan, LIMITS))

    assert scan.data_rows == len(products)
    # Any upload removes the error report's formula guard (`'-x` is read as `-x`): see formula_guard.py.
    # SKUs are compared in NFKC form (an ellipsis is three dots): see source_file/layout.py.
    assert [row.product_data for row in rows] == [
        {column: _nfkc_sku(column, unguard_cell(_as_read(value, delimiter, quote_all)).strip())
         for column, value in product.items()}
        for product in products
    ]
    assert all(row.problems == () for row in rows)


def _as_read(value: str, delimiter: str, quote_all: bool) -> str:
    """The cell as the csv reader hands it over: csv.writer quotes a cell (QUOTE_MINIMAL) only when it holds the
    delimiter, a double quote or a line break, and the reader skips the spaces before an unquoted cell
    (skipinitialspace, for hand-written files such as `a, "b, c"`). So ` '-x` unquoted is read as `'-x`, a
    guarded `-x`, as every upload of that file reads it."""
    quoted = quote_all or any(special in value for special in (delimiter, '"', "\r", "\n"))
    return value if quoted else value.lstrip(" ")


def _nfkc_sku(column: str, value: str) -> str:
    return unicodedata.normalize("NFKC", value) if column == "sku" else value


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
