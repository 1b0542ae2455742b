"""moto's server (`python -m onboarding.local.moto_main ARGS`), with one emulator bug fixed and the local
pipeline's hot spots given fast paths (`moto_fast_paths`) before it starts.

moto numbers a table's stream records with `len(records)` read before the new record is built and appended,
without a lock. Its server is threaded, so two `BatchWriteItem` calls at once can give two records one
sequence number. Its shard iterators then step by sequence number, not position, and at the end of a stream
the next iterator can point back before the late record: a reader re-reads the same records in a loop
(seen as one upload validated over and over, every poll). DynamoDB Streams numbers records strictly
increasing within a shard; numbering them under one lock gives moto the same property.

Both rely on moto's internals, so the pyproject pins moto to the version they were written against, and the
server refuses to start, saying so, when what they patch is not there.
"""

from __future__ import annotations

import sys
import threading

import moto
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard
from moto.server import main

from onboarding.local import moto_fast_paths

WRITTEN_FOR_MOTO = "5.2.5"  # the version pinned in pyproject.toml

PINNED_SOURCES = ((StreamShard, "add", "357dc6da267e5dd7"),)  # see moto_fast_paths.PINNED_SOURCES

_numbering = threading.Lock()
_add_unlocked = StreamShard.add


def _add_numbered_in_order(shard: StreamShard, old: Item | None, new: Item | None) -> None:
    with _numbering:
        _add_unlocked(shard, old, new)


def missing_internals() -> list[str]:
    return moto_fast_paths.changed_sources(PINNED_SOURCES) + moto_fast_paths.missing_internals()


def install(fast_paths: bool = True) -> None:
    """Fix the numbering; with `fast_paths`, also replace the slow serializations (the stock server, for
    comparing, is the one without)."""
    StreamShard.add = _add_numbered_in_order  # type: ignore[method-assign,assignment]
    if fast_paths:
        moto_fast_paths.install()


def refusal(missing: list[str]) -> str:
    return (
        f"The local AWS emulator's patches were written for moto {WRITTEN_FOR_MOTO} and moto {moto.__version__} "
        f"lacks {', '.join(missing)}: run `make install` (or `pip install -e '.[local]'`) to get the pinned moto."
    )


if __name__ == "__main__":
    missing = missing_internals()
    if missing:
        print(refusal(missing), file=sys.stderr)
        sys.exit(2)
    install()
    main()
