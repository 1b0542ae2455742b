"""`/v1/uploads`: tickets (presigned POSTs), an upload's status with its history, its errors, its report."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel

from onboarding.api.context import dependencies, vendor_id
from onboarding.api.models import DEFAULT_PAGE, MAX_PAGE, ErrorPage, TicketIn, TicketOut, UploadOut, UploadPage
from onboarding.api.pagination import decode_cursor, encode_cursor
from onboarding.api.problems import ApiProblem, not_found
from onboarding.domain.tickets import IdempotentRequest, request_fingerprint
from onboarding.domain.uploads import UploadDetail, UploadStatus
from onboarding.pipeline.vendor_api import (
    TicketRequest,
    errors_page,
    find_upload,
    issue_ticket,
    upload_view,
    uploads_page,
)

router = Router()

UploadId = Annotated[str, Path(min_length=1, max_length=200, description="The upload's id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=1000, description="`next_cursor` of the previous page.")]


@router.post("/v1/uploads", status_code=201, summary="Get an upload ticket (a presigned POST for one file)",
             tags=["uploads"])
def create_upload(
    ticket: TicketIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)] = None,
) -> Response[TicketOut]:
    body = ticket.model_dump(mode="json")
    idempotency = IdempotentRequest(idempotency_key, request_fingerprint(body)) if idempotency_key else None
    answer = issue_ticket(
        dependencies(router), vendor_id(router),
        TicketRequest(ticket.file_name, ticket.dry_run, ticket.mode, ticket.confirm_replace), idempotency,
    )
    return Response(status_code=answer.status_code, content_type="application/json",
                    body=TicketOut.model_validate(answer.body))


@router.get("/v1/uploads", summary="The vendor's uploads, newest first", tags=["uploads"],
            responses={200: {"description": "A page of uploads",
                             "content": {"application/json": {"model": UploadPage}}}})
def list_uploads(
    status: Annotated[UploadStatus | None, Query(description="Only uploads in this status.")] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[Any]:
    deps = dependencies(router)
    after = decode_cursor("uploads", cursor)
    page = uploads_page(deps, vendor_id(router), str(status) if status else None, limit,
                        (datetime.fromisoformat(after[0]), after[1]) if after else None)
    return _json(UploadPage.model_validate({
        "items": [upload_view(deps, d) for d in page.items],
        "next_cursor": encode_cursor("uploads", [page.next_after[0].isoformat(), page.next_after[1]])
        if page.next_after else None,
    }))


@router.get("/v1/uploads/<upload_id>", summary="One upload: status, progress, history, report link",
            tags=["uploads"],
            responses={200: {"description": "The upload", "content": {"application/json": {"model": UploadOut}}}})
def get_upload(upload_id: UploadId) -> Response[Any]:
    deps = dependencies(router)
    return _json(UploadOut.model_validate(upload_view(deps, _own_upload(upload_id))))


@router.get("/v1/uploads/<upload_id>/errors", summary="The upload's errors, in row order", tags=["uploads"])
def list_errors(upload_id: UploadId, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> ErrorPage:
    _own_upload(upload_id)
    after = decode_cursor("errors", cursor)
    page = errors_page(dependencies(router), upload_id, limit, tuple(after) if after else None)
    return ErrorPage.model_validate({
        "items": [line.error.to_dict() for line in page.items],
        "next_cursor": encode_cursor("errors", list(page.next_after)) if page.next_after else None,
    })


@router.get("/v1/uploads/<upload_id>/report", summary="Redirect (303) to the error report",
            tags=["uploads"], responses={303: {"description": "See Other: the report's short-lived link."}})
def get_report(upload_id: UploadId) -> Response[Any]:
    upload = _own_upload(upload_id).upload
    if not upload.error_report_key:
        raise ApiProblem(HTTPStatus.NOT_FOUND, "NO_REPORT",
                         f"Upload {upload_id} has no error report (status {upload.status}); see its status instead.")
    deps = dependencies(router)
    url = deps.links.presigned_get(upload.s3_bucket, upload.error_report_key, deps.settings.api_report_url_ttl_s)
    return Response(status_code=HTTPStatus.SEE_OTHER.value, headers={"Location": url}, body="")


def _json(model: BaseModel) -> Response[Any]:
    """Validated here, sent without what was not set: `next_poll_after_s` is absent once an upload is final
    (the resolver's own response validation would send it as null)."""
    return Response(status_code=200, content_type="application/json",
                    body=model.model_dump(mode="json", exclude_unset=True))


def _own_upload(upload_id: str) -> UploadDetail:
    found = find_upload(dependencies(router), vendor_id(router), upload_id)
    if found is None:
        raise not_found("upload")
    return found
