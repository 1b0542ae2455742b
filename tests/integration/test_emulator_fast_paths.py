"""The emulator's fast paths (stream GetRecords, BatchWriteItem) give the same responses as stock moto: the same
requests go to a stock moto server (`python -m moto.server`) and to the stack's patched one, and the decoded
responses are compared field by field. moto's random generator is seeded the same on both, so event ids match
exactly; what stays random in moto itself (iterator tokens) or depends on the clock (creation times, and the
record sizes that count them) is compared by form and closeness. A test also proves the patched server really
takes the fast path (it is not stock under another name), and the entry point refuses moto it was not written
for."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from onboarding.local.aws_server import MotoServer
from onboarding.local.stack import LOCAL_AWS_CREDENTIALS

REGION = "us-east-1"
SEED = 1313


class Emulator:
    """One server and its clients; every response body is kept as received (the raw JSON)."""

    def __init__(self, server: MotoServer) -> None:
        self.server = server
        self.endpoint = server.start()
        session = boto3.session.Session(region_name=REGION,
                                        aws_access_key_id=LOCAL_AWS_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                        aws_secret_access_key=LOCAL_AWS_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        self.dynamodb = session.client("dynamodb", endpoint_url=self.endpoint)
        self.streams = session.client("dynamodbstreams", endpoint_url=self.endpoint)
        self.raw: list[tuple[int, dict[str, str], Any]] = []
        self.round_trip_s = 0.0
        self._sent_at = 0.0
        self.streams.meta.events.register("before-send.dynamodbstreams.GetRecords", self._sent)
        self.streams.meta.events.register("before-parse.dynamodbstreams.GetRecords", self._received)

    def _sent(self, **_: Any) -> None:
        self._sent_at = time.perf_counter()

    def _received(self, response_dict: dict[str, Any], **_: Any) -> None:
        self.round_trip_s += time.perf_counter() - self._sent_at
        headers = {k.lower(): v for k, v in response_dict["headers"].items()}
        self.raw.append((response_dict["status_code"], headers, json.loads(response_dict["body"])))

    def seed(self) -> None:
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.endpoint}/moto-api/seed?a={SEED}", method="POST")
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (loopback)
            pass


@pytest.fixture(scope="module")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Emulator]]:
    logs = tmp_path_factory.mktemp("emulators")
    stock = MotoServer(logs / "stock.log", stock=True)
    patched = MotoServer(logs / "patched.log")
    try:
        yield Emulator(stock), Emulator(patched)
    finally:
        stock.stop()
        patched.stop()


# -- the same requests to both ------------------------------------------------------------------------


def _table(emulator: Emulator, name: str, view: Any) -> str:
    emulator.dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return str(emulator.dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"])


def _item(n: int) -> dict[str, Any]:
    """Every attribute kind: binary and binary sets, nested maps and lists, sets, numbers, null, booleans."""
    return {
        "pk": {"S": "upload-1"}, "sk": {"N": str(n)},
        "name": {"S": f"Product {n} \u00e9\u6f22 \"quoted\"\n"}, "price": {"N": "12.50"},
        "blob": {"B": bytes([0, 255, n % 256]) + b"binary"}, "blobs": {"BS": [b"\x00a", b"\x01b"]},
        "tags": {"SS": ["red", "steel"]}, "sizes": {"NS": ["1", "2.5"]},
        "missing": {"NULL": True}, "active": {"BOOL": n % 2 == 0}, "empty": {"S": ""},
        "details": {"M": {"dimensions": {"L": [{"N": "10"}, {"N": "20"}]},
                          "nested": {"M": {"deep": {"B": b"\xfe\xed"}, "list": {"L": [{"S": "x"}, {"BOOL": True}]}}},
                          "nothing": {"M": {}}}},
    }


def _write(emulator: Emulator, table: str) -> None:
    """Inserts (a full batch), an overwrite and an update (MODIFY), a delete (REMOVE)."""
    emulator.dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": _item(n)}} for n in range(25)]})
    emulator.dynamodb.put_item(TableName=table, Item={**_item(3), "price": {"N": "99"}})
    emulator.dynamodb.update_item(TableName=table, Key={"pk": {"S": "upload-1"}, "sk": {"N": "4"}},
                                  UpdateExpression="SET tags = :t", ExpressionAttributeValues={":t": {"SS": ["new"]}})
    emulator.dynamodb.delete_item(TableName=table, Key={"pk": {"S": "upload-1"}, "sk": {"N": "5"}})


def _read_all(emulator: Emulator, stream_arn: str, limit: int) -> list[dict[str, Any]]:
    """Every page from the start of the shard (pages of `limit`), then one more read past the end (an empty
    batch), then a read from LATEST (empty too)."""
    shard = emulator.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = emulator.streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    pages: list[dict[str, Any]] = []
    while True:
        page = emulator.streams.get_records(ShardIterator=iterator, Limit=limit)
        pages.append(dict(page))
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            break
    latest = emulator.streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                                 ShardIteratorType="LATEST")["ShardIterator"]
    pages.append(dict(emulator.streams.get_records(ShardIterator=latest)))
    return pages


def _scenario(emulator: Emulator, table: str, view: str, limit: int) -> tuple[list[dict[str, Any]], list[Any]]:
    emulator.seed()
    arn = _table(emulator, table, view)
    _write(emulator, table)
    first = len(emulator.raw)
    pages = _read_all(emulator, arn, limit)
    return pages, emulator.raw[first:]


# -- comparing -------------------------------------------------------------------------------------


ITERATOR = re.compile(r"^arn:aws:dynamodb:[^|]+/stream/[^|]+\|1\|[A-Za-z0-9+/=]+$")


def _assert_same(stock: Any, patched: Any, path: str) -> None:
    """Field by field; the only fields allowed to differ are moto's own random tokens and clock readings."""
    if path.endswith("NextShardIterator"):
        assert ITERATOR.match(stock) and ITERATOR.match(patched), path
        assert stock.rsplit("|", 1)[0].rsplit("/stream/", 1)[0] == patched.rsplit("|", 1)[0].rsplit("/stream/", 1)[0]
        assert len(stock) == len(patched), path
        return
    if path.endswith("ApproximateCreationDateTime"):
        assert type(stock) is type(patched) or {type(stock), type(patched)} <= {int, float}, path
        stock_s = stock.timestamp() if hasattr(stock, "timestamp") else stock
        patched_s = patched.timestamp() if hasattr(patched, "timestamp") else patched
        assert abs(stock_s - patched_s) < 60, path
        assert round(stock_s, 3) == stock_s and round(patched_s, 3) == patched_s, f"{path}: not in milliseconds"
        return
    if path.endswith("SizeBytes"):
        # moto counts the record's text, clock reading included: a float whose repr is 12 to 17 characters.
        assert type(stock) is type(patched) is int and abs(stock - patched) <= 5, f"{path}: {stock} != {patched}"
        return
    assert type(stock) is type(patched), f"{path}: {type(stock).__name__} != {type(patched).__name__}"
    if isinstance(stock, dict):
        assert sorted(stock) == sorted(patched), f"{path}: members {sorted(stock)} != {sorted(patched)}"
        for key in stock:
            _assert_same(stock[key], patched[key], f"{path}.{key}")
    elif isinstance(stock, list):
        assert len(stock) == len(patched), f"{path}: {len(stock)} != {len(patched)} items"
        for n, (a, b) in enumerate(zip(stock, patched, strict=True)):
            _assert_same(a, b, f"{path}[{n}]")
    else:
        assert stock == patched, f"{path}: {stock!r} != {patched!r}"


def _without_request_metadata(page: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in page.items() if k != "ResponseMetadata"}


@pytest.mark.parametrize(("view", "limit"), [("NEW_AND_OLD_IMAGES", 7), ("NEW_IMAGE", 1000), ("KEYS_ONLY", 1)])
def test_get_records_decodes_the_same_from_the_patched_server_as_from_stock_moto(
    emulators: tuple[Emulator, Emulator], view: str, limit: int
) -> None:
    stock, patched = emulators
    table = f"Wire-{view}-{limit}"
    stock_pages, stock_raw = _scenario(stock, table, view, limit)
    patched_pages, patched_raw = _scenario(patched, table, view, limit)

    # What the scenario covers, so that comparing cannot pass on nothing.
    records = [r for page in stock_pages for r in page["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT"] * 25 + ["MODIFY", "MODIFY", "REMOVE"]
    assert stock_pages[-1]["Records"] == [] and stock_pages[-2]["Records"] == []  # past the end; from LATEST
    if limit < 28:
        assert len(stock_pages[-3]["Records"]) == 28 % limit or limit  # the last, partial page of the shard
    if view == "NEW_AND_OLD_IMAGES":
        image = records[0]["dynamodb"]["NewImage"]
        assert image["blob"]["B"] == bytes([0, 255, 0]) + b"binary"
        assert image["details"]["M"]["nested"]["M"]["deep"]["B"] == b"\xfe\xed"
        assert "OldImage" in records[25]["dynamodb"] and "NewImage" not in records[27]["dynamodb"]

    # Decoded by botocore (what our code sees) ...
    _assert_same([_without_request_metadata(p) for p in stock_pages],
                 [_without_request_metadata(p) for p in patched_pages], "pages")
    # ... and the JSON on the wire, status and content type included.
    assert [(status, headers["content-type"]) for status, headers, _ in stock_raw] == [
        (status, headers["content-type"]) for status, headers, _ in patched_raw]
    _assert_same([body for _, _, body in stock_raw], [body for _, _, body in patched_raw], "wire")


def test_binary_attributes_are_base64_once_on_the_wire(emulators: tuple[Emulator, Emulator]) -> None:
    _, patched = emulators
    _, raw = _scenario(patched, "Wire-binary", "NEW_IMAGE", 1000)
    image = raw[0][2]["Records"][0]["dynamodb"]["NewImage"]
    assert base64.b64decode(image["blob"]["B"]) == bytes([0, 255, 0]) + b"binary"
    assert isinstance(raw[0][2]["Records"][0]["dynamodb"]["ApproximateCreationDateTime"], int | float)


def test_the_patched_server_takes_the_fast_path(emulators: tuple[Emulator, Emulator]) -> None:
    """1,000 records of 14 attributes: stock moto spends seconds in its model-driven serializer; the fast
    path, milliseconds. Timed from the request sent to the response received, before client-side parsing;
    both servers are read in the same test, so machine load weighs on both."""
    times = []
    for emulator in emulators:
        table = "Wire-speed"
        arn = _table(emulator, table, "NEW_IMAGE")
        cells = {f"column_{n:02d}": {"S": f"value {n}"} for n in range(12)}
        for start in range(0, 1000, 25):
            emulator.dynamodb.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": {"pk": {"S": "u"}, "sk": {"N": str(n)}, **cells}}}
                for n in range(start, start + 25)]})
        emulator.round_trip_s = 0.0
        pages = _read_all(emulator, arn, 1000)
        assert sum(len(p["Records"]) for p in pages) == 1000
        times.append(emulator.round_trip_s)
    stock_s, patched_s = times
    assert patched_s * 4 < stock_s, f"patched {patched_s:.2f} s, stock {stock_s:.2f} s: no fast path in use"


# -- the entry point refuses moto it was not written for ------------------------------------------------


def test_the_entry_point_refuses_to_start_without_the_internals_it_patches(tmp_path: Path) -> None:
    code = (
        "import runpy; from moto.dynamodbstreams.responses import DynamoDBStreamsHandler as H; "
        "del H.get_records; runpy.run_module('onboarding.local.moto_main', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code, "-p", "0"], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "DynamoDBStreamsHandler.get_records" in message and "make install" in message


def test_the_startup_check_catches_a_fast_path_that_no_longer_matches_stock_serialization(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from onboarding.local import moto_fast_paths

    assert moto_fast_paths.missing_internals() == []
    monkeypatch.setattr(moto_fast_paths, "_string", lambda value: value if isinstance(value, str) else repr(value))
    monkeypatch.setattr(moto_fast_paths._RecordConverter, "_image", lambda self, image: image)  # no base64
    assert moto_fast_paths.missing_internals() == [
        "moto's GetRecords serialization as this fast path reproduces it (sample differs)"]


# -- BatchWriteItem: the request parsed by the fast path, items sized in one pass -----------------------


def _error(call: Any) -> tuple[str, str]:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]
    return "", ""


def _scan(emulator: Emulator, table: str) -> list[dict[str, Any]]:
    items = emulator.dynamodb.scan(TableName=table)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], int(item["sk"]["N"])))


def _sized_item(n: int, total_size: int) -> dict[str, Any]:
    """An item of exactly `total_size` bytes as moto counts them (names plus values, UTF-8)."""
    key = {"pk": {"S": "big"}, "sk": {"N": str(n)}}
    used = len("pk") + len("big") + len("sk") + len(str(n)) + len("payload")
    return {**key, "payload": {"S": "x" * (total_size - used)}}


def _batch_write_scenario(emulator: Emulator, table: str) -> dict[str, Any]:
    emulator.seed()
    _table(emulator, table, "NEW_AND_OLD_IMAGES")
    answers: dict[str, Any] = {}
    answers["put"] = emulator.dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": _item(n)}} for n in range(20)]},
        ReturnConsumedCapacity="TOTAL", ReturnItemCollectionMetrics="SIZE")
    answers["mixed"] = emulator.dynamodb.batch_write_item(RequestItems={table: [
        {"DeleteRequest": {"Key": {"pk": {"S": "upload-1"}, "sk": {"N": "1"}}}},
        {"PutRequest": {"Item": {**_item(1), "price": {"N": "1"}}}},
    ]})
    answers["at_the_limit"] = _error(lambda: emulator.dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": _sized_item(1, 405000)}}]}))
    answers["over_the_limit"] = _error(lambda: emulator.dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": _sized_item(2, 405001)}}]}))
    answers["duplicates"] = _error(lambda: emulator.dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": _item(7)}}, {"PutRequest": {"Item": _item(7)}}]}))
    answers["empty_key"] = _error(lambda: emulator.dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": {**_item(8), "pk": {"S": ""}}}}]}))
    answers["unknown_table"] = _error(lambda: emulator.dynamodb.batch_write_item(
        RequestItems={"NoSuchTable": [{"PutRequest": {"Item": _item(9)}}]}))
    for name, body in (("not_json", b"{not json"), ("items_not_a_map", b'{"RequestItems": ["T"]}'),
                       ("request_not_a_map", json.dumps({"RequestItems": {table: ["x"]}}).encode()),
                       ("bad_base64", json.dumps({"RequestItems": {table: [{"PutRequest": {"Item": {
                           "pk": {"S": "upload-1"}, "sk": {"N": "10"}, "blob": {"B": "not base64!"}}}}]}}).encode())):
        answers[name] = _raw_batch_write(emulator, body)
    answers["items"] = _scan(emulator, table)
    return answers


def _raw_batch_write(emulator: Emulator, body: bytes) -> tuple[int, Any]:
    """A request botocore would never send, straight over HTTP."""
    request = urllib.request.Request(emulator.endpoint, data=body, method="POST", headers={  # noqa: S310 (loopback)
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.BatchWriteItem",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            status, text = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode(errors="replace")[:200]


def test_batch_write_item_answers_and_stores_the_same_on_the_patched_server_as_on_stock_moto(
    emulators: tuple[Emulator, Emulator],
) -> None:
    stock, patched = emulators
    stock_answers = _batch_write_scenario(stock, "Wire-batch-write")
    patched_answers = _batch_write_scenario(patched, "Wire-batch-write")

    # What the scenario covers, so that comparing cannot pass on nothing.
    assert stock_answers["at_the_limit"] == ("", "")
    assert stock_answers["over_the_limit"] == ("ValidationException", "Item size has exceeded the maximum allowed size")
    assert stock_answers["duplicates"][0] == "ValidationException"
    assert stock_answers["empty_key"][0] == "ValidationException"
    assert stock_answers["not_json"][0] >= 400
    assert len(stock_answers["items"]) == 20  # 20 put, one of them deleted (moto puts, then deletes), one at the limit
    assert stock_answers["items"][1]["blob"]["B"] == bytes([0, 255, 0]) + b"binary"  # after the big item

    for name in stock_answers:
        if name in ("put", "mixed"):
            _assert_same(_without_request_metadata(stock_answers[name]),
                         _without_request_metadata(patched_answers[name]), name)
        else:
            _assert_same(stock_answers[name], patched_answers[name], name)


# -- routing: moto's module list, read once --------------------------------------------------------------


def test_the_patched_server_routes_by_the_same_module_list_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from moto import backends
    from moto.dynamodb.models.table import StreamShard
    from moto.s3.responses import S3Response

    from onboarding.local import moto_main

    assert moto_main.missing_internals() == []
    stock = list(backends.list_of_moto_modules())
    # install() patches these in this process: put them back afterwards.
    patched: tuple[tuple[object, str], ...] = (
        (backends, "list_of_moto_modules"), (StreamShard, "add"), (S3Response, "_bucket_response_post"))
    for owner, name in patched:
        monkeypatch.setattr(owner, name, getattr(owner, name))
    werkzeug_log = logging.getLogger("werkzeug")
    monkeypatch.setattr(werkzeug_log, "level", werkzeug_log.level)
    reads: list[int] = []

    def listing() -> Iterator[str]:
        reads.append(1)
        return iter(stock)

    monkeypatch.setattr(moto_main, "_list_modules_each_time", listing)
    moto_main.install(fast_paths=False)
    assert [list(backends.list_of_moto_modules()) for _ in range(3)] == [stock] * 3
    assert reads == [1]
    assert werkzeug_log.level == logging.WARNING
