"""What a notification may hold so that SNS accepts it, whatever a vendor's file, header or file name held.

SNS `Publish` (documented limits): the message is at most 256 KB of UTF-8 and holds only XML characters (tab,
LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF); the subject is under 100 characters, printable, with
no line break. A refused Publish would leave the upload unfinished, so every notification is built to fit
(`subject_line`, `message_text`, `fit_lines`), and the notifier checks again before it calls SNS
(`check_publishable`), so the local stack, whose SNS emulator enforces nothing, fails where AWS would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from onboarding.domain.characters import carried, first_uncarried

SNS_MESSAGE_MAX_BYTES = 262_144
SNS_SUBJECT_MAX_CHARS = 99  # "less than 100"
NOTIFICATION_MAX_BYTES = 64 * 1024  # our own cap: a readable email, far under SNS's limit with room for attributes
QUOTED_VALUE_MAX_CHARS = 200  # a cell value quoted in a message
MESSAGE_LINE_MAX_CHARS = 1_000  # one line of an email, whoever wrote the text in it

ELLIPSIS = "…"

_NOT_SUBJECT = re.compile("[^\x20-\x7e]")


class Unpublishable(ValueError):
    """SNS would refuse this notification (the reason says which limit it breaks)."""


def quoted(value: str, limit: int = QUOTED_VALUE_MAX_CHARS) -> str:
    """A vendor's value as a message quotes it: at most `limit` characters, cut with an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + ELLIPSIS


def message_text(text: str) -> str:
    """`text` with every character SNS refuses replaced by U+FFFD."""
    return carried(text)


def subject_line(text: str, keep_end: str = "") -> str:
    """A subject SNS accepts: printable ASCII on one line, under 100 characters. When too long, the middle of
    `text` is shortened so that `keep_end` (what the subject is about, e.g. the outcome) stays whole."""
    clean = _NOT_SUBJECT.sub("?", text + keep_end)
    if len(clean) <= SNS_SUBJECT_MAX_CHARS:
        return clean
    end = _NOT_SUBJECT.sub("?", keep_end)[-(SNS_SUBJECT_MAX_CHARS - 4):]
    start = _NOT_SUBJECT.sub("?", text)[: SNS_SUBJECT_MAX_CHARS - len(end) - 3]
    return start + "..." + end


def fit_lines(
    head: Sequence[str], details: Sequence[str], tail: Sequence[str], more: int, max_bytes: int = NOTIFICATION_MAX_BYTES
) -> str:
    """An email body of `head`, as many `details` lines as fit in `max_bytes`, then `tail`.

    Each line is cut to MESSAGE_LINE_MAX_CHARS and made SNS-safe. `more` is how many further details (errors)
    the full report holds beyond `details`; when it is not zero, or details were left out to fit, a line
    says how many more there are.
    """
    head = [_line(line) for line in head]
    tail = [_line(line) for line in tail]
    kept = [_line(line) for line in details]
    budget = max_bytes - _size(head) - _size(tail)
    while kept and _size(kept) + len(_more_line(more + len(details)).encode()) + 1 > budget:
        kept.pop()
    left_out = more + len(details) - len(kept)
    lines = [*head, *kept, *([_more_line(left_out)] if left_out else []), *tail]
    return "\n".join(lines) + "\n"


def check_publishable(subject: str, message: str) -> None:
    """Raise `Unpublishable` if SNS would refuse this subject or message."""
    if not subject or len(subject) > SNS_SUBJECT_MAX_CHARS:
        raise Unpublishable(f"the subject has {len(subject)} characters; SNS takes 1 to {SNS_SUBJECT_MAX_CHARS}")
    if _NOT_SUBJECT.search(subject):
        raise Unpublishable("the subject has a line break or a character outside printable ASCII")
    size = len(message.encode("utf-8", "surrogatepass"))
    if not message or size > SNS_MESSAGE_MAX_BYTES:
        raise Unpublishable(f"the message has {size:,} bytes; SNS takes 1 to {SNS_MESSAGE_MAX_BYTES:,}")
    if first_uncarried(message) is not None:
        raise Unpublishable("the message has a control character or a code point SNS does not accept")


def _line(text: str) -> str:
    return message_text(quoted(text, MESSAGE_LINE_MAX_CHARS))


def _more_line(count: int) -> str:
    return f"- ... and {count:,} more: see the error report."


def _size(lines: Sequence[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)
