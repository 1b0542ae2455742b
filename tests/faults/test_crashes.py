"""A function's container dies mid-invocation: after its commit but before the ack, or before its commit.

Either way the event source delivers the event again; the replay must find the work done (or not
started) and leave one set of rows, one report and one email.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import FAULT_MAPPINGS, Audit
from tests.faults.injection import (
    FUNCTION_NAMES,
    CrashAfter,
    CrashBefore,
    catalog_file,
    real_functions,
    wait_until_quiet,
)
from tests.harness import RunningPipeline


def run_upload_through(stack: RunningPipeline, function: str, crash: CrashAfter) -> tuple[str, int, int, int]:
    """Start the worker with `crash` in place of `function`, upload 60 rows; (upload id, rows, valid, invalid)."""
    stack.start(FAULT_MAPPINGS, {**real_functions(), function: crash})
    stack.add_vendor("VEND001")
    file = catalog_file("VEND001", 60)
    upload_id = stack.put("VEND001", "catalog.csv", file.body)
    stack.wait(upload_id)
    wait_until_quiet(stack)
    return upload_id, file.rows, file.valid, file.invalid


@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_a_crash_after_the_commit_before_the_ack_is_replayed_without_effect(
    stack: RunningPipeline, audit: Audit, function: str
) -> None:
    crash = CrashAfter(real_functions()[function])
    upload_id, rows, valid, invalid = run_upload_through(stack, function, crash)

    assert crash.crashes == 1
    [result] = audit(f"crash after commit, before ack: {function}", [(upload_id, rows)])
    assert (result.valid_records, result.error_records) == (valid, invalid)
    assert result.observed() == result.exactly_once()


@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_a_crash_before_the_commit_is_retried_to_the_same_result(
    stack: RunningPipeline, audit: Audit, function: str
) -> None:
    crash = CrashBefore(real_functions()[function])
    upload_id, rows, valid, invalid = run_upload_through(stack, function, crash)

    assert crash.crashes == 1
    [result] = audit(f"crash before commit: {function}", [(upload_id, rows)])
    assert (result.valid_records, result.error_records) == (valid, invalid)
    assert result.observed() == result.exactly_once()
