"""What kind of file: compression, kind, encoding and delimiter, from the first bytes and the header line."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from onboarding.domain.columns import REQUIRED_COLUMNS, canonical_column
from onboarding.domain.errors import ErrorCode, FileRejected

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024

CSV = "csv"
XLSX = "xlsx"
GZIP = "gzip"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# What a file that is not text usually turns out to be, so the vendor learns what they sent.
_BINARY_KINDS = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    ZIP_MAGIC: "a ZIP archive (an Excel workbook must be named .xlsx)",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Office file (save it as .xlsx or CSV)",
    GZIP_MAGIC: "a file compressed twice",
    b"\x7fELF": "a program",
}


@dataclass(frozen=True)
class Format:
    """What the first bytes say about the whole file."""

    kind: str
    compression: str | None
    encoding: str
    delimiter: str


def is_workbook(head: bytes, file_name: str) -> bool:
    return head.startswith(ZIP_MAGIC) and file_name.lower().endswith(".xlsx")


def compression_of(head: bytes) -> str | None:
    return GZIP if head.startswith(GZIP_MAGIC) else None


def text_format(head: bytes, compression: str | None) -> Format:
    """The format of a text file whose (decompressed) first bytes are `head`; rejects what is not text."""
    _refuse_binary(head)
    truncated = len(head) == SAMPLE_BYTES
    encoding = _detect_encoding(head, truncated)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=not truncated)
    _refuse_unprintable(sample)
    return Format(CSV, compression, encoding, _detect_delimiter(sample))


def _refuse_binary(head: bytes) -> None:
    for magic, kind in _BINARY_KINDS.items():
        if head.startswith(magic):
            raise _not_text(f"it looks like {kind}")


def _detect_encoding(head: bytes, truncated: bool) -> str:
    """The encoding. UTF-8 from a start that is plain ASCII is final: a later byte that is not UTF-8 fails
    the file with its line (re-reading the whole file as Windows-1252 would silently corrupt every accented
    letter if the file was UTF-8 after all, with one stray byte)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise _not_text("it contains NUL bytes, as binary files (and UTF-16 without a BOM) do")
    if _is_utf8(head, truncated):
        return "utf-8"
    # Not UTF-8: in practice a Windows export, and Windows-1252 also reads Latin-1's letters. Whether it
    # is text at all is left to `_refuse_unprintable`: charset-normalizer, tried here, rejected valid
    # Windows-1252 and named short samples as cp1250 or EBCDIC, so it could only add false rejections.
    return "cp1252"


def _is_utf8(head: bytes, truncated: bool) -> bool:
    """Strict UTF-8; a character cut in half at the end is fine only if the file goes on."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=not truncated)
    except UnicodeDecodeError:
        return False
    return True


def _refuse_unprintable(sample: str) -> None:
    unprintable = sum(1 for char in sample if _is_unprintable(char))
    if "\x00" in sample or unprintable * 20 > len(sample):
        raise _not_text("most of it is not printable text")


def _is_unprintable(char: str) -> bool:
    return (char < " " and char not in "\t\r\n") or char in "\x7f\ufffd"


def _not_text(reason: str) -> FileRejected:
    return FileRejected(
        ErrorCode.NOT_TEXT,
        f"The file is not a text (CSV) file: {reason}. "
        "Upload a CSV file saved as UTF-8, a .csv.gz or an .xlsx workbook.",
    )


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the header row into the most of our columns, then the most cells."""

    def score(delimiter: str) -> tuple[int, int, int]:
        header = _first_record(sample, delimiter)
        columns = {canonical_column(cell) for cell in header} - {None}
        return len(columns & set(REQUIRED_COLUMNS)), len(columns), len(header)

    scores = {delimiter: score(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=scores.__getitem__)
    # No column of ours under any delimiter: the header is shown to the vendor as written.
    return best if scores[best][1] else DELIMITERS[0]


def _first_record(sample: str, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, skipinitialspace=True)
    try:
        return next((cells for cells in reader if any(cell.strip() for cell in cells)), [])
    except csv.Error:
        return []
