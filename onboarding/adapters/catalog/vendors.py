"""Vendors and the categories their products may use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, text

from onboarding.domain.vendors import Vendor, VendorStatus


class Vendors:
    engine: Engine

    def get_vendor(self, vendor_id: str) -> Vendor | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT vendor_id, vendor_name, email, status FROM vendors WHERE vendor_id = :v"),
                {"v": vendor_id},
            ).one_or_none()
        return _vendor(row) if row else None

    def registered_vendor_ids(self, candidates: Sequence[str]) -> set[str]:
        """Which of `candidates` are registered vendor ids, compared case-insensitively (as written in the file
        name, not as registered)."""
        if not candidates:
            return set()
        with self.engine.connect() as conn:
            found = set(conn.execute(
                text("SELECT lower(vendor_id) FROM vendors WHERE lower(vendor_id) = ANY(:c)"),
                {"c": [c.lower() for c in candidates]},
            ).scalars())
        return {c for c in candidates if c.lower() in found}

    def list_vendors(self) -> list[Vendor]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT vendor_id, vendor_name, email, status FROM vendors ORDER BY vendor_id"))
            return [_vendor(r) for r in rows]

    def save_vendor(self, vendor: Vendor) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    INSERT INTO vendors (vendor_id, vendor_name, email, status) VALUES (:id, :name, :email, :status)
                    ON CONFLICT (vendor_id) DO UPDATE
                    SET vendor_name = EXCLUDED.vendor_name, email = EXCLUDED.email, status = EXCLUDED.status,
                        updated_at = now()
                    """
                ),
                {"id": vendor.vendor_id, "name": vendor.vendor_name, "email": vendor.email,
                 "status": str(vendor.status)},
            )

    def active_categories(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(text("SELECT category_name FROM product_categories WHERE is_active")).scalars()
            )


def _vendor(row: Any) -> Vendor:
    return Vendor(row.vendor_id, row.vendor_name, row.email, VendorStatus(row.status))
