"""The catalog port's contract for catalog operations (issue 16), held by `FakeCatalog` and PostgreSQL alike."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onboarding.domain.changes import (
    CatalogEffect,
    ChangeKind,
    FileRows,
    ImportMode,
    ProductChange,
    RowWarnings,
    VendorRules,
)
from onboarding.domain.errors import ErrorCode, RowError, Severity
from onboarding.domain.rules import Product, ProductKey
from onboarding.domain.uploads import NewUpload, RowOutcomes, UploadStatus
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.pipeline.ports import Catalog


def made(number: int, price: str = "9.99") -> Product:
    return Product("VEND001", f"P-{number}", f"Product {number}", "Electronics", f"SKU-{number}", Decimal(price), 3)


def change(kind: ChangeKind, product: Product, changes: dict[str, tuple[object, object]] | None = None,
           warnings: tuple[RowError, ...] = ()) -> ProductChange:
    return ProductChange(kind, product, changes or {}, warnings)


@pytest.fixture
def catalog(ledger: Catalog) -> Catalog:
    ledger.save_vendor(Vendor("VEND001", "Vendor", "v@example.com", VendorStatus.ACTIVE))
    for upload_id in ("U1", "U2"):
        ledger.start_upload(NewUpload(upload_id, "VEND001", f"{upload_id}.csv", "b", f"uploads/VEND001/{upload_id}",
                                      None))
    ledger.set_upload_layout("U1", 3, ["vendor_product_id"], [], 1)
    ledger.set_upload_layout("U2", 3, ["vendor_product_id"], [], 1, ImportMode.REPLACE, True)
    return ledger


def test_a_batch_writes_changes_history_and_warnings_once(catalog: Catalog) -> None:
    warning = RowError(2, "brand", ErrorCode.MISSING_RECOMMENDED_FIELD, "Recommended field(s) empty: brand.")
    batch = RowOutcomes("U1", {1: change(ChangeKind.CREATE, made(1), {"price": (None, "9.99")}),
                               2: change(ChangeKind.CREATE, made(2), warnings=(warning,))}, [3],
                        warnings=[RowWarnings([warning], {"vendor_product_id": "P-2"})])

    catalog.commit_outcomes([batch])
    catalog.commit_outcomes([batch])  # a replayed batch

    upload = catalog.get_upload("U1")
    assert upload is not None
    assert (upload.created_records, upload.warning_records, upload.valid_records, upload.error_records) == (2, 1, 2, 1)
    assert [(h["event"], h["changes"]) for h in catalog.product_history("VEND001", "P-1")] == [
        ("create", {"price": {"old": None, "new": "9.99"}})]
    [recorded] = catalog.upload_errors("U1")
    assert (recorded.error.code, recorded.error.severity) == (ErrorCode.MISSING_RECOMMENDED_FIELD, Severity.WARNING)
    progress = catalog.upload_progress("U1")
    assert progress is not None and progress.reported_error_rows == 0  # a warning is not a reported error row


def test_the_batch_context_has_stored_products_owners_modes_and_rules(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {1: change(ChangeKind.CREATE, made(1)),
                                                2: change(ChangeKind.CREATE, made(2))}, [])])
    catalog.commit_outcomes([RowOutcomes("U2", {1: change(ChangeKind.DEACTIVATE, made(2))}, [])])
    catalog.save_vendor_rules(VendorRules("VEND001", max_active_products=5, allowed_brands=("Acme",),
                                          min_price=Decimal("1.00")))

    context = catalog.batch_context(["U1", "U2"], ["VEND001"], ["SKU-2"],
                                    [ProductKey("VEND001", "P-1"), ProductKey("VEND001", "P-2")])

    assert context.sku_owners == {"SKU-2": ProductKey("VEND001", "P-2")}  # deactivated, still its SKU
    assert {k.vendor_product_id: s.is_active for k, s in context.stored.items()} == {"P-1": True, "P-2": False}
    assert context.stored[ProductKey("VEND001", "P-1")].product == made(1)
    assert (context.uploads["U1"].mode, context.uploads["U2"].mode) == (ImportMode.UPSERT, ImportMode.REPLACE)
    assert context.rules["VEND001"] == catalog.vendor_rules("VEND001")
    assert catalog.vendor_and_rules("VEND001")[1] == VendorRules(
        "VEND001", max_active_products=5, allowed_brands=("Acme",), min_price=Decimal("1.00"))


def test_a_replace_counts_its_effect_and_deactivates_what_the_file_lacks(catalog: Catalog) -> None:
    catalog.commit_outcomes([RowOutcomes("U1", {n: change(ChangeKind.CREATE, made(n)) for n in (1, 2, 3)}, [])])

    effect = catalog.catalog_effect("U2", "VEND001", FileRows(frozenset({"P-1", "P-9"}), frozenset({"P-2"})),
                                    ImportMode.REPLACE)
    with catalog.completion("U2") as completion:
        assert completion is not None
        deactivated = completion.deactivate_absent()
        completion.finish(UploadStatus.COMPLETED, None, None, None)

    assert effect == CatalogEffect(active_now=3, would_activate=1, would_deactivate=2)
    assert deactivated == 2
    assert {p["vendor_product_id"]: p["is_active"] for p in catalog.products_of("VEND001")} == {
        "P-1": True, "P-2": False, "P-3": False}
    assert [h["event"] for h in catalog.product_history("VEND001", "P-3")] == ["create", "deactivate"]


def test_uploads_today_counts_the_vendors_other_uploads(catalog: Catalog) -> None:
    assert catalog.uploads_today("VEND001", "U2") == 1
    assert catalog.uploads_today("VEND002", "U2") == 0
