"""Small helpers for files the workers write before storing them."""

from __future__ import annotations

import hashlib

from django.core.files import File

READ_CHUNK = 1024 * 1024


class FileOnDisk(File):
    """A finished file in a temporary folder: the filesystem storage moves it into place (a
    rename on the same disk) instead of copying it."""

    def temporary_file_path(self) -> str:
        if self.name is None:
            raise ValueError("a file on disk has a path")
        return self.name


def sha256_and_size(path: str) -> tuple[str, int]:
    """The SHA-256 and size of a file, read in chunks (never whole into memory)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
