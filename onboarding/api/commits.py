"""`POST /v1/uploads/{upload_id}/commit`: a validated dry run, processed for real under the same upload id."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from onboarding.api.context import dependencies, vendor_id
from onboarding.api.models import UploadOut
from onboarding.api.problems import ApiProblem, not_found
from onboarding.domain.dry_runs import CommitRefused
from onboarding.pipeline.commit_upload import UploadNotFound, commit_upload
from onboarding.pipeline.vendor_api import find_upload, upload_view

router = Router()

UploadId = Annotated[str, Path(min_length=1, max_length=200, description="The upload's id.")]


@router.post("/v1/uploads/<upload_id>/commit", status_code=202, tags=["uploads"],
             summary="Commit a validated dry run: its stored file is processed for real (again harmless)",
             responses={202: {"description": "Accepted: poll the upload; its history goes on.",
                              "content": {"application/json": {"model": UploadOut}}},
                        409: {"description": "Not a validated dry run, or past its commit window."}})
def commit(upload_id: UploadId) -> Response[Any]:
    deps = dependencies(router)
    vendor = vendor_id(router)
    try:
        commit_upload(deps.commits, vendor, upload_id)
    except UploadNotFound as missing:
        raise not_found("upload") from missing
    except CommitRefused as refused:
        raise ApiProblem(HTTPStatus.CONFLICT, str(refused.code), refused.detail) from refused
    detail = find_upload(deps, vendor, upload_id)
    if detail is None:
        raise not_found("upload")
    body = UploadOut.model_validate(upload_view(deps, detail)).model_dump(mode="json", exclude_unset=True)
    return Response(status_code=HTTPStatus.ACCEPTED.value, content_type="application/json", body=body)
