"""What travels on the error queue from the parser and the validator to the error processor.

Failed rows are bundled (many rows per message, bounded in bytes) so an upload with thousands of
bad rows costs a handful of `SendMessageBatch` calls, not one message per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from onboarding.domain.errors import RowError


class MessageKind(StrEnum):
    ROW_ERRORS = "row_errors"  # rows that failed validation, with their cells as written
    FILE_ERROR = "file_error"  # the whole file was rejected
    CHECK_UPLOAD = "check_upload"  # progress was made: see whether the upload is complete


def original_row(header: Sequence[str], cells: Sequence[str]) -> dict[str, str]:
    """The row keyed by the vendor's own column names; cells beyond the header are kept as `_extra_N`."""
    row = {name: cell for name, cell in zip(header, cells, strict=False)}
    row.update({f"_extra_{i + 1}": cell for i, cell in enumerate(cells[len(header):])})
    return row


@dataclass(frozen=True)
class FailedRow:
    row_number: int
    cells: tuple[str, ...]
    errors: tuple[RowError, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"row_number": self.row_number, "cells": list(self.cells), "errors": [e.to_dict() for e in self.errors]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailedRow:
        return cls(
            row_number=int(data["row_number"]),
            cells=tuple(str(c) for c in data["cells"]),
            errors=tuple(RowError.from_dict(e) for e in data["errors"]),
        )


@dataclass(frozen=True)
class ErrorQueueMessage:
    kind: MessageKind
    upload_id: str
    vendor_id: str
    rows: tuple[FailedRow, ...] = field(default=())
    file_error: RowError | None = None

    def to_json(self) -> str:
        body: dict[str, Any] = {"kind": str(self.kind), "upload_id": self.upload_id, "vendor_id": self.vendor_id}
        if self.rows:
            body["rows"] = [row.to_dict() for row in self.rows]
        if self.file_error is not None:
            body["file_error"] = self.file_error.to_dict()
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ErrorQueueMessage:
        data = json.loads(text)
        file_error = data.get("file_error")
        return cls(
            kind=MessageKind(data["kind"]),
            upload_id=str(data["upload_id"]),
            vendor_id=str(data["vendor_id"]),
            rows=tuple(FailedRow.from_dict(r) for r in data.get("rows", [])),
            file_error=RowError.from_dict(file_error) if file_error else None,
        )


def bundle_failed_rows(
    upload_id: str, vendor_id: str, rows: Iterable[FailedRow], max_bytes: int
) -> Iterator[ErrorQueueMessage]:
    """Pack failed rows into as few messages as fit under `max_bytes` each."""
    envelope = len(ErrorQueueMessage(MessageKind.ROW_ERRORS, upload_id, vendor_id).to_json()) + 16
    bundle: list[FailedRow] = []
    size = envelope
    for row in rows:
        row_size = len(json.dumps(row.to_dict(), ensure_ascii=False).encode()) + 1
        if bundle and size + row_size > max_bytes:
            yield ErrorQueueMessage(MessageKind.ROW_ERRORS, upload_id, vendor_id, tuple(bundle))
            bundle, size = [], envelope
        bundle.append(row)
        size += row_size
    if bundle:
        yield ErrorQueueMessage(MessageKind.ROW_ERRORS, upload_id, vendor_id, tuple(bundle))
