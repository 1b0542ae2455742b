"""S3: the vendor's uploaded object, the error reports, and the quarantine."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import ClientError

from onboarding.domain.uploads import ObjectGone, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_BUFFER_BYTES = 1024 * 1024
_GONE_CODES = ("404", "NoSuchKey", "NoSuchVersion")


class ObjectStorage:
    def __init__(self, s3: S3Client) -> None:
        self._s3 = s3

    def describe(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            head = self._s3.head_object(**kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _GONE_CODES:
                raise ObjectGone(f"s3://{bucket}/{key} ({version_id or 'latest'}) no longer exists") from error
            raise
        return StoredObject(
            bucket=bucket,
            key=key,
            size=int(head["ContentLength"]),
            etag=head["ETag"].strip('"'),
            version_id=head.get("VersionId"),
            last_modified=head["LastModified"],
            metadata={k.lower(): v for k, v in head.get("Metadata", {}).items()},
        )

    def open(self, obj: StoredObject) -> BinaryIO:
        """Stream one object version from its start; the caller closes it."""
        kwargs: dict[str, Any] = {"Bucket": obj.bucket, "Key": obj.key}
        if obj.version_id not in (None, "null"):
            kwargs["VersionId"] = obj.version_id
        body = self._s3.get_object(**kwargs)["Body"]
        return io.BufferedReader(body, READ_BUFFER_BYTES)  # type: ignore[type-var]

    def put_text(self, bucket: str, key: str, text: str, content_type: str) -> None:
        self._s3.put_object(
            Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type
        )

    def move(self, obj: StoredObject, destination_key: str) -> None:
        """Copy the object version to `destination_key`, then delete the original key."""
        source: dict[str, str] = {"Bucket": obj.bucket, "Key": obj.key}
        if obj.version_id not in (None, "null") and obj.version_id is not None:
            source["VersionId"] = obj.version_id
        self._s3.copy_object(Bucket=obj.bucket, Key=destination_key, CopySource=source)  # type: ignore[arg-type]
        self._s3.delete_object(Bucket=obj.bucket, Key=obj.key)

    def read_text(self, bucket: str, key: str) -> str:
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")

    # -- links handed to vendors (signed locally: no call to S3) --------------------------------

    def presigned_post(self, bucket: str, key: str, max_bytes: int, expires_s: int) -> PresignedPost:
        """A form upload pinned to exactly `key` (boto3 adds the key condition) and at most `max_bytes`."""
        post = self._s3.generate_presigned_post(
            Bucket=bucket, Key=key, Conditions=[["content-length-range", 1, max_bytes]], ExpiresIn=expires_s
        )
        return PresignedPost(url=post["url"], fields=dict(post["fields"]))

    def presigned_get(self, bucket: str, key: str, expires_s: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s
        )


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
