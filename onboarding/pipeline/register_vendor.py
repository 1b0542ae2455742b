"""Registering a vendor: the catalog row, and an email subscription that hears only that vendor."""

from __future__ import annotations

from collections.abc import Callable

from onboarding.domain.vendors import Vendor
from onboarding.pipeline.ports import Notifier, Vendors

AlsoSubscribe = Callable[[str, str], None]
"""`(topic_arn, vendor_id)`: another endpoint with the vendor's filter policy (the local stack's mail capture)."""


def register_vendor(
    vendors: Vendors,
    notifier: Notifier,
    topic_arn: str,
    vendor: Vendor,
    also_subscribe: AlsoSubscribe | None = None,
) -> None:
    """Save the vendor and subscribe its email with a filter policy on its own vendor id."""
    vendors.save_vendor(vendor)
    notifier.subscribe_vendor(topic_arn, vendor.vendor_id, "email", vendor.email)
    if also_subscribe is not None:
        also_subscribe(topic_arn, vendor.vendor_id)
