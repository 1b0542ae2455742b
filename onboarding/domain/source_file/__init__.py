"""What a vendor's catalog file is, once read: its layout, its rows, and what we tell the vendor about it.

Pure decisions only (no I/O): `sniffing` names the format from the first bytes, `layout` maps the
header to our columns and cells to rows, `wording` says what went wrong. Opening, decompressing and
spooling the stored bytes is `onboarding.reading`'s job.
"""

from onboarding.domain.source_file.layout import FileLayout, FileScan, Limits, OpenStream, SourceRow
from onboarding.domain.source_file.sniffing import DELIMITERS, SAMPLE_BYTES

__all__ = ["DELIMITERS", "SAMPLE_BYTES", "FileLayout", "FileScan", "Limits", "OpenStream", "SourceRow"]
