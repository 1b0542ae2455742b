"""Each function's declared IAM actions (services/<name>/aws_calls.txt) are exactly those its code uses.

Each handler runs as a cold container of its own (fresh clients, fresh secret cache) against moto's
server, on paths that reach every call it can make; the calls are counted on the real clients.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboarding import bootstrap
from onboarding.adapters.records import serialize, to_item
from onboarding.domain.uploads import NewUpload, PendingRow, UploadStatus
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.domain.webhooks import EventType, Webhook, new_secret, new_webhook_id
from onboarding.events import stream_event
from onboarding.local.functions import load_handler
from tests.harness import RunningPipeline

SERVICES = Path(__file__).parents[2] / "services"
# The IAM actions an API operation needs, as our code calls it (always with a version id on S3). HeadObject also
# needs s3:ListBucket to tell a deleted object (404) from a forbidden one (403).
ACTIONS_OF = {
    "s3:HeadObject": {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"},
    "s3:GetObject": {"s3:GetObject", "s3:GetObjectVersion"},
    "s3:CopyObject": {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"},
    "s3:PutObject": {"s3:PutObject"},
    "s3:DeleteObject": {"s3:DeleteObject"},
    "dynamodb:BatchWriteItem": {"dynamodb:BatchWriteItem"},
    "dynamodb:BatchGetItem": {"dynamodb:BatchGetItem"},
    "sqs:GetQueueUrl": {"sqs:GetQueueUrl"},
    "sqs:GetQueueAttributes": {"sqs:GetQueueAttributes"},
    "sqs:SendMessageBatch": {"sqs:SendMessage"},
    "sqs:SendMessage": {"sqs:SendMessage"},
    "sns:Publish": {"sns:Publish"},
    "secretsmanager:DescribeSecret": {"secretsmanager:DescribeSecret"},
    "secretsmanager:GetSecretValue": {"secretsmanager:GetSecretValue"},
}
CSV = b"vendor_product_id,product_name,category,sku,price,stock_quantity\nP-1,Mouse,Electronics,S-1,9.99,3\n"


def declared(function: str, file_name: str = "aws_calls.txt") -> set[str]:
    lines = (SERVICES / function / file_name).read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def used_actions(run: Callable[[], None]) -> set[str]:
    """Run as a cold container would, and return the IAM actions of every call made."""
    bootstrap.reset()
    bootstrap.aws_calls.calls.clear()
    run()
    unknown = set(bootstrap.aws_calls.calls) - set(ACTIONS_OF)
    assert not unknown, f"calls with no IAM mapping here: {unknown}"
    return set().union(*(ACTIONS_OF[call] for call in bootstrap.aws_calls.calls))


def s3_event(bucket: str, key: str) -> dict[str, object]:
    body = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}
    return {"Records": [{"messageId": key, "body": json.dumps(body)}]}


def test_csv_parser_uses_exactly_its_declared_actions(configured: RunningPipeline) -> None:
    configured.catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    bucket = configured.settings.upload_bucket
    configured.aws.s3.put_object(Bucket=bucket, Key="uploads/VEND001/a.csv", Body=CSV)
    configured.aws.s3.put_object(Bucket=bucket, Key="uploads/VEND404/a.csv", Body=CSV)  # quarantined
    parser = load_handler("csv_parser")

    def run() -> None:
        for key in ("uploads/VEND001/a.csv", "uploads/VEND404/a.csv"):
            assert parser(s3_event(bucket, key)) == {"batchItemFailures": []}

    assert used_actions(run) == declared("csv_parser")


def test_validator_uses_exactly_its_declared_actions(configured: RunningPipeline) -> None:
    configured.catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    configured.catalog.start_upload(NewUpload("U1", "VEND001", "a.csv", "b", "k", None))
    configured.catalog.set_upload_layout("U1", 2, ["sku"], [], 1)
    rows = [PendingRow("U1", "VEND001", n, {"vendor_product_id": f"P-{n}", "product_name": "N",
                                            "category": "Electronics", "sku": f"S-{n}", "price": price,
                                            "stock_quantity": "1"}, ())
            for n, price in ((1, "9.99"), (2, "free"))]
    records = [{"eventID": str(r.row_number), "eventName": "INSERT",
                "dynamodb": {"NewImage": _image(r), "SequenceNumber": str(r.row_number)}} for r in rows]
    validator = load_handler("validator")

    def run() -> None:
        assert validator(stream_event(records, "arn:aws:dynamodb:us-east-1:1:table/T/stream/x", "us-east-1")) == {
            "batchItemFailures": []}

    assert used_actions(run) == declared("validator")


def test_error_processor_uses_exactly_its_declared_actions(
    configured: RunningPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured.catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    # A webhook, so finishing the upload raises an event and tells the sender's queue.
    configured.container.webhook_dependencies.catalog.create_webhook(
        Webhook(new_webhook_id(), "VEND001", "https://hooks.example.com/x", tuple(EventType), datetime.now(UTC)),
        new_secret())
    configured.catalog.start_upload(NewUpload("U1", "VEND001", "a.csv", "b", "k", None))
    configured.catalog.set_upload_layout("U1", 1, ["sku"], [], 1)
    configured.container.records.put_rows(
        [PendingRow("U1", "VEND001", 1, {"sku": "S"}, ("S",))])
    monkeypatch.setenv("STUCK_UPLOAD_AFTER_S", "0")  # the row above never reaches the validator: a stalled upload
    processor = load_handler("error_processor")

    def run() -> None:
        swept = processor({"source": "aws.events", "detail-type": "Scheduled Event"})
        assert swept == {"finished_uploads": ["U1"], "expired_tickets": []}

    assert used_actions(run) == declared("error_processor")


def _image(row: PendingRow) -> dict[str, object]:
    return serialize(to_item(row, 0))


def test_the_api_and_its_authorizer_use_exactly_their_declared_actions(configured: RunningPipeline) -> None:
    from onboarding.adapters.api_keys import ApiKeyStore

    configured.catalog.save_vendor(Vendor("VEND001", "V", "v@example.com", VendorStatus.ACTIVE))
    _, key = ApiKeyStore(configured.engine).create("VEND001")
    _, operator_key = ApiKeyStore(configured.engine).create(None, operator=True)
    dry_run = "UPLOAD_VEND001_20261204000000_DRYRUN"
    configured.catalog.start_upload(NewUpload(dry_run, "VEND001", "d.csv", "b", "uploads/VEND001/d.csv", None,
                                              dry_run=True))
    with configured.catalog.completion(dry_run) as completion:
        assert completion is not None
        completion.finish(UploadStatus.VALIDATED, None, None, None)
    authorizer = load_handler("api", module_name="authorizer")
    api = load_handler("api")
    method_arn = "arn:aws:execute-api:us-east-1:123456789012:api/live/POST/v1/uploads"

    def run() -> None:
        policy = authorizer({"type": "TOKEN", "authorizationToken": f"Bearer {key.api_key}", "methodArn": method_arn})
        event = {"httpMethod": "POST", "path": "/v1/uploads", "resource": "/v1/uploads",
                 "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
                 "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
                 "body": json.dumps({"file_name": "VEND001_a.csv"}), "isBase64Encoded": False,
                 "requestContext": {"stage": "live", "path": "/live/v1/uploads", "authorizer": policy["context"],
                                    "httpMethod": "POST", "resourcePath": "/v1/uploads"}}
        ticket = api(event)
        assert ticket["statusCode"] == 201, ticket
        upload_id = json.loads(ticket["body"])["upload_id"]
        read = {**event, "httpMethod": "GET", "path": f"/v1/uploads/{upload_id}", "body": None}
        assert api(read)["statusCode"] == 200  # signs nothing it does not need: no report yet
        commit = {**event, "path": f"/v1/uploads/{dry_run}/commit", "body": None}
        assert api(commit)["statusCode"] == 202  # asks the parser again through the upload queue
        operator = authorizer({"type": "TOKEN", "authorizationToken": f"Bearer {operator_key.api_key}",
                               "methodArn": method_arn})
        dead_letters = {**read, "path": "/v1/operator/dead-letters",
                        "requestContext": {"stage": "live", "path": "/live/v1/operator/dead-letters",
                                           "authorizer": operator["context"], "httpMethod": "GET",
                                           "resourcePath": "/v1/operator/dead-letters"}}
        assert api(dead_letters)["statusCode"] == 200  # counts the messages in each dead-letter queue

    # Signing presigned POSTs and GETs is local: the only calls are the database secret's.
    assert used_actions(run) == declared("api") | declared("api", "commit_actions.txt") \
        | declared("api", "operator_actions.txt")
