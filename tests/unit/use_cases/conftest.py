"""The use cases on in-memory fakes: no moto, no PostgreSQL, no network; milliseconds per test."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from onboarding.domain.messages import ErrorQueueMessage
from onboarding.domain.uploads import PendingRow
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.pipeline.parse_upload import ParseResult, parse_upload
from onboarding.pipeline.process_errors import process_message
from onboarding.pipeline.validate_batch import BatchResult, validate_batch
from tests.fakes import Fakes

HEADER = "vendor_product_id,product_name,category,sku,price,stock_quantity"


def catalog_file(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join((header, *rows)).encode() + b"\n"


class InMemoryPipeline(Fakes):
    """The three use cases wired by the composition root onto fakes, and driven by hand."""

    def add_vendor(self, vendor_id: str, status: VendorStatus = VendorStatus.ACTIVE) -> Vendor:
        vendor = Vendor(vendor_id, f"{vendor_id} Ltd", f"{vendor_id.lower()}@vendors.example", status)
        self.catalog.save_vendor(vendor)
        return vendor

    def upload(self, vendor_id: str, name: str, body: bytes, metadata: dict[str, str] | None = None) -> ParseResult:
        key = f"{self.settings.upload_prefix}{vendor_id}/{name}"
        self.storage.put(self.settings.upload_bucket, key, body, metadata)
        return self.parse(key)

    def parse(self, key: str) -> ParseResult:
        return parse_upload(self.container.parser_dependencies, self.settings.upload_bucket, key)

    def validate(self, rows: Sequence[PendingRow]) -> BatchResult:
        return validate_batch(self.container.validator_dependencies, rows)

    def process_queue(self) -> list[bool]:
        """Hand every message waiting on the error queue to the error processor; True per upload finished."""
        deps = self.container.error_processor_dependencies
        return [process_message(deps, ErrorQueueMessage.from_json(body)) for body in self.error_queue.take()]

    def run(self, vendor_id: str, name: str, body: bytes, metadata: dict[str, str] | None = None) -> str:
        """Parse, validate every row in one batch, process the errors: an upload from start to end."""
        result = self.upload(vendor_id, name, body, metadata)
        assert result.upload_id is not None
        self.validate(self.records.of_upload(result.upload_id))
        self.process_queue()
        return result.upload_id


@pytest.fixture
def pipeline() -> InMemoryPipeline:
    return InMemoryPipeline()
