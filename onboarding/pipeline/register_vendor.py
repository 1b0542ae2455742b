"""Registering a vendor: the catalog row, and an email subscription that hears only that vendor."""

from __future__ import annotations

from collections.abc import Callable

from onboarding.domain.vendors import Vendor
from onboarding.pipeline.ports import Notifier, Vendors

AlsoSubscribe = Callable[[str, str], None]
"""`(topic_arn, vendor_id)`: another endpoint with the vendor's filter policy (the local stack's mail capture)."""

EMAIL_PROTOCOL = "email"


def register_vendor(
    vendors: Vendors,
    notifier: Notifier,
    topic_arn: str,
    vendor: Vendor,
    also_subscribe: AlsoSubscribe | None = None,
) -> bool:
    """Save the vendor and subscribe its email with a filter policy on its own vendor id. True if it is new.

    Registering a vendor again updates it; a changed email address replaces the old subscription (unless
    another vendor uses that address), so the old address hears nothing more of this vendor.
    """
    previous = vendors.get_vendor(vendor.vendor_id)
    vendors.save_vendor(vendor)
    if previous is not None and previous.email != vendor.email and not _shared(vendors, previous):
        notifier.unsubscribe(topic_arn, EMAIL_PROTOCOL, previous.email)
    _subscribe(notifier, topic_arn, vendor, also_subscribe)
    return previous is None


def resubscribe_vendors(
    vendors: Vendors, notifier: Notifier, topic_arn: str, also_subscribe: AlsoSubscribe | None = None
) -> int:
    """Subscribe every registered vendor again; returns how many.

    The vendors live in PostgreSQL, their subscriptions in SNS: an emulator that starts empty (moto's
    server on every `onboard up`) has forgotten the subscriptions while the vendors remain. SNS hands
    back the existing subscription for one that is already there, so this is safe on any stack.
    """
    registered = vendors.list_vendors()
    for vendor in registered:
        _subscribe(notifier, topic_arn, vendor, also_subscribe)
    return len(registered)


def _subscribe(notifier: Notifier, topic_arn: str, vendor: Vendor, also_subscribe: AlsoSubscribe | None) -> None:
    notifier.subscribe_vendor(topic_arn, vendor.vendor_id, EMAIL_PROTOCOL, vendor.email)
    if also_subscribe is not None:
        also_subscribe(topic_arn, vendor.vendor_id)


def _shared(vendors: Vendors, vendor: Vendor) -> bool:
    """Another vendor uses this vendor's email address (its subscription must stay)."""
    return any(v.email == vendor.email and v.vendor_id != vendor.vendor_id for v in vendors.list_vendors())
