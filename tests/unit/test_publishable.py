"""Every notification is publishable by construction: what SNS documents, whatever the vendor's file held.

SNS (Publish): the message is at most 256 KB of UTF-8 and holds only XML characters (tab, LF, CR, U+0020-U+D7FF,
U+E000-U+FFFD, U+10000-U+10FFFF); the subject is under 100 characters, printable, with no line break.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.adapters.notifier import SnsNotifier
from onboarding.domain.errors import FILE_LEVEL_ROW, ErrorCode, FileRejected, RowError
from onboarding.domain.publishable import (
    NOTIFICATION_MAX_BYTES,
    SNS_MESSAGE_MAX_BYTES,
    SNS_SUBJECT_MAX_CHARS,
    Unpublishable,
    check_publishable,
)
from onboarding.domain.report import Notification, UploadSummary, build_notification
from onboarding.domain.rules import CatalogSnapshot, InFileDuplicates, validate_row
from onboarding.domain.source_file import Limits
from onboarding.domain.uploads import UploadStatus
from onboarding.reading import read_rows, scan_file

SNAPSHOT = CatalogSnapshot.build(("Electronics", "Garden"), {})
COLUMNS = ("vendor_product_id", "product_name", "category", "sku", "price", "stock_quantity", "weight_kg")


def assert_sns_accepts(notification: Notification) -> None:
    subject, message = notification.subject, notification.message
    assert 0 < len(subject) < 100
    assert all(" " <= ch <= "~" for ch in subject), repr(subject)
    assert len(message.encode("utf-8")) <= NOTIFICATION_MAX_BYTES < SNS_MESSAGE_MAX_BYTES
    assert all(_sns_char(ch) for ch in message), [ch for ch in message if not _sns_char(ch)][:5]


def _sns_char(ch: str) -> bool:
    code = ord(ch)
    return ch in "\t\n\r" or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def summary(file_name: str, errors: list[RowError], notes: tuple[str, ...] = (),
            status: UploadStatus = UploadStatus.PARTIAL, error_records: int | None = None) -> UploadSummary:
    return UploadSummary(
        upload_id="UPLOAD_VEND001_20251221034236_ABCDEF012345", vendor_id="VEND001", vendor_name="TechTrend",
        file_name=file_name, status=status, total_records=1000, valid_records=10,
        error_records=len(errors) if error_records is None else error_records,
        report_url="https://portal.example/uploads/U", has_report=True, errors=errors, notes=notes)


# -- defect 2: the sizes that made Publish fail -----------------------------------------------------


@pytest.mark.parametrize("char", ["😀", "ж", "a"])
def test_twenty_rows_of_ten_thousand_character_values_make_a_publishable_email(char: str) -> None:
    errors: list[RowError] = []
    for n in range(1, 21):
        result = validate_row("VEND001", n, {"vendor_product_id": f"P-{n}", "product_name": "x",
                                             "category": char * 10_000, "sku": f"S-{n}", "price": char * 10_000,
                                             "stock_quantity": "1"}, SNAPSHOT)
        assert isinstance(result, list)
        errors += result
    notification = build_notification(summary("catalog.csv", errors, error_records=20))
    assert_sns_accepts(notification)
    assert char * 201 not in notification.message


def test_a_body_over_the_cap_says_how_many_more_errors_the_report_holds() -> None:
    # Distinct messages: the email groups errors that say the same thing, and these must not collapse.
    errors = [RowError(n, "description", ErrorCode.FIELD_LENGTH_EXCEEDED, "😀" * 3000 + f" {n}") for n in range(1, 21)]
    notification = build_notification(summary("catalog.csv", errors, error_records=500))
    assert_sns_accepts(notification)
    assert "more" in notification.message and "report" in notification.message


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x0b", "\x00", "\ufffe", "\ud800"])
def test_control_characters_from_names_headers_and_cells_never_reach_sns(char: str) -> None:
    errors = [RowError(1, f"col{char}", ErrorCode.INVALID_CATEGORY, f"'{char}' is not a category we sell in.",
                       char)]
    notification = build_notification(summary(f"cat{char}alog.csv", errors, notes=(f"Ignored: x{char}y.",)))
    assert_sns_accepts(notification)


def test_a_subject_is_under_one_hundred_characters() -> None:
    notification = build_notification(summary("c" * 250 + ".csv", []))
    assert len(notification.subject) < SNS_SUBJECT_MAX_CHARS + 1 == 100
    assert notification.subject.endswith("need fixing")  # the name is shortened, not the outcome


# -- the notifier refuses what SNS would refuse, so the local stack fails where AWS would ------------


class RecordingSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.published.append(kwargs)
        return {"MessageId": "m-1"}


@pytest.mark.parametrize(("subject", "message"), [
    ("s" * 100, "ok"), ("line\nbreak", "ok"), ("ok", "x" * (SNS_MESSAGE_MAX_BYTES + 1)), ("ok", "bell\x07"),
    ("", "ok"), ("ok", ""),
])
def test_the_notifier_refuses_what_sns_refuses_before_calling_it(subject: str, message: str) -> None:
    sns = RecordingSns()
    with pytest.raises(Unpublishable):
        SnsNotifier(sns).publish("arn:aws:sns:us-east-1:1:t", "VEND001", "U1", subject, message)  # type: ignore[arg-type]
    assert sns.published == []


def test_check_publishable_accepts_what_sns_accepts() -> None:
    check_publishable("Catalog upload catalog.csv: all products accepted", "Hello,\n\tcafé 😀\r\n")


# -- the property: arbitrary Unicode anywhere a vendor can put it ----------------------------------

_any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
_long_text = st.one_of(_any_text, st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=3), st.integers(1, 5000)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_name=_long_text, vendor_name=_any_text, header=st.lists(_any_text, max_size=8),
       cells=st.lists(st.lists(_long_text, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=25),
       status=st.sampled_from(list(UploadStatus)))
def test_every_notification_meets_sns_limits_for_any_unicode(
    file_name: str, vendor_name: str, header: list[str], cells: list[list[str]], status: UploadStatus
) -> None:
    errors: list[RowError] = []
    duplicates = InFileDuplicates()
    for n, values in enumerate(cells, start=1):
        data = dict(zip(COLUMNS, values, strict=True))
        result = validate_row("VEND001", n, data, SNAPSHOT)
        errors += [] if not isinstance(result, list) else result
        errors += duplicates.check(n, data)
    notes = (f"These columns were ignored: {', '.join(header)}.",)
    notification = build_notification(UploadSummary(
        upload_id="UPLOAD_VEND001_1", vendor_id="VEND001", vendor_name=vendor_name, file_name=file_name,
        status=status, total_records=len(cells), valid_records=0, error_records=len(cells),
        report_url="https://portal.example/uploads/U", has_report=True, errors=errors, notes=notes))
    assert_sns_accepts(notification)
    check_publishable(notification.subject, notification.message)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(_long_text, min_size=1, max_size=6), file_name=_any_text)
def test_a_rejected_files_notification_meets_sns_limits_whatever_its_header(header: list[str], file_name: str) -> None:
    line = ",".join('"' + h.replace('"', '""') + '"' for h in header)
    data = (line + "\nx\n").encode("utf-8", "surrogatepass")

    def open_stream() -> io.BytesIO:
        return io.BytesIO(data)

    limits = Limits(5_000_000, 1000, 10_000)
    try:
        scan = scan_file(open_stream, "catalog.csv", limits)
        list(read_rows(open_stream, scan, limits))
        return
    except FileRejected as rejection:
        error = RowError(FILE_LEVEL_ROW, rejection.field, rejection.code, rejection.message)
    notification = build_notification(summary(file_name, [error], status=UploadStatus.FAILED))
    assert_sns_accepts(notification)
