"""Downloading and previewing evidence files: the stored bytes, streamed, never interpreted
by the browser unless they are a plain image or media file, and every access audited."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from evidence import services
from evidence.models import EvidenceFile, EvidenceItem
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import PDF, PNG, Evidence, hashed_upload, stored_files
from tests.responses import streamed

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = SHARED_WORLD  # the case world is built once for the module

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def _get(client: Client, user: User, name: str, file: EvidenceFile) -> _MonkeyPatchedWSGIResponse:
    client.force_login(user)
    return client.get(reverse(name, args=[file.pk]))


def _body(response: HttpResponseBase) -> bytes:
    assert response.streaming, "evidence files are streamed, never loaded whole"
    return streamed(response)


def _derived(ev: Evidence, data: bytes, name: str) -> EvidenceFile:
    """A working copy of the item's original, uploaded by the custodian."""
    return services.file_add(
        item=ev.item,
        actor=ev.world.investigator,
        upload=hashed_upload(data, name=name),
        role=EvidenceFile.Role.WORKING_COPY,
        derived_from=ev.original,
        method="Exported from the original",
    ).file


def _audit(action: str, file: EvidenceFile) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=action, target_type="evidence.evidencefile", target_id=str(file.pk)
        )
    )


# --- Downloads ------------------------------------------------------------------------------


def test_a_download_is_an_attachment_of_the_stored_bytes(client: Client, ev: Evidence) -> None:
    response = _get(client, ev.world.investigator, "evidence:download", ev.original)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(PDF))
    assert _body(response) == PDF


def test_a_download_is_audited_once_with_the_hash_of_the_file(client: Client, ev: Evidence) -> None:
    _body(_get(client, ev.world.investigator, "evidence:download", ev.original))
    [row] = _audit("evidence.downloaded", ev.original)
    assert row.actor == ev.world.investigator
    assert row.case_id == ev.world.case.pk
    assert row.details["sha256"] == ev.original.blob.sha256
    assert not _audit("evidence.previewed", ev.original)


def test_a_read_only_member_can_download_and_it_is_audited(client: Client, ev: Evidence) -> None:
    response = _get(client, ev.world.analyst, "evidence:download", ev.original)
    assert _body(response) == PDF
    [row] = _audit("evidence.downloaded", ev.original)
    assert row.actor == ev.world.analyst


def test_a_colleague_outside_the_team_gets_a_404_and_leaves_no_trace_of_the_file(
    client: Client, ev: Evidence
) -> None:
    for name in ("evidence:download", "evidence:preview"):
        response = _get(client, ev.world.colleague, name, ev.original)
        assert response.status_code == 404
        assert PDF not in response.content
    assert not AuditEvent.objects.filter(actor=ev.world.colleague, action__startswith="evidence.")
    assert not AuditEvent.objects.filter(
        target_type="evidence.evidencefile",
        action__in=["evidence.downloaded", "evidence.previewed"],
    )


# --- File names -----------------------------------------------------------------------------

MALICIOUS_NAMES = {
    "../../etc/passwd\x07.pdf": "passwd.pdf",
    "..\\..\\windows\\system.ini\r\n.pdf": "system.ini.pdf",
    ".htaccess": "htaccess",
    'report"; filename=evil.html': "report_ filename_evil.html",
    "invoice\u202efdp.exe": "invoicefdp.exe",  # a right-to-left override hides ".exe"
}


@pytest.mark.parametrize("name", MALICIOUS_NAMES)
def test_a_malicious_file_name_is_stored_as_a_plain_name(
    ev: Evidence, evidence_storage: Path, name: str
) -> None:
    file = _derived(ev, PDF + name.encode(), name)
    file.refresh_from_db()
    assert file.filename == MALICIOUS_NAMES[name]
    assert not set(file.filename) & set('/\\";')
    assert not any(unicodedata.category(ch).startswith("C") for ch in file.filename)
    assert not file.filename.startswith(".")
    # Bytes are stored under their hash: the uploaded name never becomes a path on disk.
    assert {p.name for p in stored_files(evidence_storage)} == {
        ev.original.blob.sha256,
        file.blob.sha256,
    }


def test_a_malicious_file_name_is_downloaded_under_its_safe_name(
    client: Client, ev: Evidence
) -> None:
    file = _derived(ev, PDF + b"copy", "../../etc/passwd\x07.pdf")
    response = _get(client, ev.world.investigator, "evidence:download", file)
    assert response["Content-Disposition"] == 'attachment; filename="passwd.pdf"'
    assert _body(response) == PDF + b"copy"


# --- Previews -------------------------------------------------------------------------------

ACTIVE_CONTENT = {
    "page.html": HTML,
    "drawing.svg": SVG,
    "photo.png": HTML,  # HTML that claims to be an image is judged by its bytes
}


@pytest.mark.parametrize("name", ACTIVE_CONTENT)
def test_html_and_svg_are_never_previewed_as_themselves(
    client: Client, ev: Evidence, name: str
) -> None:
    file = _derived(ev, ACTIVE_CONTENT[name], name)
    assert file.blob.preview_kind is None
    response = _get(client, ev.world.investigator, "evidence:preview", file)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert _body(response) == ACTIVE_CONTENT[name]
    # It was handed over as a download, and is audited as one.
    assert len(_audit("evidence.downloaded", file)) == 1
    assert not _audit("evidence.previewed", file)


def test_a_detail_page_offers_no_preview_of_html(client: Client, ev: Evidence) -> None:
    file = _derived(ev, HTML, "page.html")
    client.force_login(ev.world.investigator)
    page = client.get(reverse("evidence:detail", args=[ev.item.pk])).content.decode()
    assert reverse("evidence:download", args=[file.pk]) in page
    assert reverse("evidence:preview", args=[file.pk]) not in page


def test_a_png_previews_inline_in_a_sandbox_and_is_audited(client: Client, ev: Evidence) -> None:
    file = _derived(ev, PNG, "photo.png")
    response = _get(client, ev.world.analyst, "evidence:preview", file)
    assert response.status_code == 200
    assert _body(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"].split("; ")
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'
    [row] = _audit("evidence.previewed", file)
    assert row.actor == ev.world.analyst
    assert row.details["sha256"] == file.blob.sha256
    assert not _audit("evidence.downloaded", file)


# --- Graphic content ------------------------------------------------------------------------


def _photograph(ev: Evidence, *, graphic: bool) -> tuple[EvidenceItem, EvidenceFile]:
    item, added = services.item_create(
        case=ev.world.case,
        actor=ev.world.investigator,
        upload=hashed_upload(PNG, name="victim.png"),
        kind=EvidenceItem.Kind.PHOTOGRAPH,
        description="Photograph taken at the market",
    )
    if graphic:
        item = services.item_update(item=item, actor=ev.world.investigator, graphic=True)
    return item, added.file


def _preview_block(page: str) -> tuple[str, str]:
    """The attributes and the content of the page's (single) ``<details>`` preview."""
    blocks = re.findall(r"<details([^>]*)>(.*?)</details>", page, re.S)
    assert len(blocks) == 1, "one previewable file, one preview"
    return blocks[0]


def test_a_graphic_preview_stays_closed_until_the_viewer_reveals_it(
    client: Client, ev: Evidence
) -> None:
    item, file = _photograph(ev, graphic=True)
    client.force_login(ev.world.analyst)
    page = client.get(reverse("evidence:detail", args=[item.pk])).content.decode()
    attributes, content = _preview_block(page)
    assert "open" not in attributes.split()
    assert "graphic" in attributes
    assert "Show preview (graphic content)" in content
    assert "Reveal the graphic content" in content
    preview = reverse("evidence:preview", args=[file.pk])
    assert preview in content
    assert page.count(preview) == 1, "the image appears nowhere outside the closed preview"


def test_an_ordinary_photograph_has_a_preview_without_a_warning(
    client: Client, ev: Evidence
) -> None:
    item, file = _photograph(ev, graphic=False)
    client.force_login(ev.world.analyst)
    page = client.get(reverse("evidence:detail", args=[item.pk])).content.decode()
    attributes, content = _preview_block(page)
    assert "open" not in attributes.split()
    assert reverse("evidence:preview", args=[file.pk]) in content
    assert "Reveal the graphic content" not in page
    assert "Graphic content" not in page
