"""Create the AWS resources of the pipeline in moto's server or LocalStack (idempotent).

In AWS the SAM template (`infra/template.yaml`) owns these; locally this module does, for the
embedded stack (`onboard up`) and for docker compose's setup job (`onboard provision`) alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.dead_letter_counts import DLQ_SUFFIX
from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import Settings

# The queues as the SAM template makes them (its `Timeouts` mapping and queue properties);
# tests/infra/test_template.py fails if the two disagree.
MAX_RECEIVE_COUNT = 5
UPLOAD_QUEUE_VISIBILITY_S = 1800  # 6 x csv_parser's timeout
ERROR_QUEUE_VISIBILITY_S = 360  # 6 x error_processor's timeout
DEAD_LETTER_RETENTION_S = 14 * 24 * 3600
WEBHOOK_QUEUE_VISIBILITY_S = 120  # above the sender's timeout for a batch of posts
_DEAD_LETTER_ATTRIBUTES = {"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_S)}


@dataclass(frozen=True)
class Resources:
    bucket: str
    table: str
    stream_arn: str
    upload_queue_url: str
    upload_queue_arn: str
    error_queue_url: str
    error_queue_arn: str
    stream_dlq_url: str
    vendor_topic_arn: str
    operator_topic_arn: str
    secret_id: str | None
    webhook_queue_url: str = ""

    def dead_letter_queues(self) -> dict[str, str]:
        return {
            "uploads": self.upload_queue_url + DLQ_SUFFIX,
            "errors": self.error_queue_url + DLQ_SUFFIX,
            "validator": self.stream_dlq_url,
            "webhooks": self.webhook_queue_url + DLQ_SUFFIX,
        }


def provision(settings: Settings, clients: AwsClients, db: DatabaseCredentials | None = None) -> Resources:
    upload_url, upload_arn = _queue_with_dlq(clients, settings.upload_queue, UPLOAD_QUEUE_VISIBILITY_S)
    error_url, error_arn = _queue_with_dlq(clients, settings.error_queue, ERROR_QUEUE_VISIBILITY_S)
    webhook_url, _ = _queue_with_dlq(clients, settings.webhook_queue, WEBHOOK_QUEUE_VISIBILITY_S)
    stream_dlq_url, _ = _queue(clients, settings.validator_dlq, _DEAD_LETTER_ATTRIBUTES)
    _bucket(clients, settings, upload_arn)
    stream_arn = _table(clients, settings.records_table)
    vendor_topic = clients.sns.create_topic(Name=settings.vendor_topic)["TopicArn"]
    operator_topic = clients.sns.create_topic(Name=settings.operator_topic)["TopicArn"]
    secret_id = _secret(clients, settings.db_secret_id, db) if db is not None else None
    return Resources(
        bucket=settings.upload_bucket,
        table=settings.records_table,
        stream_arn=stream_arn,
        upload_queue_url=upload_url,
        upload_queue_arn=upload_arn,
        error_queue_url=error_url,
        error_queue_arn=error_arn,
        stream_dlq_url=stream_dlq_url,
        vendor_topic_arn=vendor_topic,
        operator_topic_arn=operator_topic,
        secret_id=secret_id,
        webhook_queue_url=webhook_url,
    )


def _queue(clients: AwsClients, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    url = clients.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
    arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _queue_with_dlq(clients: AwsClients, name: str, visibility_s: int) -> tuple[str, str]:
    _, dlq_arn = _queue(clients, name + DLQ_SUFFIX, _DEAD_LETTER_ATTRIBUTES)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
    return _queue(clients, name, {"VisibilityTimeout": str(visibility_s), "RedrivePolicy": redrive})


UPLOAD_CORS_RULE: Any = {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"],
                         "MaxAgeSeconds": 3600}


def _bucket(clients: AwsClients, settings: Settings, upload_queue_arn: str) -> None:
    s3 = clients.s3
    try:
        if settings.aws_region == "us-east-1":
            s3.create_bucket(Bucket=settings.upload_bucket)
        else:
            s3.create_bucket(
                Bucket=settings.upload_bucket,
                CreateBucketConfiguration={"LocationConstraint": settings.aws_region},  # type: ignore[typeddict-item]
            )
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_bucket_versioning(Bucket=settings.upload_bucket, VersioningConfiguration={"Status": "Enabled"})
    # The portal's browser POSTs the file straight to the presigned form: S3 must answer its CORS preflight.
    # Any origin: the signed policy (key, size, expiry) is what guards the bucket, not the page's origin.
    s3.put_bucket_cors(Bucket=settings.upload_bucket, CORSConfiguration={"CORSRules": [UPLOAD_CORS_RULE]})
    s3.put_bucket_notification_configuration(
        Bucket=settings.upload_bucket,
        NotificationConfiguration={
            # Every object under the prefix, whatever its name: a file of the wrong type must get an
            # answer too (the parser rejects it with UNSUPPORTED_FILE_TYPE), not silence.
            "QueueConfigurations": [
                {
                    "Id": "uploads",
                    "QueueArn": upload_queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": settings.upload_prefix}]}},
                }
            ]
        },
    )


def _table(clients: AwsClients, name: str) -> str:
    dynamodb = clients.dynamodb
    try:
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "upload_id", "KeyType": "HASH"},
                {"AttributeName": "record_id", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "upload_id", "AttributeType": "S"},
                {"AttributeName": "record_id", "AttributeType": "S"},
                {"AttributeName": "vendor_id", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "VendorIndex",
                    "KeySchema": [
                        {"AttributeName": "vendor_id", "KeyType": "HASH"},
                        {"AttributeName": "upload_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    table = dynamodb.describe_table(TableName=name)["Table"]
    return table["LatestStreamArn"]


def _secret(clients: AwsClients, secret_id: str, db: DatabaseCredentials) -> str:
    value = json.dumps(
        {"username": db.username, "password": db.password, "host": db.host, "port": db.port, "dbname": db.dbname}
    )
    sm = clients.secretsmanager
    try:
        return sm.create_secret(Name=secret_id, SecretString=value)["ARN"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise
        return sm.put_secret_value(SecretId=secret_id, SecretString=value)["ARN"]

