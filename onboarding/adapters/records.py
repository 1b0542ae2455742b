"""DynamoDB `UploadRecords`: one pending item per data row, the validator's input via the stream."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from onboarding.adapters.batching import backoff, chunks
from onboarding.domain.errors import RowError
from onboarding.domain.uploads import PendingRow

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_BATCH_WRITE = 25  # BatchWriteItem's limit
MAX_BATCH_GET = 100  # BatchGetItem's limit
WRITES_IN_FLIGHT = 4  # overlaps building the next batches with DynamoDB's work on the last ones
PENDING_VALIDATION = "pending_validation"
RECORD_TTL_S = 14 * 24 * 3600
SHARD_SEPARATOR = "#"  # never in an upload id (see domain/uploads.py)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def record_id(row_number: int) -> str:
    """Sort key of a row: zero-padded so items sort in file order."""
    return f"ROW#{row_number:07d}"


def partition_key(upload_id: str, row_number: int, write_shards: int) -> str:
    """The item's `upload_id` value. With one write shard it is the upload id itself; with S,
    `<upload_id>#<row_number % S>`: DynamoDB takes about 1,000 writes/s per partition key value, so S shards
    let one upload be written S times faster (bench/AWS_MODEL.md). Readers get the upload back with
    `upload_of`, whatever S the writer used."""
    if write_shards <= 1:
        return upload_id
    return f"{upload_id}{SHARD_SEPARATOR}{row_number % write_shards}"


def upload_of(partition_key_value: str) -> str:
    return partition_key_value.split(SHARD_SEPARATOR, 1)[0]


def to_item(row: PendingRow, now: float, write_shards: int = 1) -> dict[str, Any]:
    """The row as an `UploadRecords` item, written under one of the upload's `write_shards` partition keys."""
    item: dict[str, Any] = {
        "upload_id": partition_key(row.upload_id, row.row_number, write_shards),
        "record_id": record_id(row.row_number),
        "vendor_id": row.vendor_id,
        "row_number": row.row_number,
        "product_data": row.product_data,
        "source_cells": list(row.cells),
        "status": PENDING_VALIDATION,
        "expires_at": int(now) + RECORD_TTL_S,
    }
    if row.problems:
        item["parse_errors"] = list(row.problems)
    return item


def from_item(item: dict[str, Any]) -> PendingRow:
    """Raises KeyError, TypeError or ValueError for an item that is not a pending row (a poison record)."""
    product_data, cells, problems = (item.get("product_data", {}), item.get("source_cells", []),
                                     item.get("parse_errors", []))
    if not isinstance(product_data, dict) or not isinstance(cells, list) or not isinstance(problems, list):
        raise TypeError("product_data must be a map; source_cells and parse_errors lists")
    for problem in problems:
        RowError.from_dict(dict(problem))  # each must read as a row error, or the whole batch would fail on it
    return PendingRow(
        upload_id=upload_of(str(item["upload_id"])),
        vendor_id=str(item["vendor_id"]),
        row_number=int(item["row_number"]),
        product_data={str(k): str(v) for k, v in product_data.items()},
        cells=tuple(str(c) for c in cells),
        problems=tuple(dict(p) for p in problems),
    )


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _attribute_value(v) for k, v in item.items()}


def deserialize(image: dict[str, Any]) -> dict[str, Any]:
    return {k: _python_value(v) for k, v in image.items()}


# boto3's TypeSerializer and TypeDeserializer test each value against every DynamoDB type in turn; a row is a
# few dozen strings in maps and lists, converted once per row on the hot path. The kinds rows are made of are
# converted here directly; anything else (and every number read back, a Decimal) goes to boto3's, so the
# results are boto3's own (tests/unit/test_records_encoding.py holds them to it).
_MAX_EXACT_INT = 10**38  # DynamoDB numbers keep 38 digits; boto3 refuses a longer one, so it decides those


def _attribute_value(value: Any) -> dict[str, Any]:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: _attribute_value(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [_attribute_value(v) for v in value]}
    if kind is int and -_MAX_EXACT_INT < value < _MAX_EXACT_INT:
        return {"N": str(value)}
    return dict(_serializer.serialize(value))


def _python_value(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        if "S" in value:
            return value["S"]
        if "M" in value:
            return {k: _python_value(v) for k, v in value["M"].items()}
        if "L" in value:
            return [_python_value(v) for v in value["L"]]
    return _deserializer.deserialize(value)  # type: ignore[arg-type]  # boto3-stubs' TypedDict; a plain dict


class UploadRecords:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str, write_shards: int = 1,
                 max_attempts: int = 10) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._write_shards = write_shards
        self._max_attempts = max_attempts

    @property
    def write_shards(self) -> int:
        """Partition key values per upload that `put_rows` writes under (recorded with the upload)."""
        return self._write_shards

    def put_rows(self, rows: Iterable[PendingRow]) -> int:
        """Write rows 25 at a time, a few requests in flight while the next ones are built; unprocessed items
        are retried with backoff. Returns rows written. Memory stays bounded: at most WRITES_IN_FLIGHT batches
        wait, and the rows are read from `rows` only as fast as they are written."""
        written = 0
        now = time.time()
        in_flight: deque[Future[None]] = deque()
        with ThreadPoolExecutor(max_workers=WRITES_IN_FLIGHT, thread_name_prefix="batch-write") as pool:
            for chunk in chunks(rows, MAX_BATCH_WRITE):
                requests = [{"PutRequest": {"Item": serialize(to_item(row, now, self._write_shards))}}
                            for row in chunk]
                if len(in_flight) >= WRITES_IN_FLIGHT:
                    in_flight.popleft().result()  # re-raises a write that failed for good
                in_flight.append(pool.submit(self._write_with_retry, requests))
                written += len(chunk)
            for write in in_flight:
                write.result()
        return written

    def _write_with_retry(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(self._max_attempts):
            response = self._dynamodb.batch_write_item(RequestItems={self._table: pending})  # type: ignore[dict-item]
            pending = response.get("UnprocessedItems", {}).get(self._table, [])  # type: ignore[assignment]
            if not pending:
                return
            backoff(attempt)
        raise RuntimeError(f"{len(pending)} items still unprocessed after {self._max_attempts} attempts")

    def delete_rows(self, upload_id: str, row_numbers: Iterable[int], write_shards: int | None = None) -> int:
        """Delete rows by number, 25 per request (the stream reports REMOVE, which the validator ignores)."""
        shards = self._write_shards if write_shards is None else write_shards
        deleted = 0
        for chunk in chunks(row_numbers, MAX_BATCH_WRITE):
            self._write_with_retry([
                {"DeleteRequest": {"Key": serialize({"upload_id": partition_key(upload_id, n, shards),
                                                     "record_id": record_id(n)})}}
                for n in chunk
            ])
            deleted += len(chunk)
        return deleted

    def get_rows(
        self, upload_id: str, row_numbers: Sequence[int], write_shards: int | None = None
    ) -> list[PendingRow]:
        """Fetch rows by number (the sweeper's way to report rows that never got an outcome). `write_shards`:
        the layout the upload's rows were written with, when it differs from this adapter's setting."""
        shards = self._write_shards if write_shards is None else write_shards
        found: list[PendingRow] = []
        for chunk in chunks(row_numbers, MAX_BATCH_GET):
            keys: list[dict[str, Any]] = [
                serialize({"upload_id": partition_key(upload_id, n, shards), "record_id": record_id(n)})
                for n in chunk
            ]
            for attempt in range(self._max_attempts):
                response: Any = self._dynamodb.batch_get_item(RequestItems={self._table: {"Keys": keys}})
                found += [from_item(deserialize(i)) for i in response["Responses"].get(self._table, [])]
                keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
                if not keys:
                    break
                backoff(attempt)
        return found


def pending_row(record: Mapping[str, Any]) -> PendingRow:
    """A DynamoDB stream INSERT record's new image as a pending row (raises on a malformed record)."""
    return from_item(deserialize(record["dynamodb"]["NewImage"]))
