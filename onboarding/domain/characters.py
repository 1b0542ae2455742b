"""Characters the stores and channels behind the pipeline cannot carry.

PostgreSQL's text and jsonb refuse NUL; JSON and UTF-8 cannot hold lone surrogates; SNS accepts only XML 1.0
characters (tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF). The union of what they refuse is
`UNCARRIED`: a vendor's cell holding one is a row error, and any text that reaches a store or an email
anyway has them replaced.
"""

from __future__ import annotations

import re
import unicodedata

UNCARRIED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"

# In a name (a file name, a log line, one line of the local mailbox): no control character of any kind
# (C0, DEL, C1), no Unicode line or paragraph separator, and no bidi control (which can make `report\u202ecsv.exe`
# display as `reportexe.csv` in an email).
_NOT_IN_A_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def first_uncarried(text: str) -> str | None:
    found = UNCARRIED.search(text)
    return found.group() if found else None


def carried(text: str) -> str:
    """`text` with every character some store or SNS refuses replaced by U+FFFD."""
    return UNCARRIED.sub(REPLACEMENT, text)


def first_not_in_a_name(text: str) -> str | None:
    found = _NOT_IN_A_NAME.search(text)
    return found.group() if found else None


def first_invisible(text: str) -> str | None:
    """A format character (zero-width space and joiners, word joiner, BOM, bidi controls): invisible in a value."""
    return next((ch for ch in text if unicodedata.category(ch) == "Cf"), None)


def described(char: str) -> str:
    """How a message names a character: its code point, and its Unicode name when it has one."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")
