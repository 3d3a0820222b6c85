"""Uploads hashed while they stream in.

:class:`HashingUploadHandler` writes each chunk to a temporary file on disk and feeds it to
SHA-256 as it arrives, so a file of any size is hashed in one pass with constant memory, and
is never read whole into memory. It also keeps the first bytes for libmagic.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import threading
import unicodedata
from typing import Any

import magic
from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

SNIFF_BYTES = 8192
WRITEBACK_BYTES = 8 * 1024 * 1024


class HashedUpload(TemporaryUploadedFile):
    """A finished upload on disk, with its SHA-256 and libmagic's idea of its type."""

    sha256: str
    sniffed_type: str
    size: int


class _HashWriter(threading.Thread):
    """Hashes and writes the chunks of one upload beside the thread that parses the request.

    ``hashlib`` and file writes release the GIL on large buffers, so on two cores the parsing
    of the request and the hashing and writing of the file overlap instead of taking turns.
    The queue is bounded: memory stays at a few chunks whatever the file size.
    """

    def __init__(self, file: HashedUpload) -> None:
        super().__init__(name="custos-upload-hash", daemon=True)
        self.file = file
        self.hasher = hashlib.sha256()
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None

    def run(self) -> None:
        written = flushed = 0
        while (chunk := self.chunks.get()) is not None:
            if self.error is None:
                try:
                    self.hasher.update(chunk)
                    self.file.write(chunk)
                    written += len(chunk)
                    if written - flushed >= WRITEBACK_BYTES:
                        self._start_writeback(flushed, written - flushed)
                        flushed = written
                except BaseException as exc:
                    self.error = exc

    def _start_writeback(self, offset: int, length: int) -> None:
        """Asks the kernel to start writing ``length`` bytes at ``offset`` to disk now, without
        waiting for it, so that the ``fsync`` at the end waits for the last few MiB only
        instead of the whole file. Linux starts the write-back of dirty pages on this advice
        (and drops them from the page cache once written: evidence is not read back soon)."""
        if hasattr(os, "posix_fadvise"):
            self.file.flush()
            os.posix_fadvise(self.file.fileno(), offset, length, os.POSIX_FADV_DONTNEED)

    def finish(self) -> str:
        self.chunks.put(None)
        self.join()
        if self.error is not None:
            raise self.error
        # On disk before any row may point at it: a crash after the commit must not lose
        # evidence the user was told is stored.
        self.file.flush()
        os.fsync(self.file.fileno())
        return self.hasher.hexdigest()


class HashingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.too_large = False
        self.writer: _HashWriter | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.head = bytearray()
        self.received = 0
        self.file = HashedUpload(
            self.file_name or "", self.content_type, 0, self.charset, self.content_type_extra
        )
        self.writer = _HashWriter(self.file)
        self.writer.start()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.CUSTOS_UPLOAD_MAX_BYTES:
            self.too_large = True
            self._abandon()
            raise StopUpload(connection_reset=False)
        if len(self.head) < SNIFF_BYTES:
            self.head += raw_data[: SNIFF_BYTES - len(self.head)]
        self._running().chunks.put(raw_data)
        return None

    def file_complete(self, file_size: int) -> HashedUpload:
        sha256 = self._running().finish()
        self.writer = None
        self.file.flush()
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = sha256
        self.file.sniffed_type = (
            magic.from_buffer(bytes(self.head), mime=True) if self.head else "application/x-empty"
        )
        return self.file

    def _running(self) -> _HashWriter:
        if self.writer is None:  # pragma: no cover - new_file starts it, only _abandon ends it
            raise RuntimeError("no upload is being received")
        return self.writer

    def upload_interrupted(self) -> None:
        # The client went away mid-upload: nothing of it may stay on disk.
        self._abandon()

    def _abandon(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(BaseException):  # the upload is being thrown away anyway
                self.writer.finish()
            self.writer = None
        if hasattr(self, "file"):
            self.file.close()  # a temporary file deletes itself when closed


_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def safe_filename(name: str | None) -> str:
    """A file name that is only a name: no path, no control characters, no leading dots."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:200] or "file"


def hashed_upload_from_bytes(data: bytes, name: str) -> HashedUpload:
    """The upload a request with ``data`` would produce (demo data, imports, tests)."""
    handler = HashingUploadHandler()
    handler.new_file("upload", name, "application/octet-stream", len(data))
    for start in range(0, len(data), handler.chunk_size):
        handler.receive_data_chunk(data[start : start + handler.chunk_size], start)
    return handler.file_complete(len(data))
