"""PostgreSQL: vendors, categories, products, and the state of every upload.

Every method is one transaction. Writes on the hot path are single statements over arrays
(`unnest`), so a batch of a thousand rows costs the same handful of round trips as a batch of one.
Vendor text only ever reaches SQL as bound parameters.

One module per aggregate; `CatalogDatabase` puts them together behind one object built on one engine.
"""

from __future__ import annotations

from sqlalchemy import Engine

from onboarding.adapters.catalog.changes import CatalogChanges
from onboarding.adapters.catalog.completion import Completion, Completions
from onboarding.adapters.catalog.dry_runs import DryRunCommits
from onboarding.adapters.catalog.errors import ErrorsAndNotifications
from onboarding.adapters.catalog.products import PRODUCT_COLUMNS, Products
from onboarding.adapters.catalog.sweeper import SweeperQueries
from onboarding.adapters.catalog.uploads import Uploads
from onboarding.adapters.catalog.vendors import Vendors
from onboarding.adapters.catalog.webhooks import Webhooks


class CatalogDatabase(
    Vendors, Products, Uploads, ErrorsAndNotifications, Completions, SweeperQueries, DryRunCommits, Webhooks,
    CatalogChanges,
):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine


__all__ = ["PRODUCT_COLUMNS", "CatalogDatabase", "Completion"]
