"""Fast paths for moto's server on the local pipeline's hot path, each giving the same response on the wire.

moto turns a backend's result into a response by walking the botocore model shape by shape
(`moto/core/serialize.py`): about 5 ms per stream record of 14 attributes, so reading 10,000 records costs
the stack a minute while the backend itself answers in milliseconds. A fast path here does the same
conversion for one operation, written for that operation's shapes: the members the model declares, the
same leaf conversions (moto's own timestamp and base64 helpers), the same headers and status. The
wire-identity tests (`tests/integration/test_emulator_fast_paths.py`) send the same requests to a stock moto
server and to the patched one and compare the responses field by field.

`missing_internals()` lists what these patches rely on; the entry point refuses to start if any is gone.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from moto import settings as moto_settings
from moto.core.parse import JSONParser
from moto.core.responses import ActionContext, ActionResult, BaseResponse
from moto.core.serialize import JSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

# The moto functions the fast paths replace or reproduce, as they were read when writing them (sha256 of their
# source, first 16 hex digits). Any other source is code these fast paths have not been checked against.
PINNED_SOURCES: tuple[tuple[type, str, str], ...] = (
    (DynamoDBStreamsHandler, "get_records", "eca5821a96bdd10d"),
    (Item, "__init__", "d9c12b62cb921831"),
    (LimitedSizeDict, "__setitem__", "d979580fdbe14f79"),
    (BaseResponse, "parse_parameters", "fd3d04c9194814f4"),
)


def changed_sources(pins: tuple[tuple[type, str, str], ...]) -> list[str]:
    """The pinned functions that are missing or whose source is not the one pinned."""
    changed = []
    for owner, name, digest in pins:
        try:
            source = inspect.getsource(owner.__dict__[name])
        except (KeyError, OSError, TypeError):
            source = ""
        if hashlib.sha256(source.encode()).hexdigest()[:16] != digest:
            changed.append(f"{owner.__module__}.{owner.__qualname__}.{name} (as pinned)")
    return changed

# The shapes the stream fast path is written for (botocore's dynamodbstreams model, GetRecords output).
# A model that declares anything else is a model this code has not been checked against.
RECORD_MEMBERS = {
    "eventID": "string", "eventName": "string", "eventVersion": "string", "eventSource": "string",
    "awsRegion": "string", "dynamodb": "structure", "userIdentity": "structure",
}
STREAM_RECORD_MEMBERS = {
    "ApproximateCreationDateTime": "timestamp", "Keys": "map", "NewImage": "map", "OldImage": "map",
    "SequenceNumber": "string", "SizeBytes": "long", "StreamViewType": "string",
}
ATTRIBUTE_VALUE_MEMBERS = {
    "S": "string", "N": "string", "B": "blob", "SS": "list", "NS": "list", "BS": "list", "M": "map",
    "L": "list", "NULL": "boolean", "BOOL": "boolean",
}
IDENTITY_MEMBERS = {"PrincipalId": "string", "Type": "string"}
_IMAGES = ("Keys", "NewImage", "OldImage")


def _members(shape: Any) -> dict[str, str]:
    return {name: member.type_name for name, member in shape.members.items()}


def _stream_shapes(operation_model: Any) -> tuple[Any, Any, Any, Any]:
    """GetRecords' Record, StreamRecord, AttributeValue and Identity shapes."""
    record = operation_model.output_shape.members["Records"].member
    stream_record = record.members["dynamodb"]
    return record, stream_record, stream_record.members["Keys"].value, record.members["userIdentity"]


def _stream_context() -> ActionContext:
    service_model = get_service_model("dynamodbstreams")
    return ActionContext(service_model, service_model.operation_model("GetRecords"),
                         get_serializer_class("dynamodbstreams", service_model.protocol), DynamoDBStreamsHandler())


def missing_internals() -> list[str]:
    """What the fast paths need from moto and botocore and did not find, or where they no longer agree with
    moto's own serializer on a sample (empty when all is as these fast paths were written against)."""
    missing = [
        f"moto.{owner.__module__.removeprefix('moto.')}.{owner.__name__}.{name}"
        for owner, name in ((ActionResult, "execute_result"),
                            (JSONSerializer, "_serialize_body"), (JSONSerializer, "_base64"),
                            (JSONSerializer, "_get_protocol_specific_content_type"))
        if not callable(getattr(owner, name, None))
    ]
    missing += changed_sources(PINNED_SOURCES)
    if missing:
        return missing
    try:
        context = _stream_context()
        shapes = _stream_shapes(context.operation_model)
    except (KeyError, AttributeError, TypeError) as error:
        return [f"the dynamodbstreams GetRecords model as moto loads it ({error!r})"]
    for shape, expected in zip(shapes, (RECORD_MEMBERS, STREAM_RECORD_MEMBERS, ATTRIBUTE_VALUE_MEMBERS,
                                        IDENTITY_MEMBERS), strict=True):
        if _members(shape) != expected:
            missing.append(f"the {shape.name} shape with members {sorted(expected)}")
    if not missing and not _agrees_with_stock(context):
        missing.append("moto's GetRecords serialization as this fast path reproduces it (sample differs)")
    if not _batch_write_parse_agrees_with_stock():
        missing.append("moto's BatchWriteItem request parsing as this fast path reproduces it (sample differs)")
    return missing


def _agrees_with_stock(context: ActionContext) -> bool:
    """One sample record through both conversions: every member kind, a binary set, nesting, a timestamp."""
    image = {"pk": {"S": "u#1"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xffbin"}, "bs": {"BS": [b"a", b"\x01"]},
             "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]}, "null": {"NULL": True}, "t": {"BOOL": False},
             "m": {"M": {"inner": {"L": [{"S": "a"}, {"M": {"deep": {"B": b"z"}}}]}}}, "l": {"L": []}}
    result = {"NextShardIterator": "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/x|1|abc", "Records": [{
        "eventID": "0f" * 16, "eventName": "INSERT", "eventSource": "aws:dynamodb", "eventVersion": "1.0",
        "awsRegion": "us-east-1", "dynamodb": {
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "ApproximateCreationDateTime": datetime(2026, 1, 2, 3, 4, 5, 678901),
            "SequenceNumber": "1100000000017454423009", "SizeBytes": 321, "Keys": {"pk": {"S": "u#1"}},
            "NewImage": image, "OldImage": {"pk": {"S": "u#1"}}}}]}
    stock_status, stock_headers, stock_body = ActionResult(result).execute_result(context)
    try:
        fast_status, fast_headers, fast_body = _StreamRecordsResult(result).execute_result(context)
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    return bool((stock_status, stock_headers, json.loads(stock_body)) == (fast_status, fast_headers,
                                                                          json.loads(fast_body)))


# -- DynamoDB Streams GetRecords -------------------------------------------------------------------


class _StreamRecordsResult(ActionResult):
    """`GetRecords`' result, converted for its own shapes instead of by the generic model walk."""

    def execute_result(self, context: ActionContext) -> Any:
        serializer: Any = context.serializer_class(
            operation_model=context.operation_model,
            pretty_print=moto_settings.PRETTIFY_RESPONSES,
            value_picker=XFormedAttributePicker(response_transformers=None),
        )
        timestamp_shape = _stream_shapes(context.operation_model)[1].members["ApproximateCreationDateTime"]
        convert = _RecordConverter(serializer, timestamp_shape)
        result: dict[str, Any] = self.result  # type: ignore[assignment]
        body: dict[str, Any] = {"Records": [convert.record(r) for r in result["Records"]]}
        if result.get("NextShardIterator") is not None:
            body["NextShardIterator"] = str(result["NextShardIterator"])
        status = context.operation_model.http.get("responseCode", 200)
        headers = {"Content-Type": serializer._get_protocol_specific_content_type()}
        return status, headers, serializer._serialize_body(body)


class _RecordConverter:
    """What moto's JSON serializer does to a stream record, member by member: members the model does not
    declare and None values are left out, strings pass through `str`, `SizeBytes` through `int`, binary
    values are base64-encoded, the creation time becomes epoch seconds (moto's own timestamp helper)."""

    def __init__(self, serializer: Any, timestamp_shape: Any) -> None:
        self._base64: Callable[[Any], str] = serializer._base64
        self._timestamps = serializer._timestamp_serializer
        self._timestamp_shape = timestamp_shape

    def record(self, record: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in record.items():
            if value is None or key not in RECORD_MEMBERS:
                continue
            if key == "dynamodb":
                out[key] = self._stream_record(value)
            elif key == "userIdentity":
                out[key] = {k: _string(v) for k, v in value.items() if k in IDENTITY_MEMBERS and v is not None}
            else:
                out[key] = _string(value)
        return out

    def _stream_record(self, stream_record: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in stream_record.items():
            if value is None or key not in STREAM_RECORD_MEMBERS:
                continue
            if key in _IMAGES:
                out[key] = self._image(value)
            elif key == "ApproximateCreationDateTime":
                wrapper: dict[str, Any] = {}
                self._timestamps.serialize(wrapper, value, self._timestamp_shape, "timestamp")
                out[key] = wrapper["timestamp"]
            elif key == "SizeBytes":
                out[key] = int(value)
            else:
                out[key] = _string(value)
        return out

    def _image(self, image: dict[str, Any]) -> dict[str, Any]:
        return {name: self._attribute(value) for name, value in image.items() if value is not None}

    def _attribute(self, value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kind, inner in value.items():
            if inner is None or kind not in ATTRIBUTE_VALUE_MEMBERS:
                continue
            if kind == "S" or kind == "N":
                out[kind] = inner if type(inner) is str else _string(inner)
            elif kind == "M":
                out[kind] = self._image(inner)
            elif kind == "L":
                out[kind] = [self._attribute(v) for v in inner]
            elif kind == "B":
                out[kind] = self._base64(inner)
            elif kind == "BS":
                out[kind] = [self._base64(v) for v in inner]
            elif kind in ("SS", "NS"):
                out[kind] = [_string(v) for v in inner]
            else:  # NULL, BOOL: JSON booleans as stored
                out[kind] = inner
        return out


def _string(value: Any) -> Any:
    """moto's JSON string rule: `str(value)`, except None, {} and [] which pass as they are."""
    return str(value) if value not in (None, {}, []) else value


def stream_get_records(handler: DynamoDBStreamsHandler) -> ActionResult:
    """The stock method's body (same parameters, same backend call), with the fast conversion."""
    arn = handler._get_param("ShardIterator")
    limit = handler._get_param("Limit")
    if limit is None:
        limit = 1000
    return _StreamRecordsResult(handler.backend.get_records(arn, limit))


# -- DynamoDB items: the 400 KB limit checked in one pass -------------------------------------------


def _item_init(item: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """`Item.__init__` without the quadratic size check: moto's `LimitedSizeDict` re-measures every attribute
    already set each time one is added (and measuring a map builds a `DynamoType` per member). The same
    check, `size of the attributes so far + the new one > 405000`, on a running total: the same error at the
    same attribute, each attribute measured once."""
    item.hash_key = hash_key
    item.range_key = range_key
    item.attrs = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        size += bytesize(key) + typed.size()
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(item.attrs, key, typed)


ITEM_SIZE_LIMIT = 405000  # moto's own figure (LimitedSizeDict.__setitem__), between DynamoDB's 409 and 410 KB


# -- DynamoDB BatchWriteItem: the request parsed for its own shapes -------------------------------------

BATCH_WRITE_MEMBERS = {"RequestItems": "map", "ReturnConsumedCapacity": "string",
                       "ReturnItemCollectionMetrics": "string"}
WRITE_REQUEST_MEMBERS = {"PutRequest": "structure", "DeleteRequest": "structure"}
_WRITE_REQUEST_IMAGE = {"PutRequest": "Item", "DeleteRequest": "Key"}
_ATTRIBUTE_ORDER = {kind: n for n, kind in enumerate(ATTRIBUTE_VALUE_MEMBERS)}


class _Unexpected(Exception):
    """A request the fast parser leaves to moto's own (anything not plainly of BatchWriteItem's shapes)."""


def parse_batch_write_item(body: bytes) -> dict[str, Any]:
    """What moto's JSON parser makes of a BatchWriteItem body: members in model order, unknown members and
    nulls dropped, binary values base64-decoded, everything else as sent. Raises `_Unexpected` for a body it
    does not plainly understand."""
    try:
        raw = json.loads(body)
    except ValueError as error:
        raise _Unexpected from error
    if not isinstance(raw, dict):
        raise _Unexpected
    parsed: dict[str, Any] = {}
    for member in BATCH_WRITE_MEMBERS:
        value = raw.get(member)
        if value is None:
            continue
        if member != "RequestItems":
            parsed[member] = value
            continue
        if not isinstance(value, dict):
            raise _Unexpected
        parsed[member] = {table: [_write_request(r) for r in _list(requests)] for table, requests in value.items()}
    return parsed


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Unexpected
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unexpected
    return value


def _write_request(request: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for member, image_name in _WRITE_REQUEST_IMAGE.items():  # model order, as moto's parser builds it
        inner = _dict(request).get(member)
        if inner is None:
            continue
        image = _dict(inner).get(image_name)
        parsed[member] = {} if image is None else {image_name: _parsed_image(_dict(image))}
    return parsed


def _parsed_image(image: dict[str, Any]) -> dict[str, Any]:
    return {name: None if value is None else _parsed_attribute(_dict(value)) for name, value in image.items()}


def _parsed_attribute(value: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for kind, inner in value.items():
        if inner is None or kind not in _ATTRIBUTE_ORDER:
            continue
        if kind == "M":
            parsed[kind] = _parsed_image(_dict(inner))
        elif kind == "L":
            parsed[kind] = [None if v is None else _parsed_attribute(_dict(v)) for v in _list(inner)]
        elif kind == "B":
            parsed[kind] = base64.b64decode(inner)
        elif kind == "BS":
            parsed[kind] = [base64.b64decode(v) for v in _list(inner)]
        else:
            parsed[kind] = inner
    if len(parsed) > 1:  # invalid in DynamoDB, but moto's parser would list them in model order
        parsed = dict(sorted(parsed.items(), key=lambda kv: _ATTRIBUTE_ORDER[kv[0]]))
    return parsed


_stock_parse_parameters = BaseResponse.parse_parameters


def _dynamodb_parse_parameters(handler: DynamoHandler, request: Any) -> None:
    if handler._get_action() == "BatchWriteItem" and "json" in (request.content_type or ""):
        try:
            handler.params = parse_batch_write_item(request.data)
            return
        except (_Unexpected, ValueError, TypeError):
            pass  # moto's own parser answers it, errors included
    _stock_parse_parameters(handler, request)


def _stock_batch_write_parse(body: bytes) -> Any:
    operation = get_service_model("dynamodb").operation_model("BatchWriteItem")
    request: Any = {"method": "POST", "values": {}, "headers": {}, "body": body, "url_path": "/", "url_params": {}}
    return JSONParser(operation).parse(request)


def _batch_write_parse_agrees_with_stock() -> bool:
    attributes = {"k": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AP8="}, "bs": {"BS": ["YQ==", "AQ=="]},
                  "ss": {"SS": ["x"]}, "ns": {"NS": ["2"]}, "nul": {"NULL": True}, "t": {"BOOL": False},
                  "m": {"M": {"in": {"L": [{"S": "z"}, {"M": {"b": {"B": "eg=="}}}]}, "e": {"M": {}}}},
                  "odd": {"S": "s", "Unknown": 1}}
    body = json.dumps({"ReturnConsumedCapacity": "TOTAL", "Extra": 1, "RequestItems": {"T": [
        {"PutRequest": {"Item": attributes}}, {"DeleteRequest": {"Key": {"k": {"S": "b"}}}},
        {"DeleteRequest": {"Key": {"k": {"S": "c"}}}, "PutRequest": {"Item": {"k": {"S": "c"}}}}]}}).encode()
    try:
        fast = parse_batch_write_item(body)
    except (_Unexpected, ValueError, TypeError):
        return False
    stock = _stock_batch_write_parse(body)
    return bool(fast == stock and json.dumps(fast, default=repr) == json.dumps(stock, default=repr))


def install() -> None:
    DynamoDBStreamsHandler.get_records = stream_get_records  # type: ignore[method-assign,assignment]
    Item.__init__ = _item_init  # type: ignore[method-assign,assignment]
    DynamoHandler.parse_parameters = _dynamodb_parse_parameters  # type: ignore[method-assign,assignment]
