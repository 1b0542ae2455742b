"""`/v1/webhooks`: a vendor's endpoints for upload events, and every delivery attempt to them."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from onboarding.api.context import dependencies, vendor_id
from onboarding.api.models import DEFAULT_PAGE, MAX_PAGE
from onboarding.api.pagination import decode_cursor, encode_cursor
from onboarding.api.problems import ApiProblem, not_found
from onboarding.domain.webhooks import MAX_URL_CHARS, EventType, Webhook, WebhookRefused
from onboarding.pipeline.webhooks import register_webhook, webhook_attempts

router = Router()

WebhookId = Annotated[str, Path(min_length=1, max_length=100, description="The webhook's id.")]


class WebhookIn(BaseModel):
    """An endpoint to tell of upload events: https, answering 2xx within the timeout."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS, examples=["https://hooks.example.com/onboarding"])
    events: list[EventType] = Field(min_length=1, max_length=len(EventType), examples=[["upload.completed"]])


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[EventType]
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret (`whsec_...`), shown this once: store it now.")


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(BaseModel):
    id: str = Field(description="The attempt's id.")
    event_id: str = Field(description="The `webhook-id` header the attempt carried (the same on every retry).")
    event_type: EventType
    upload_id: str
    attempt: int = Field(description="1 for the first try of this event to this endpoint, 2 for its first retry...")
    status_code: int | None = Field(description="What the endpoint answered; null when it did not answer.")
    error: str | None = Field(description="Why there was no answer (timeout, refused, address not allowed).")
    succeeded: bool
    at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


def _out(webhook: Webhook) -> dict[str, Any]:
    return {"id": webhook.webhook_id, "url": webhook.url, "events": [str(e) for e in webhook.events],
            "created_at": webhook.created_at}


@router.post("/v1/webhooks", status_code=201, summary="Register an endpoint for upload events", tags=["webhooks"])
def create_webhook(webhook: WebhookIn) -> Response[WebhookCreatedOut]:
    deps = dependencies(router).webhooks
    try:
        created = register_webhook(deps, vendor_id(router), webhook.url, [str(e) for e in webhook.events])
    except WebhookRefused as refused:
        raise ApiProblem(HTTPStatus.UNPROCESSABLE_ENTITY, refused.code, refused.detail) from refused
    body = WebhookCreatedOut.model_validate({**_out(created.webhook), "secret": created.secret})
    return Response(status_code=201, content_type="application/json", body=body)


@router.get("/v1/webhooks", summary="The vendor's webhooks (secrets are never listed)", tags=["webhooks"])
def list_webhooks() -> WebhookPage:
    hooks = dependencies(router).webhooks.catalog.webhooks_of(vendor_id(router))
    return WebhookPage.model_validate({"items": [_out(h) for h in hooks], "next_cursor": None})


@router.delete("/v1/webhooks/<webhook_id>", summary="Stop sending to an endpoint", tags=["webhooks"],
               responses={204: {"description": "Deleted; pending deliveries to it are dropped."}})
def delete_webhook(webhook_id: WebhookId) -> Response[Any]:
    if not dependencies(router).webhooks.catalog.delete_webhook(vendor_id(router), webhook_id):
        raise not_found("webhook")
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@router.get("/v1/webhooks/<webhook_id>/deliveries", summary="Every delivery attempt to an endpoint, oldest first",
            tags=["webhooks"])
def list_deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=1000, description="`next_cursor` of the previous page.")] = None,
) -> DeliveryPage:
    after = decode_cursor("deliveries", cursor)
    attempts = webhook_attempts(dependencies(router).webhooks, vendor_id(router), webhook_id, limit + 1,
                                int(after) if after is not None else None)
    if attempts is None:
        raise not_found("webhook")
    page = attempts[:limit]
    return DeliveryPage.model_validate({
        "items": [{"id": str(a.attempt_id), "event_id": a.event_id, "event_type": a.event_type,
                   "upload_id": a.upload_id, "attempt": a.attempt, "status_code": a.status_code, "error": a.error,
                   "succeeded": a.succeeded, "at": a.at} for a in page],
        "next_cursor": encode_cursor("deliveries", page[-1].attempt_id) if len(attempts) > limit else None,
    })
