"""Vendors: who may upload."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from onboarding.domain.errors import ErrorCode, FileRejected


class VendorStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    vendor_name: str
    email: str
    status: VendorStatus


def check_vendor_may_upload(vendor_id: str, vendor: Vendor | None) -> Vendor:
    """The vendor of the upload folder must exist and be active."""
    if vendor is None:
        raise FileRejected(ErrorCode.UNKNOWN_VENDOR, f"No vendor {vendor_id} is registered.")
    if vendor.status is not VendorStatus.ACTIVE:
        raise FileRejected(
            ErrorCode.VENDOR_NOT_ACTIVE, f"Vendor {vendor_id} is {vendor.status}; uploads are not accepted."
        )
    return vendor
