"""moto's server (`python -m onboarding.local.moto_main ARGS`), with one emulator bug fixed before it starts.

moto numbers a table's stream records with `len(records)` read before the new record is built and appended,
without a lock. Its server is threaded, so two `BatchWriteItem` calls at once can give two records one
sequence number. Its shard iterators then step by sequence number, not position, and at the end of a stream
the next iterator can point back before the late record: a reader re-reads the same records in a loop
(seen as one upload validated over and over, every poll). DynamoDB Streams numbers records strictly
increasing within a shard; numbering them under one lock gives moto the same property.
"""

from __future__ import annotations

import threading

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard
from moto.server import main

_numbering = threading.Lock()
_add_unlocked = StreamShard.add


def _add_numbered_in_order(shard: StreamShard, old: Item | None, new: Item | None) -> None:
    with _numbering:
        _add_unlocked(shard, old, new)


def install() -> None:
    StreamShard.add = _add_numbered_in_order  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    install()
    main()
