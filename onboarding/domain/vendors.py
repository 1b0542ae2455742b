"""Vendors: who may upload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.uploads import VENDOR_ID_PATTERN


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


# An address SES could deliver to: one @, no spaces, a dot in the domain. Deliverability is SNS's to prove.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def vendor_problem(vendor_id: str, vendor_name: str, email: str) -> str | None:
    """What is wrong with a vendor's registration, as one sentence; None if nothing."""
    if not VENDOR_ID_PATTERN.match(vendor_id):
        return f"'{vendor_id}' is not a valid vendor id: use letters, digits, '-' and '_' (like VEND001)."
    if not vendor_name.strip():
        return f"Vendor {vendor_id} needs a name."
    if not _EMAIL.fullmatch(email.strip()):
        return f"'{email}' is not an email address: give one like catalog@example.com."
    return None
