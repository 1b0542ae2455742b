"""`/v1/products`: the vendor's catalog as it stands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from onboarding.api.context import dependencies, vendor_id
from onboarding.api.models import DEFAULT_PAGE, MAX_PAGE, ProductOut, ProductPage
from onboarding.api.pagination import decode_cursor, encode_cursor
from onboarding.api.problems import not_found
from onboarding.pipeline.vendor_api import products_page

router = Router()


@router.get("/v1/products", summary="The vendor's products, by vendor_product_id", tags=["products"])
def list_products(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Only products whose SKU or name contains this.")]
    = None,
) -> ProductPage:
    page = products_page(dependencies(router), vendor_id(router), limit, decode_cursor("products", cursor), q or None)
    return ProductPage.model_validate({
        "items": page.items,
        "next_cursor": encode_cursor("products", page.next_after) if page.next_after is not None else None,
    })


@router.get("/v1/products/<vendor_product_id>", summary="One product", tags=["products"])
def get_product(vendor_product_id: Annotated[str, Path(min_length=1, max_length=200)]) -> ProductOut:
    product = dependencies(router).reads.product(vendor_id(router), vendor_product_id)
    if product is None:
        raise not_found("product")
    return ProductOut.model_validate(product)


class ProductChangeOut(BaseModel):
    change: str = Field(description="What happened to the product (created, updated, deactivated, ...).")
    at: datetime
    upload_id: str | None
    file_name: str | None
    changes: dict[str, Any] | None = Field(description="field -> [old, new]")


class ProductHistory(BaseModel):
    items: list[ProductChangeOut]


@router.get("/v1/products/<vendor_product_id>/history", summary="The product's changes, oldest first",
            tags=["products"])
def get_product_history(vendor_product_id: Annotated[str, Path(min_length=1, max_length=200)]) -> ProductHistory:
    vendor = vendor_id(router)
    reads = dependencies(router).reads
    history = reads.product_history(vendor, vendor_product_id)
    if not history and reads.product(vendor, vendor_product_id) is None:
        raise not_found("product")
    return ProductHistory.model_validate({"items": [
        {"change": h["event"], "at": h["at"], "upload_id": h["upload_id"], "file_name": h["file_name"],
         "changes": h["changes"]} for h in history
    ]})
