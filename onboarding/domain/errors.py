"""Error codes a machine can act on, and the row and file errors that carry them to the vendor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # Row rules (domain/rules.py).
    MISSING_REQUIRED_FIELDS = "MISSING_REQUIRED_FIELDS"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_STOCK = "INVALID_STOCK"
    INVALID_WEIGHT = "INVALID_WEIGHT"
    FIELD_LENGTH_EXCEEDED = "FIELD_LENGTH_EXCEEDED"
    INVALID_CATEGORY = "INVALID_CATEGORY"
    DUPLICATE_SKU = "DUPLICATE_SKU"
    DUPLICATE_VENDOR_PRODUCT_ID = "DUPLICATE_VENDOR_PRODUCT_ID"
    # Catalog operations (issue #16): row actions, import modes, vendor rules.
    UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"
    INVALID_ACTION = "INVALID_ACTION"
    VENDOR_REQUIRED_FIELDS = "VENDOR_REQUIRED_FIELDS"
    CATEGORY_NOT_ALLOWED = "CATEGORY_NOT_ALLOWED"
    BRAND_NOT_ALLOWED = "BRAND_NOT_ALLOWED"
    PRICE_OUT_OF_RANGE = "PRICE_OUT_OF_RANGE"
    # Warnings: the row is accepted and flagged.
    PRICE_CHANGE_LARGE = "PRICE_CHANGE_LARGE"
    MISSING_RECOMMENDED_FIELD = "MISSING_RECOMMENDED_FIELD"
    INVALID_IMAGE_URL = "INVALID_IMAGE_URL"
    # Row structure, found while reading the file.
    WRONG_FIELD_COUNT = "WRONG_FIELD_COUNT"
    INVALID_CHARACTER = "INVALID_CHARACTER"  # a character no store or email can carry (NUL, controls), or invisible
    ROW_TOO_LARGE = "ROW_TOO_LARGE"  # more than a stored row may hold (DynamoDB items, SQS messages)
    UNCALCULATED_FORMULA = "UNCALCULATED_FORMULA"  # a workbook formula saved without its value
    # A row the pipeline could not process (poison record, lost in flight); found by the sweeper.
    ROW_NOT_PROCESSED = "ROW_NOT_PROCESSED"
    # Whole-file problems: the upload fails and nothing from it reaches the catalog.
    EMPTY_FILE = "EMPTY_FILE"
    NO_DATA_ROWS = "NO_DATA_ROWS"
    MISSING_COLUMNS = "MISSING_COLUMNS"
    DUPLICATE_COLUMNS = "DUPLICATE_COLUMNS"
    NOT_TEXT = "NOT_TEXT"
    UNCLOSED_QUOTE = "UNCLOSED_QUOTE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    CELL_TOO_LARGE = "CELL_TOO_LARGE"
    UNREADABLE_FILE = "UNREADABLE_FILE"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    INVALID_FILE_NAME = "INVALID_FILE_NAME"  # control characters or line separators in the name
    INVALID_MODE = "INVALID_MODE"
    REPLACE_GUARD = "REPLACE_GUARD"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    # Who sent it: reported to operators, never to another vendor.
    UNKNOWN_VENDOR = "UNKNOWN_VENDOR"
    VENDOR_NOT_ACTIVE = "VENDOR_NOT_ACTIVE"
    VENDOR_MISMATCH = "VENDOR_MISMATCH"
    INVALID_UPLOAD_KEY = "INVALID_UPLOAD_KEY"
    # The pipeline itself could not finish the file (found by the sweeper); the vendor should re-upload.
    PROCESSING_FAILED = "PROCESSING_FAILED"


# File problems that say the sender, not the content, is wrong: operators hear of them, the vendor
# folder's owner does not (it may not exist, or may be the victim of the upload).
OPERATOR_CODES: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.UNKNOWN_VENDOR,
        ErrorCode.VENDOR_NOT_ACTIVE,
        ErrorCode.VENDOR_MISMATCH,
        ErrorCode.INVALID_UPLOAD_KEY,
    }
)

# Sender problems found in a registered vendor's own folder: that vendor is told too (its file did vanish), in
# words that name no one else and say what to do.
SENDER_PROBLEMS_FOR_THE_FOLDERS_VENDOR: dict[ErrorCode, str] = {
    ErrorCode.VENDOR_MISMATCH: (
        "The file name starts with another vendor's id, so the file was not processed: rename it so that it "
        "starts with your own vendor id or with no vendor id, and upload it again."
    ),
    ErrorCode.VENDOR_NOT_ACTIVE: (
        "Your vendor account is not active, so the file was not processed: contact the marketplace to "
        "reactivate it, then upload the file again."
    ),
}

# Rows the rules are not applied to: their cells are misaligned (WRONG_FIELD_COUNT) or were not kept whole
# (ROW_TOO_LARGE), so judging them against the columns would only add noise.
UNJUDGED_ROW_CODES: frozenset[ErrorCode] = frozenset({ErrorCode.WRONG_FIELD_COUNT, ErrorCode.ROW_TOO_LARGE})


class Severity(StrEnum):
    ERROR = "error"  # the row is rejected (or, at row 0, the whole file)
    WARNING = "warning"  # the row is accepted and flagged


WARNING_CODES: frozenset[ErrorCode] = frozenset(
    {ErrorCode.PRICE_CHANGE_LARGE, ErrorCode.MISSING_RECOMMENDED_FIELD, ErrorCode.INVALID_IMAGE_URL}
)


def severity_of(code: ErrorCode) -> Severity:
    return Severity.WARNING if code in WARNING_CODES else Severity.ERROR


FILE_LEVEL_ROW = 0
"""`row_number` of an error about the whole file rather than one row."""


@dataclass(frozen=True)
class RowError:
    """One failed rule of one row: what a vendor sees in the report and the email."""

    row_number: int
    field: str
    code: ErrorCode
    message: str
    value: str = ""

    @property
    def severity(self) -> Severity:
        return severity_of(self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_number": self.row_number,
            "field": self.field,
            "error_type": str(self.code),
            "message": self.message,
            "value": self.value,
            "severity": str(self.severity),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(
            row_number=int(data["row_number"]),
            field=str(data.get("field", "")),
            code=ErrorCode(data["error_type"]),
            message=str(data["message"]),
            value=str(data.get("value", "")),
        )


@dataclass(frozen=True)
class RecordedError:
    """A row error as recorded for the report, with the row as the vendor wrote it (None: not known)."""

    error: RowError
    original_row: dict[str, str] | None


class FileRejected(Exception):
    """The whole file is unusable. Carries a code and a sentence the vendor can act on."""

    def __init__(self, code: ErrorCode, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_row_error(self) -> RowError:
        return RowError(FILE_LEVEL_ROW, self.field, self.code, self.message)


@dataclass(frozen=True)
class ErrorLine:
    """A recorded error with its id (the sort key of the API's pages)."""

    error_id: int
    error: RowError
