"""The PostgreSQL adapter against a real server."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect

from onboarding import bootstrap
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import Settings
from onboarding.domain.changes import ChangeKind, ProductChange
from onboarding.domain.errors import ErrorCode, RecordedError, RowError
from onboarding.domain.rules import Product, ProductKey
from onboarding.domain.uploads import NewUpload, RowOutcomes
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.local.postgres import create_database, drop_database, url_from_credentials
from onboarding.migrations import downgrade, upgrade
from onboarding.pipeline.ports import Catalog

TABLES = {"vendors", "product_categories", "products", "upload_history", "upload_rows", "validation_errors",
          "upload_notifications", "product_history", "vendor_rules", "upload_product_ids"}


def product(vendor: str, product_id: str, sku: str, price: str = "9.99", stock: int = 1) -> ProductChange:
    """A valid row's change: the adapter writes what the validator decided (create or update alike)."""
    made = Product(vendor, product_id, f"Product {product_id}", "Electronics", sku, Decimal(price), stock)
    return ProductChange(ChangeKind.CREATE, made, {})


def an_upload(catalog: Catalog, upload_id: str = "U1", vendor: str = "VEND001", total: int = 3) -> None:
    catalog.save_vendor(Vendor(vendor, "Vendor", "v@example.com", VendorStatus.ACTIVE))
    catalog.start_upload(NewUpload(upload_id, vendor, "f.csv", "bucket", f"uploads/{vendor}/f.csv", None))
    catalog.set_upload_layout(upload_id, total, ["sku"], [], 1)


def test_migrations_build_the_schema_from_empty_and_remove_it_cleanly(postgres_server: DatabaseCredentials) -> None:
    creds = create_database(postgres_server, "migration_round_trip")
    container = bootstrap.build(Settings(database_url=url_from_credentials(creds)))
    engine = container.engine
    try:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert len(container.catalog.active_categories()) == 20
        downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()
        drop_database(postgres_server, "migration_round_trip")


def test_a_replayed_batch_changes_no_product_and_no_counter(catalog: Catalog) -> None:
    an_upload(catalog)
    batch = RowOutcomes("U1", {1: product("VEND001", "P-1", "S-1"), 2: product("VEND001", "P-2", "S-2")}, [3])

    first = catalog.commit_outcomes([batch])["U1"]
    second = catalog.commit_outcomes([batch])["U1"]

    assert (first.valid_records, first.error_records) == (2, 1)
    assert (second.valid_records, second.error_records) == (2, 1)
    assert len(catalog.products_of("VEND001")) == 2


def test_a_later_upload_updates_the_vendors_product_in_place(catalog: Catalog) -> None:
    an_upload(catalog, "U1")
    an_upload(catalog, "U2")
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", "P-1", "S-1", "9.99", 1)}, [])])
    catalog.commit_outcomes([RowOutcomes("U2", {1: product("VEND001", "P-1", "S-1", "7.50", 40)}, [])])

    [stored] = catalog.products_of("VEND001")
    assert (stored["price"], stored["stock_quantity"], stored["upload_id"]) == (Decimal("7.50"), 40, "U2")


def test_sku_owners_are_found_in_one_query(catalog: Catalog) -> None:
    an_upload(catalog)
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", "P-1", "S-1")}, [])])
    assert catalog.sku_owners(["S-1", "S-404"]) == {"S-1": ProductKey("VEND001", "P-1")}


def test_recording_the_same_errors_twice_keeps_one_copy(catalog: Catalog) -> None:
    an_upload(catalog)
    errors = [RecordedError(RowError(3, "price", ErrorCode.INVALID_PRICE, "bad", "x"), {"price": "x"})]

    assert catalog.record_errors("U1", errors) == 1
    assert catalog.record_errors("U1", errors) == 0
    assert [e.error for e in catalog.upload_errors("U1")] == [errors[0].error]


def test_vendor_text_reaches_sql_only_as_parameters(catalog: Catalog) -> None:
    hostile = "x'); DROP TABLE products; --"
    an_upload(catalog)
    catalog.commit_outcomes([RowOutcomes("U1", {1: product("VEND001", hostile, hostile)}, [])])
    assert [p["sku"] for p in catalog.products_of("VEND001")] == [hostile]
