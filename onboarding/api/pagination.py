"""Opaque cursors: the sort key of a page's last item, as URL-safe base64 of JSON."""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from onboarding.api.problems import ApiProblem

INVALID_CURSOR = ApiProblem(
    HTTPStatus.BAD_REQUEST, "INVALID_CURSOR", "The cursor is not one this API gave out; start again without it."
)


def encode_cursor(kind: str, key: Any) -> str:
    raw = json.dumps([kind, key], separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> Any:
    """The sort key inside a cursor of this kind; None without a cursor. Raises INVALID_CURSOR."""
    if not cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise INVALID_CURSOR from error
    if not isinstance(decoded, list) or len(decoded) != 2 or decoded[0] != kind:
        raise INVALID_CURSOR
    return decoded[1]
