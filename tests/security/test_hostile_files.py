"""ASVS V5 (file handling): hostile files sent through the real upload path (a multipart
request to the evidence pages, with the file name exactly as an attacker writes it) are
stored safely or refused, never unpacked, never served inline, and their names are neutralised
on disk and in the download header."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from evidence.models import EvidenceFile, EvidenceItem
from tests.cases.conftest import SHARED_WORLD, World
from tests.responses import streamed

pytestmark = SHARED_WORLD  # the case world is built once for the module

BOUNDARY = "custosSecurityBoundary4f1c"
HTML_AS_JPEG = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def _zip_bomb() -> bytes:
    """A small archive that would unpack to 64 MiB of zeros (and to nothing on our disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("evidence.bin", b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


def _multipart(fields: dict[str, str], filename: str, data: bytes, content_type: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _upload(
    client: Client, world: World, filename: str, data: bytes, content_type: str
) -> EvidenceItem | None:
    fields = {"kind": "document", "description": "Seized material", "source_kind": "other"}
    response = client.post(
        reverse("evidence:create", args=[world.case.pk]),
        data=_multipart(fields, filename, data, content_type),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert response.status_code in (200, 302)
    return EvidenceItem.objects.order_by("-pk").first() if response.status_code == 302 else None


def _media_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def _assert_served_safely(client: Client, file: EvidenceFile) -> bytes:
    for name in ("evidence:download", "evidence:preview"):
        response = client.get(reverse(name, args=[file.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;"), name
        assert response["Content-Type"] == "application/octet-stream", name
        assert response["X-Content-Type-Options"] == "nosniff"
        body = streamed(response)
    return body


@pytest.mark.parametrize(
    ("filename", "data", "declared"),
    [
        ("holiday.jpg", HTML_AS_JPEG, "image/jpeg"),
        ("map.svg", SVG, "image/svg+xml"),
        ("archive.zip", None, "application/zip"),
    ],
    ids=["html-as-jpeg", "svg-with-script", "zip-bomb"],
)
def test_active_content_and_archives_are_kept_as_bytes_and_never_served_inline(
    client: Client, world: World, filename: str, data: bytes | None, declared: str
) -> None:
    data = data if data is not None else _zip_bomb()
    client.force_login(world.investigator)
    before = set(_media_files())
    item = _upload(client, world, filename, data, declared)
    assert item is not None
    file = item.files.get()
    # Stored once, under the hash of exactly the bytes sent: nothing unpacked, nothing added.
    digest = hashlib.sha256(data).hexdigest()
    assert file.blob.sha256 == digest
    assert file.blob.size == len(data)
    [stored] = set(_media_files()) - before
    assert stored.name == digest
    assert stored.read_bytes() == data
    # The declared type is ignored: the bytes decide, and they never decide "inline".
    assert file.blob.mime_type != declared or file.blob.preview_kind is None
    assert _assert_served_safely(client, file) == data
    page = client.get(reverse("evidence:detail", args=[item.pk])).content.decode()
    assert reverse("evidence:preview", args=[file.pk]) not in page


def test_an_empty_file_is_refused_and_nothing_is_stored(client: Client, world: World) -> None:
    client.force_login(world.investigator)
    assert _upload(client, world, "empty.pdf", b"", "application/pdf") is None
    assert not EvidenceItem.objects.exists()
    assert _media_files() == []


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/cron.d/custos",
        "..\\..\\windows\\win.ini",
        "statement\x00.html",
        "invoice\u202efdp.exe",
        '"; filename=evil.html; x="',
        ".htaccess",
        "line\r\nX-Injected: 1.pdf",
    ],
    ids=["dotdot", "backslashes", "nul", "rtl-override", "quote", "dotfile", "crlf"],
)
def test_hostile_file_names_are_neutralised_on_disk_and_in_the_download_header(
    client: Client, world: World, filename: str
) -> None:
    client.force_login(world.investigator)
    data = b"%PDF-1.4 " + filename.encode("utf-8", "replace")
    item = _upload(client, world, filename, data, "application/pdf")
    if item is None:  # refused is safe too, provided nothing was kept
        assert _media_files() == []
        return
    file = item.files.get()
    assert not set(file.filename) & set('/\\"\r\n\x00')
    assert not any(unicodedata.category(ch).startswith("C") for ch in file.filename)
    assert not file.filename.startswith(".")
    # On disk the file is its hash, inside the evidence folder: the name never becomes a path.
    [stored] = _media_files()
    assert stored.name == file.blob.sha256
    assert stored.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    response = client.get(reverse("evidence:download", args=[file.pk]))
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    assert not set(header) & set("\r\n\x00\u202e")
    assert "/" not in header.split("filename", 1)[1]
    assert header.count('"') in (0, 2)
    assert streamed(response) == data
