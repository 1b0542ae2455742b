"""Vendors and the categories their products may use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert

from onboarding.adapters.catalog.tables import product_categories, vendors
from onboarding.domain.vendors import Vendor, VendorStatus

_VENDOR = select(vendors.c.vendor_id, vendors.c.vendor_name, vendors.c.email, vendors.c.status)


class Vendors:
    engine: Engine

    def get_vendor(self, vendor_id: str) -> Vendor | None:
        with self.engine.connect() as conn:
            row = conn.execute(_VENDOR.where(vendors.c.vendor_id == vendor_id)).one_or_none()
        return _vendor(row) if row else None

    def registered_vendor_ids(self, candidates: Sequence[str]) -> set[str]:
        """Which of `candidates` are registered vendor ids, compared case-insensitively (as written in the file
        name, not as registered)."""
        if not candidates:
            return set()
        lowered = func.lower(vendors.c.vendor_id)
        with self.engine.connect() as conn:
            found = set(conn.execute(select(lowered).where(lowered.in_([c.lower() for c in candidates]))).scalars())
        return {c for c in candidates if c.lower() in found}

    def list_vendors(self) -> list[Vendor]:
        with self.engine.connect() as conn:
            return [_vendor(r) for r in conn.execute(_VENDOR.order_by(vendors.c.vendor_id))]

    def save_vendor(self, vendor: Vendor) -> None:
        values = {"vendor_id": vendor.vendor_id, "vendor_name": vendor.vendor_name, "email": vendor.email,
                  "status": str(vendor.status)}
        upsert = insert(vendors).values(values)
        upsert = upsert.on_conflict_do_update(
            index_elements=[vendors.c.vendor_id],
            set_={"vendor_name": upsert.excluded.vendor_name, "email": upsert.excluded.email,
                  "status": upsert.excluded.status, "updated_at": func.now()},
        )
        with self.engine.begin() as conn:
            conn.execute(upsert)

    def active_categories(self) -> list[str]:
        query = select(product_categories.c.category_name).where(product_categories.c.is_active)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())


def _vendor(row: Any) -> Vendor:
    return Vendor(row.vendor_id, row.vendor_name, row.email, VendorStatus(row.status))
