"""The sweeper reads a stalled upload's rows back with the layout they were written with, not the setting of
the container that sweeps (WRITE_SHARDS may have changed while the upload was in flight)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from onboarding import bootstrap
from onboarding.domain.uploads import NewUpload, PendingRow
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.local.functions import load_handler
from tests.harness import RunningPipeline

HEADER = ["vendor_product_id", "sku"]


def test_a_stalled_upload_written_over_four_shards_is_reported_with_its_cells_by_a_sweeper_set_to_one(
    configured: RunningPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured.catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    configured.catalog.start_upload(NewUpload("U1", "VEND001", "a.csv", "b", "k", None))
    writer = bootstrap.build(replace(configured.settings, write_shards=4)).records
    configured.catalog.set_upload_layout("U1", 6, HEADER, [], writer.write_shards)
    writer.put_rows(PendingRow("U1", "VEND001", n, dict(zip(HEADER, (f"P-{n}", f"S-{n}"), strict=True)),
                               (f"P-{n}", f"S-{n}")) for n in range(1, 7))
    assert configured.settings.write_shards == 1
    monkeypatch.setenv("STUCK_UPLOAD_AFTER_S", "0")  # no row reaches the validator: stalled

    assert load_handler("error_processor")({"source": "aws.events", "detail-type": "Scheduled Event"}) == {
        "finished_uploads": ["U1"], "expired_tickets": []}

    with configured.engine.connect() as conn:
        reported = conn.execute(text(
            "SELECT row_number, error_code, original_row FROM validation_errors WHERE upload_id = 'U1' ORDER BY 1"
        )).all()
    assert [(r.row_number, r.error_code, r.original_row) for r in reported] == [
        (n, "ROW_NOT_PROCESSED", {"vendor_product_id": f"P-{n}", "sku": f"S-{n}"}) for n in range(1, 7)]
    upload = configured.catalog.get_upload("U1")
    assert upload is not None and (upload.status, upload.write_shards) == ("failed", 4)
