"""Uploads hashed while they stream in.

:class:`HashingUploadHandler` writes each chunk to a temporary file on disk and feeds it to
SHA-256 as it arrives, so a file of any size is hashed in one pass with constant memory, and
is never read whole into memory. It also keeps the first bytes for libmagic.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

import magic
from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

SNIFF_BYTES = 8192


class HashedUpload(TemporaryUploadedFile):
    """A finished upload on disk, with its SHA-256 and libmagic's idea of its type."""

    sha256: str
    sniffed_type: str


class HashingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.too_large = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.hasher = hashlib.sha256()
        self.head = bytearray()
        self.received = 0
        self.file = HashedUpload(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.CUSTOS_UPLOAD_MAX_BYTES:
            self.too_large = True
            self.file.close()  # a temporary file deletes itself when closed
            raise StopUpload(connection_reset=False)
        self.hasher.update(raw_data)
        if len(self.head) < SNIFF_BYTES:
            self.head += raw_data[: SNIFF_BYTES - len(self.head)]
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> HashedUpload:
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.hasher.hexdigest()
        self.file.sniffed_type = (
            magic.from_buffer(bytes(self.head), mime=True) if self.head else "application/x-empty"
        )
        return self.file

    def upload_interrupted(self) -> None:
        # The client went away mid-upload: nothing of it may stay on disk.
        if hasattr(self, "file"):
            self.file.close()


_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def safe_filename(name: str) -> str:
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
