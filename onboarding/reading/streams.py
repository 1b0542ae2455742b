"""The stored file's bytes (decompressed if need be), never more than `max_file_bytes` of them.

A failing storage stream (a dropped connection) is not the vendor's fault: its exception is marked
`StorageFailed` and goes through unchanged, so the pipeline retries instead of rejecting the file.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, BinaryIO

from onboarding.domain.errors import ErrorCode, FileRejected
from onboarding.domain.source_file.layout import OpenStream
from onboarding.domain.source_file.sniffing import GZIP
from onboarding.domain.source_file.wording import size

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class StorageFailed(Exception):
    """Reading the stored file failed: the pipeline should retry, not reject the file."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


@contextmanager
def open_bytes(open_stream: OpenStream, compression: str | None, max_file_bytes: int) -> Iterator[BinaryIO]:
    """The file's bytes (decompressed if need be), never more than `max_file_bytes` of them."""
    with ExitStack() as stack:
        try:
            stored = open_stream()
        except Exception as error:
            raise StorageFailed(error) from error
        stream: BinaryIO = stack.enter_context(io.BufferedReader(_StoredBytes(stored, max_file_bytes)))
        if compression == GZIP:
            unzipping = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))
            stream = stack.enter_context(io.BufferedReader(_InflatedBytes(unzipping, max_file_bytes)))
        yield stream


class _CountedBytes(io.RawIOBase):
    """A byte stream that fails the file once more than `limit` bytes came through."""

    def __init__(self, limit: int, too_large: str) -> None:
        super().__init__()
        self._limit = limit
        self._too_large = too_large
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        self._count += len(data)
        if self._count > self._limit:
            raise FileRejected(ErrorCode.FILE_TOO_LARGE, self._too_large)
        view[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        raise NotImplementedError


class _StoredBytes(_CountedBytes):
    """The file as stored; an error of the storage stream itself is marked as such."""

    def __init__(self, stored: BinaryIO, limit: int) -> None:
        super().__init__(limit, f"The file is larger than the limit of {size(limit)}.")
        self._stored = stored

    def _read(self, size: int) -> bytes:
        try:
            return self._stored.read(size)
        except Exception as error:
            raise StorageFailed(error) from error

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a stream we are done with is best effort
            self._stored.close()
        super().close()


class _InflatedBytes(_CountedBytes):
    """A gzip file's content; a gzip bomb fails with FILE_TOO_LARGE once past the size limit."""

    def __init__(self, unzipping: gzip.GzipFile, limit: int) -> None:
        super().__init__(limit, f"Once decompressed, the file is larger than the limit of {size(limit)}.")
        self._unzipping = unzipping

    def _read(self, size: int) -> bytes:
        try:
            return self._unzipping.read1(size)
        except (EOFError, OSError, zlib.error) as error:
            raise FileRejected(
                ErrorCode.UNREADABLE_FILE,
                "The compressed file is damaged or cut short: compress the CSV file again and upload it.",
            ) from error

    def close(self) -> None:
        self._unzipping.close()
        super().close()
