"""What `onboard` prints for people: nothing cut without an ellipsis, no colour off a terminal, documented exits."""

from __future__ import annotations

import argparse

import pytest

from onboarding.cli.errors import EXIT_CODES_HELP, exit_code_for_upload, explain
from onboarding.cli.output import print_status, table
from onboarding.cli.parser import build_parser

LONG_MESSAGE = ("The file name starts with vendor id VEND001 but was uploaded to the folder of VEND002: upload it to "
                "uploads/VEND001/, or rename it if it is VEND002's own catalog.")


def status(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "upload_id": "UPLOAD_VEND002_20261204051900_ABCDEF012345", "vendor_id": "VEND002", "file_name": "f.csv",
        "status": "failed", "total_records": 0, "valid_records": 0, "error_records": 0, "error_report": None,
        "errors": [{"row_number": 0, "field": "", "error_type": "VENDOR_MISMATCH", "message": LONG_MESSAGE,
                    "value": "", "severity": "error"}],
        "notification": None, "notification_count": 0, "mode": "upsert", "warning_records": 0,
        "summary": {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0, "rejected": 0, "warnings": 0},
    }
    values.update(overrides)
    return values


def test_a_file_level_message_is_printed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    print_status(status(), as_json=False)
    assert LONG_MESSAGE in " ".join(capsys.readouterr().out.split())


def test_long_table_cells_wrap_instead_of_being_cut(capsys: pytest.CaptureFixture[str]) -> None:
    cell = "x" * 400 + "END"
    text = table([(1, "INVALID_CATEGORY", "category", cell)], ("ROW", "ERROR", "FIELD", "MESSAGE"))
    assert cell in "".join(text.split()).replace("│", "")


def test_row_errors_are_shown_with_what_row_one_means(capsys: pytest.CaptureFixture[str]) -> None:
    errors = [{"row_number": 1, "field": "category", "error_type": "INVALID_CATEGORY", "message": LONG_MESSAGE,
               "value": "Men", "severity": "error"}]
    print_status(status(status="partial", total_records=2, valid_records=1, error_records=1, errors=errors),
                 as_json=False)
    out = capsys.readouterr().out
    assert "Row 1 is the first line after the header." in out
    assert LONG_MESSAGE.replace(" ", "") in "".join(out.split())


def test_output_off_a_terminal_has_no_colour(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    print_status(status(), as_json=False)
    print(table([("completed",)], ("STATUS",)))
    assert "\x1b[" not in capsys.readouterr().out


@pytest.mark.parametrize(("final", "errors", "code"), [
    ("completed", 0, 0), ("partial", 3, 1), ("failed", 0, 5), ("validated", 0, 0), ("validated", 2, 1)])
def test_upload_wait_exits_with_the_documented_status(final: str, errors: int, code: int) -> None:
    assert exit_code_for_upload(final, errors) == code
    assert f"  {code}  " in EXIT_CODES_HELP


def test_the_help_documents_the_exit_codes_and_every_command_and_argument() -> None:
    parser = build_parser()
    assert EXIT_CODES_HELP in parser.format_help()
    pending = [parser]
    while pending:
        current = pending.pop()
        assert current.epilog and "example" in current.epilog, f"{current.prog} has no example"
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += list(action.choices.values())
                assert all(choice.help for choice in action._choices_actions), current.prog
            elif action.dest != "help":
                assert action.help, f"{current.prog}: {action.dest} has no help"


def test_an_unexpected_error_is_one_sentence_pointing_at_verbose() -> None:
    failure = explain(KeyError("boom"))
    assert "\n" not in str(failure) and "-v" in str(failure) and failure.exit_code == 1
