"""Reading a vendor's catalog file: from stored bytes to rows keyed by our column names.

Two passes, both streaming, so memory stays flat whatever the file's size:

1. `scan_file` sniffs the format from the first 64 KiB (gzip or not, xlsx or CSV, encoding,
   delimiter), then reads the whole file once to check its structure and count its data rows.
   A broken file fails as a whole, with one `FileRejected`, before anything is written, and the
   upload's row count is known up front.
2. `read_rows` reads the file again in exactly the same way and yields one `SourceRow` per data row.

What a human would call a valid file is accepted: UTF-8 (with or without BOM), UTF-16 with BOM or
Windows-1252; `,` `;` tab or `|` as delimiter (found on the header line); CRLF, LF or CR line ends;
header names in any case, with spaces or underscores, or a known alias; `.csv.gz` and `.xlsx`.
Everything else is rejected with a code and a sentence the vendor can act on.

The decisions (formats, header layout, wording) are the domain's (`onboarding.domain.source_file`);
this package does the reading: `streams` (byte streams with limits, gzip), `csv_records`,
`workbook` (spooled to a temporary file for openpyxl), and `passes` (the two passes above).
"""

from onboarding.reading.passes import read_rows, scan_file

__all__ = ["read_rows", "scan_file"]
