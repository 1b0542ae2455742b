"""The catalog port's contract, held by `FakeCatalog` and by PostgreSQL alike."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onboarding.domain.changes import ChangeKind, ProductChange
from onboarding.domain.errors import ErrorCode, RecordedError, RowError
from onboarding.domain.report import NotificationRecord
from onboarding.domain.rules import Product
from onboarding.domain.uploads import NewUpload, RowOutcomes, UploadStatus
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.pipeline.ports import Catalog

REQUIRED = frozenset({"vendor_product_id", "product_name", "category", "sku", "price", "stock_quantity"})


def made(vendor_id: str, number: int, sku: str | None = None, brand: str | None = None) -> Product:
    return Product(vendor_id, f"P-{number}", f"Product {number}", "Electronics", sku or f"{vendor_id}-SKU-{number}",
                   Decimal("9.99"), 3, brand=brand)


def product(vendor_id: str, number: int, sku: str | None = None, brand: str | None = None,
            kind: ChangeKind = ChangeKind.CREATE) -> ProductChange:
    """What the validator decided for a valid row (the adapter writes it, create or update alike)."""
    return ProductChange(kind, made(vendor_id, number, sku, brand), {})


def new_upload(upload_id: str, vendor_id: str = "VEND001", dry_run: bool = False) -> NewUpload:
    return NewUpload(upload_id, vendor_id, "catalog.csv", "bucket", f"uploads/{vendor_id}/catalog.csv", None, dry_run)


def error(row: int, code: ErrorCode = ErrorCode.INVALID_PRICE, field: str = "price") -> RecordedError:
    return RecordedError(RowError(row, field, code, "a message", "value"), {"sku": "S"} if row else None)


@pytest.fixture
def catalog(ledger: Catalog) -> Catalog:
    for vendor_id in ("VEND001", "VEND002"):
        ledger.save_vendor(Vendor(vendor_id, f"{vendor_id} Ltd", "v@example.com", VendorStatus.ACTIVE))
    ledger.start_upload(new_upload("U1"))
    ledger.set_upload_layout("U1", 3, ["sku", "price"], ["a note"], 1)
    return ledger


def test_vendors_are_saved_listed_and_found_case_insensitively(catalog: Catalog) -> None:
    catalog.save_vendor(Vendor("VEND001", "Renamed", "new@example.com", VendorStatus.SUSPENDED))

    assert catalog.get_vendor("VEND001") == Vendor("VEND001", "Renamed", "new@example.com", VendorStatus.SUSPENDED)
    assert [v.vendor_id for v in catalog.list_vendors()] == ["VEND001", "VEND002"]
    assert catalog.registered_vendor_ids(["vend002", "VEND404"]) == {"vend002"}
    assert catalog.get_vendor("VEND404") is None
    assert "Electronics" in catalog.active_categories()


def test_an_upload_is_recorded_once_and_its_layout_set_once(catalog: Catalog) -> None:
    again = catalog.start_upload(NewUpload("U1", "VEND001", "other.csv", "b", "k", None))
    catalog.set_upload_layout("U1", 5, ["other"], [], 4)

    assert again.file_name == "catalog.csv"
    upload = catalog.get_upload("U1")
    assert upload is not None
    assert (upload.status, upload.total_records, upload.source_header, upload.file_notes, upload.write_shards) == (
        UploadStatus.RECEIVED, 3, ("sku", "price"), ("a note",), 1)
    assert [u.upload_id for u in catalog.recent_uploads()] == ["U1"]
    assert catalog.get_upload("U404") is None


def test_each_rows_outcome_counts_once_and_valid_rows_become_products(catalog: Catalog) -> None:
    batch = RowOutcomes("U1", {1: product("VEND001", 1)}, [2])

    first = catalog.commit_outcomes([batch])
    replay = catalog.commit_outcomes([batch])
    catalog.commit_outcomes([RowOutcomes("U1", {}, [3])])

    assert first["U1"] == replay["U1"]
    assert (first["U1"].valid_records, first["U1"].error_records) == (1, 1)
    progress = catalog.upload_progress("U1")
    assert progress is not None and (progress.accounted_records, progress.total_records) == (3, 3)
    assert not progress.file_failed
    [stored] = catalog.products_of("VEND001")
    assert (stored["sku"], stored["price"], stored["upload_id"]) == ("VEND001-SKU-1", Decimal("9.99"), "U1")
    assert catalog.sku_owners(["VEND001-SKU-1", "NOBODY"]) == {"VEND001-SKU-1": made("VEND001", 1).key}


def test_an_update_with_fewer_columns_leaves_the_others_as_they_were(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", 1, brand="Lumen")}, [])])
    catalog.start_upload(new_upload("U2"))
    catalog.set_upload_layout("U2", 1, [], [], 1)

    catalog.commit_outcomes([RowOutcomes("U2", {1: product("VEND001", 1)}, [], REQUIRED)])

    [stored] = catalog.products_of("VEND001")
    assert (stored["brand"], stored["upload_id"]) == ("Lumen", "U2")


def test_a_sku_held_by_another_product_fails_the_whole_transaction(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", 1, sku="SHARED")}, [])])
    catalog.start_upload(new_upload("U2", "VEND002"))
    catalog.set_upload_layout("U2", 2, [], [], 1)

    with pytest.raises(Exception):  # noqa: B017 (the database's unique index; the fake's own exception)
        catalog.commit_outcomes([RowOutcomes("U2", {1: product("VEND002", 1)}, [2]),
                                 RowOutcomes("U2", {}, []),
                                 RowOutcomes("U1", {3: product("VEND002", 3, sku="SHARED")}, [])])

    assert catalog.rows_without_outcome("U2", 2) == [1, 2]
    assert catalog.products_of("VEND002") == []


def test_errors_are_recorded_once_and_reported_rows_counted(catalog: Catalog) -> None:
    errors = [error(2), error(2, ErrorCode.INVALID_STOCK, "stock_quantity"), error(0, ErrorCode.EMPTY_FILE, "")]

    assert catalog.record_errors("U1", errors) == 3
    assert catalog.record_errors("U1", errors) == 0
    assert catalog.record_errors("U1", []) == 0

    recorded = catalog.upload_errors("U1")
    assert [(e.error.row_number, e.error.code) for e in recorded] == [
        (0, ErrorCode.EMPTY_FILE), (2, ErrorCode.INVALID_PRICE), (2, ErrorCode.INVALID_STOCK)]
    assert recorded[1].original_row == {"sku": "S"}
    progress = catalog.upload_progress("U1")
    assert progress is not None and progress.reported_error_rows == 1
    assert progress.file_failed and progress.may_finish  # an error about the whole file ends the upload


def test_a_completion_finishes_an_upload_once(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {}, [1, 2, 3])])
    catalog.record_errors("U1", [error(1)])
    notification = NotificationRecord("vendor", "arn:topic", "Subject", "Message", "message-1")

    with catalog.completion("U1") as completion:
        assert completion is not None
        assert (completion.upload.upload_id, completion.progress.error_records) == ("U1", 3)
        assert [e.error.row_number for e in completion.errors()] == [1]
        completion.finish(UploadStatus.FAILED, "errors/VEND001/U1_errors.csv", None, notification)
    with catalog.completion("U1") as again, catalog.completion("U404") as missing:
        assert (again, missing) == (None, None)

    upload = catalog.get_upload("U1")
    assert upload is not None and upload.completed_at is not None
    assert (upload.status, upload.error_report_key) == (UploadStatus.FAILED, "errors/VEND001/U1_errors.csv")
    assert catalog.get_notification("U1") == notification


def test_a_completion_that_fails_leaves_the_upload_processing(catalog: Catalog) -> None:
    with pytest.raises(RuntimeError), catalog.completion("U1") as completion:
        assert completion is not None
        completion.finish(UploadStatus.COMPLETED, None, None, None)
        raise RuntimeError("the report could not be written")

    upload = catalog.get_upload("U1")
    assert upload is not None and upload.status is UploadStatus.RECEIVED
    assert catalog.get_notification("U1") is None


def test_the_sweeper_sees_stalled_uploads_and_their_lost_rows(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", 1)}, [2])])

    assert catalog.rows_without_outcome("U1", 3) == [3]
    assert catalog.invalid_rows_without_errors("U1") == [2]
    assert "U1" in catalog.stalled_uploads(0)
    assert catalog.stalled_uploads(3600) == []

    catalog.record_errors("U1", [error(2)])
    assert catalog.invalid_rows_without_errors("U1") == []
    assert catalog.record_sweep_failure("U1", "boom", lambda failures: 3600) == 1
    assert "U1" not in catalog.stalled_uploads(0)  # backing off
    assert catalog.record_sweep_failure("U404", "boom", lambda failures: 1) == 0


def test_a_dry_run_is_counted_writes_no_product_and_is_committed_once(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", 1)}, [])])
    catalog.start_upload(new_upload("DRY", dry_run=True))
    catalog.set_upload_layout("DRY", 2, [], [], 1)

    catalog.commit_outcomes([RowOutcomes("DRY", {1: product("VEND001", 1, kind=ChangeKind.UNCHANGED),
                                                 2: product("VEND001", 2)}, [], dry_run=True)])

    uploads = catalog.batch_context(["U1", "DRY", "U404"], [], [], []).uploads
    assert {u for u, context in uploads.items() if context.dry_run} == {"DRY"}
    dry = catalog.get_upload("DRY")
    assert dry is not None and (dry.valid_records, dry.would_update_records) == (2, 1)
    assert [p["upload_id"] for p in catalog.products_of("VEND001")] == ["U1"]
    with catalog.dry_run_commit("DRY") as pending:
        assert pending is not None and pending.upload.dry_run
        pending.start_real_run()
    with catalog.dry_run_commit("U404") as missing:
        assert missing is None
    committed = catalog.get_upload("DRY")
    assert committed is not None
    assert (committed.dry_run, committed.rewrite_rows, committed.valid_records) == (False, True, 0)
    assert catalog.rows_without_outcome("DRY", 2) == [1, 2]
    catalog.rows_cleared("DRY")
    cleared = catalog.get_upload("DRY")
    assert cleared is not None and not cleared.rewrite_rows


def test_an_upload_moves_through_the_pipelines_statuses_once_each(ledger: Catalog) -> None:
    ledger.save_vendor(Vendor("VEND001", "VEND001 Ltd", "v@example.com", VendorStatus.ACTIVE))
    assert ledger.start_upload(new_upload("U9")).status is UploadStatus.RECEIVED
    ledger.begin_parsing("U9")
    ledger.begin_parsing("U9")  # a replayed event changes nothing
    assert _status(ledger, "U9") is UploadStatus.PARSING
    ledger.set_upload_layout("U9", 2, ["sku"], [], 1)
    assert _status(ledger, "U9") is UploadStatus.VALIDATING
    ledger.commit_outcomes([RowOutcomes("U9", {1: product("VEND001", 1)}, [])])
    assert _status(ledger, "U9") is UploadStatus.VALIDATING  # one row still to judge
    ledger.commit_outcomes([RowOutcomes("U9", {}, [2])])
    assert _status(ledger, "U9") is UploadStatus.REPORTING
    assert [h.status for h in ledger.status_history("U9")] == [
        UploadStatus.RECEIVED, UploadStatus.PARSING, UploadStatus.VALIDATING, UploadStatus.REPORTING]
    with ledger.completion("U9") as completion:
        assert completion is not None
        completion.finish(UploadStatus.PARTIAL, None, None, None)
    assert [h.status for h in ledger.status_history("U9")][-1] is UploadStatus.PARTIAL
    assert len(ledger.status_history("U9")) == 5


def test_a_key_shaped_like_a_ticket_that_none_issued_is_no_ticket(ledger: Catalog) -> None:
    assert ledger.receive_ticket_upload("UPLOAD_VEND001_20261204000000_TABCDEF012345",
                                        "uploads/VEND001/UPLOAD_VEND001_20261204000000_TABCDEF012345/a.csv",
                                        None) is None


def _status(ledger: Catalog, upload_id: str) -> UploadStatus:
    upload = ledger.get_upload(upload_id)
    assert upload is not None
    return upload.status
