"""Content-addressed, write-once storage of evidence files through Django's storage API."""

from __future__ import annotations

import hashlib

from django.core.files.storage import default_storage

from evidence.models import StoredBlob
from evidence.uploads import HashedUpload

READ_CHUNK = 1024 * 1024


def blob_name(sha256: str) -> str:
    return f"evidence/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_of_stored(name: str) -> str:
    hasher = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        while data := handle.read(READ_CHUNK):
            hasher.update(data)
    return hasher.hexdigest()


def blob_put(upload: HashedUpload) -> tuple[StoredBlob, bool]:
    """Stores the upload under its hash unless those bytes are stored already.

    Returns the blob and whether its bytes were written now (the caller removes them again
    with :func:`blob_discard` if its transaction fails). Runs outside any transaction: the
    bytes must be on disk before a row may point at them.
    """
    existing = StoredBlob.objects.filter(sha256=upload.sha256).first()
    if existing is not None:
        return existing, False
    name = blob_name(upload.sha256)
    # Bytes left by an upload whose transaction failed after writing them are kept only if
    # they are exactly these.
    if default_storage.exists(name) and sha256_of_stored(name) != upload.sha256:
        default_storage.delete(name)
    if not default_storage.exists(name):
        stored_as = default_storage.save(name, upload)  # a rename when on the same disk
        if stored_as != name:  # pragma: no cover - a storage that renames breaks addressing
            default_storage.delete(stored_as)
            raise RuntimeError("storage renamed a content-addressed file")
    blob, created = StoredBlob.objects.get_or_create(
        sha256=upload.sha256,
        defaults={"size": upload.size, "mime_type": upload.sniffed_type, "storage_name": name},
    )
    return blob, created


def blob_discard(blob: StoredBlob) -> None:
    """Removes a blob stored for an upload whose transaction failed (nothing refers to it)."""
    if not blob.files.exists():
        default_storage.delete(blob.storage_name)
        StoredBlob.objects.filter(pk=blob.pk).delete()
