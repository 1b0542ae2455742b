"""moto's server (`python -m onboarding.local.moto_main ARGS`), with two emulator gaps fixed and the local
pipeline's hot spots given fast paths (`moto_fast_paths`) before it starts.

1. Stream record numbering: moto numbers a table's stream records with `len(records)` read before the new
   record is built and appended, without a lock. Its server is threaded, so two `BatchWriteItem` calls at
   once can give two records one sequence number. Its shard iterators then step by sequence number, not
   position, and at the end of a stream the next iterator can point back before the late record: a reader
   re-reads the same records in a loop (seen as one upload validated over and over, every poll). DynamoDB
   Streams numbers records strictly increasing within a shard; numbering them under one lock gives moto
   the same property.

2. Presigned POST policies: moto stores any form upload; S3 checks the policy (expiry, exact key, size range,
   signature). `s3_post_policy.violation` makes the same checks here, so an API ticket's limits hold locally.

3. Routing cost: to route each request, moto's server lists its own package folder (a directory read and a
   stat per service, about an eighth of its CPU in the test suite). The folder does not change while the
   server runs, so it is listed once. And the server's per-request access log line is left out (errors are
   still logged).

All three rely on moto's internals, so the pyproject pins moto to the version they were written against, and the
server refuses to start, saying so, when what they patch is not there.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

import moto
from moto import backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.responses import S3Response
from moto.server import main

from onboarding.adapters.aws import SERVICES
from onboarding.local import moto_fast_paths
from onboarding.local.s3_post_policy import violation
from onboarding.startup_gc import pause_during_startup, resume_after_startup

WRITTEN_FOR_MOTO = "5.2.5"  # the version pinned in pyproject.toml

PINNED_SOURCES = (
    (StreamShard, "add", "357dc6da267e5dd7"),
    (S3Response, "_bucket_response_post", "5a5db8c38c8f1648"),
    (DomainDispatcherApplication, "get_backend_for_host", "1f41972c1e4e660f"),
)  # see moto_fast_paths.PINNED_SOURCES

_numbering = threading.Lock()
_add_unlocked = StreamShard.add


def _add_numbered_in_order(shard: StreamShard, old: Item | None, new: Item | None) -> None:
    with _numbering:
        _add_unlocked(shard, old, new)


_post_unchecked = S3Response._bucket_response_post


def _post_checked(response: S3Response, request: Any, bucket_name: str) -> Any:
    form = {str(k): str(v) for k, v in (response.form_data or {}).items()}
    if "policy" in form:
        body = response.raw_body if isinstance(response.raw_body, bytes) else str(response.raw_body or "").encode()
        # moto's server has the same credentials as its clients here (`testing` unless set).
        found = violation(form, bucket_name, len(body), os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
        if found is not None:
            return found.status, {"Content-Type": "application/xml"}, found.xml()
    return _post_unchecked(response, request, bucket_name)


_list_modules_each_time = backends.list_of_moto_modules


def _moto_modules_listed_once() -> Callable[[], Iterable[str]]:
    modules = tuple(_list_modules_each_time())
    return lambda: modules


def missing_internals() -> list[str]:
    listing = getattr(backends, "list_of_moto_modules", None)
    missing = [] if callable(listing) else ["moto.backends.list_of_moto_modules"]
    return missing + moto_fast_paths.changed_sources(PINNED_SOURCES) + moto_fast_paths.missing_internals()


def install(fast_paths: bool = True) -> None:
    """Fix the numbering and check form uploads' policies; with `fast_paths`, also replace the slow
    serializations (the stock server, for comparing, is the one without)."""
    StreamShard.add = _add_numbered_in_order  # type: ignore[method-assign,assignment]
    S3Response._bucket_response_post = _post_checked  # type: ignore[method-assign,assignment]
    backends.list_of_moto_modules = _moto_modules_listed_once()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if fast_paths:
        moto_fast_paths.install()


def refusal(missing: list[str]) -> str:
    return (
        f"The local AWS emulator's patches were written for moto {WRITTEN_FOR_MOTO} and moto {moto.__version__} "
        f"lacks {', '.join(missing)}: run `make install` (or `pip install -e '.[local]'`) to get the pinned moto."
    )


def load_backends() -> None:
    """Import the backends of the services the stack calls now, not at each one's first request."""
    for service in SERVICES:
        backends.get_backend(service)  # type: ignore[call-overload]


if __name__ == "__main__":
    pause_during_startup()  # moto's core and server are imported by now; its backends are next
    missing = missing_internals()
    if missing:
        print(refusal(missing), file=sys.stderr)
        sys.exit(2)
    install()
    load_backends()
    # The server lives as long as its stack (a test worker's: the whole suite); its full collections walked every
    # module of moto's each time, a tenth of its CPU in the test suite.
    resume_after_startup()
    main()
