"""When a worker loop counts as having done work: what wakes the other loops (the mailbox most of all)."""

from __future__ import annotations

import pytest

from onboarding.local.worker.supervision import did_work


@pytest.mark.parametrize(("result", "expected"), [
    (0, False),
    (3, True),
    ({"finished_uploads": [], "expired_tickets": []}, False),  # a sweep that found nothing
    ({"finished_uploads": ["UPLOAD_1"], "expired_tickets": []}, True),  # it emailed: the mailbox must look
    ({"delivered": 0, "retrying": 0, "given_up": 0}, False),
    ({"delivered": 1, "retrying": 0, "given_up": 0}, True),
])
def test_a_source_that_delivered_or_a_schedule_that_acted_did_work(result: object, expected: bool) -> None:
    assert did_work(result) is expected
