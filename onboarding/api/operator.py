"""`/v1/operator/...`: every vendor's uploads, what is stuck, the dead letters and 30 days of trends, for an
operator key (`onboard keys create --operator`); a vendor's key gets 403."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from onboarding.api.context import caller, dependencies
from onboarding.api.models import DEFAULT_PAGE, MAX_PAGE, UploadOut, UploadPage
from onboarding.api.pagination import decode_cursor, encode_cursor
from onboarding.api.problems import ApiProblem
from onboarding.domain.uploads import UploadStatus
from onboarding.pipeline.vendor_api import ApiDependencies, upload_view, uploads_page

STATS_DAYS = 30
TOP_ERROR_CODES = 10

router = Router()


class StuckPage(BaseModel):
    items: list[UploadOut]


class DeadLetterQueueOut(BaseModel):
    queue: str
    messages: int
    oldest_at: datetime | None


class DeadLetterPage(BaseModel):
    items: list[DeadLetterQueueOut]


class DayCountOut(BaseModel):
    day: str
    status: str
    count: int


class ErrorCodeCountOut(BaseModel):
    error_type: str
    count: int


class StatsOut(BaseModel):
    days: int
    uploads_per_day: list[DayCountOut]
    top_error_codes: list[ErrorCodeCountOut]


def _operator() -> ApiDependencies:
    if not caller(router).operator:
        raise ApiProblem(HTTPStatus.FORBIDDEN, "OPERATOR_KEY_REQUIRED",
                         "This route is for operators; call it with a key from `onboard keys create --operator`.")
    return dependencies(router)


@router.get("/v1/operator/uploads", summary="Every vendor's uploads, newest first", tags=["operator"])
def operator_uploads(
    vendor_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[UploadStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> UploadPage:
    deps = _operator()
    after = decode_cursor("operator-uploads", cursor)
    page = uploads_page(deps, vendor_id or None, str(status) if status else None, limit,
                        (datetime.fromisoformat(after[0]), after[1]) if after else None)
    return UploadPage.model_validate({
        "items": [upload_view(deps, d) for d in page.items],
        "next_cursor": encode_cursor("operator-uploads", [page.next_after[0].isoformat(), page.next_after[1]])
        if page.next_after else None,
    })


@router.get("/v1/operator/stuck", summary="Uploads with no progress past the stuck bound", tags=["operator"])
def operator_stuck() -> StuckPage:
    deps = _operator()
    found = deps.reads.stuck_uploads(deps.settings.stuck_upload_after_s, MAX_PAGE)
    return StuckPage.model_validate({"items": [upload_view(deps, d) for d in found]})


@router.get("/v1/operator/dead-letters", summary="Messages waiting in each dead-letter queue", tags=["operator"])
def operator_dead_letters() -> DeadLetterPage:
    return DeadLetterPage.model_validate({"items": _operator().dead_letters()})


@router.get("/v1/operator/stats", summary="Uploads per day by final status and the top error codes, 30 days",
            tags=["operator"])
def operator_stats() -> StatsOut:
    stats = _operator().reads.upload_stats(STATS_DAYS, TOP_ERROR_CODES)
    return StatsOut.model_validate({"days": STATS_DAYS, **stats})
