"""The worker's `GetRecords`, with the records kept as the JSON the service sent.

Lambda hands a stream function its records as JSON: attribute values exactly as DynamoDB Streams wrote
them (binary values as base64 text). botocore, reading `GetRecords` for us, would turn every attribute of
every record into Python objects first (its model-driven parser: about a quarter of a millisecond per record
of 14 attributes, and the worker shares its interpreter with the handlers it calls), only for the event to
be turned back into JSON's shapes. So the worker's own reads skip that parsing: the call still goes through
botocore (signing, endpoint, retries, errors), but the records are lifted off the response body before the
parser sees them. Only calls made through `RawStreamReader.get_records`, on the calling thread, are read
this way; anyone else's `get_records` on the same client is untouched.
"""

from __future__ import annotations

import json
import threading
from typing import Any

RAW_RECORDS = "RawRecords"  # where the records land in the response (botocore's customized response)
_reading_raw = threading.local()  # set on a thread while it calls GetRecords through a RawStreamReader


def _lift_records(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    if not getattr(_reading_raw, "on", False) or response_dict["status_code"] >= 300:
        return  # not a raw read, or an error: botocore reads it as usual
    body = json.loads(response_dict["body"])
    customized_response_dict[RAW_RECORDS] = body.pop("Records", [])
    response_dict["body"] = json.dumps(body).encode()


class RawStreamReader:
    def __init__(self, streams_client: Any) -> None:
        self._client = streams_client
        # Once per client, however many readers it serves (a restarted worker keeps its clients).
        streams_client.meta.events.register("before-parse.dynamodb-streams.GetRecords", _lift_records,
                                            unique_id="onboarding-raw-stream-records")

    def get_records(self, shard_iterator: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """(records as sent, the next shard iterator)."""
        _reading_raw.on = True
        try:
            response = self._client.get_records(ShardIterator=shard_iterator, Limit=limit)
        finally:
            _reading_raw.on = False
        return response.get(RAW_RECORDS, []), response.get("NextShardIterator")
