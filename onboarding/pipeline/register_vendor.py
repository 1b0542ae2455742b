"""Registering a vendor: the catalog row, and an email subscription that hears only that vendor."""

from __future__ import annotations

from collections.abc import Callable

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.catalog import CatalogDatabase
from onboarding.adapters.notifier import Notifier
from onboarding.config import Settings
from onboarding.domain.vendors import Vendor

AlsoSubscribe = Callable[[AwsClients, str, str], None]


def register_vendor(
    catalog: CatalogDatabase,
    clients: AwsClients,
    settings: Settings,
    vendor: Vendor,
    also_subscribe: AlsoSubscribe | None = None,
) -> None:
    """Save the vendor and subscribe its email with a filter policy on its own vendor id.

    `also_subscribe(clients, topic_arn, vendor_id)` adds another endpoint with the same policy
    (the local stack's mail capture).
    """
    catalog.save_vendor(vendor)
    Notifier(clients.sns).subscribe_vendor(settings.vendor_topic_arn, vendor.vendor_id, "email", vendor.email)
    if also_subscribe is not None:
        also_subscribe(clients, settings.vendor_topic_arn, vendor.vendor_id)
