"""The whole package: assembly (PDF/A-3b, contents, outline, marks on every page, attached
manifest), signature, verification of the file and of tampered copies, and the commands."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from evidence.models import CustodyEvent, EvidenceFile
from partners.models import Package
from partners.packages.pdf import assemble, plan_parts, render_part, sign, verify
from partners.packages.pdf.content import hash_lines, manifest_filename
from tests.cases.conftest import WITNESS_NAME
from tests.partners.packages.conftest import Packaged, fonts_of


def build(package: Package) -> tuple[bytes, int]:
    """Renders every part, assembles and signs; stores the hash as the task does."""
    parts = []
    for plan in plan_parts(package):
        out = io.BytesIO()
        parts.append((render_part(package, plan, out), out))
    unsigned = io.BytesIO()
    pages = assemble(package, parts, unsigned)
    signed = io.BytesIO()
    sign(unsigned, signed)
    data = signed.getvalue()
    package.sha256 = hashlib.sha256(data).hexdigest()
    package.save(update_fields=["sha256"])
    return data, pages


@pytest.fixture
def built(packaged: Packaged) -> tuple[bytes, int]:
    return build(packaged.package)


def test_assembled_package(packaged: Packaged, built: tuple[bytes, int]) -> None:
    """One build (rendering is what takes time), checked for everything assembly promises."""
    check_marks_on_every_page(packaged, built)
    check_contents_and_outline(built)
    check_pdfa_metadata_fonts_and_manifest(packaged, built)


def check_marks_on_every_page(packaged: Packaged, built: tuple[bytes, int]) -> None:
    data, pages = built
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == pages
    package = packaged.package
    for number, page in enumerate(reader.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert f"Page {number} of {pages}" in text
        assert "RESTRICTED" in text
        assert package.reference in text
        assert str(package.uid) in text
        assert f"For {package.recipient} only" in text
    whole = " ".join(p.extract_text() for p in reader.pages)
    assert packaged.world.witness.pseudonym in whole
    assert "CANARY" not in whole
    assert WITNESS_NAME not in whole


def check_contents_and_outline(built: tuple[bytes, int]) -> None:
    data, _pages = built
    reader = PdfReader(io.BytesIO(data))
    outline = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                page = reader.get_destination_page_number(item)
                assert page is not None, item.title
                outline[item.title] = page + 1

    walk(reader.outline)
    assert outline["Cover"] == 1
    assert outline["Contents"] == 2
    contents = " ".join(reader.pages[1].extract_text().split())
    for title in (
        "Case summary",
        "Chronology of incidents",
        "Persons",
        "Evidence register",
        "Chain of custody",
        "Integrity statement",
        "Annex: hash manifest",
    ):
        page = outline[title]
        assert f"{title} {page}" in contents
        assert title in reader.pages[page - 1].extract_text()
    # Custody headings of each item are in the outline, not in the contents.
    assert "WCU-2026-0001/E-0003" in outline


def check_pdfa_metadata_fonts_and_manifest(packaged: Packaged, built: tuple[bytes, int]) -> None:
    data, _pages = built
    package = packaged.package
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == str(pdf.docinfo["/Title"])
        assert meta["dc:title"].endswith(packaged.world.case.title)
        assert package.reference in meta["dc:title"]
        # The signature (an incremental update) left the information and the XMP agreeing.
        assert meta["pdf:Producer"] == str(pdf.docinfo["/Producer"])
        assert pdf.docinfo["/Author"] == "War Crimes Unit"
        assert package.recipient in str(pdf.docinfo["/Subject"])
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1"
        assert intent.DestOutputProfile.N == 3
        attachments = pdf.attachments
        name = manifest_filename(package)
        assert list(attachments) == [name]
        spec = attachments[name]
        assert spec.obj.AFRelationship == "/Data"
        assert any(entry.objgen == spec.obj.objgen for entry in pdf.Root.AF)
        manifest = json.loads(spec.get_file().read_bytes())
    reader = PdfReader(io.BytesIO(data))
    fonts = fonts_of(reader)
    assert fonts
    assert all(fonts.values()), fonts
    assert manifest["package"]["uid"] == str(package.uid)
    files = {
        f.item.exhibit: f.blob.sha256
        for f in EvidenceFile.objects.filter(item__in=packaged.items).select_related("item", "blob")
    }
    assert {i["exhibit"]: i["files"][0]["sha256"] for i in manifest["items"]} == files
    for item in packaged.items:
        item.refresh_from_db()
    heads = {item.exhibit: item.custody_head for item in packaged.items}
    assert {i["exhibit"]: i["custody"]["head"] for i in manifest["items"]} == heads
    # The annex reprints it: every file hash, line by line.
    text = "".join(" ".join(p.extract_text() for p in reader.pages).split())
    for digest in files.values():
        assert digest in text.replace("↪", "")
        for line in hash_lines(digest):
            assert line in text


def test_signed_package_verifies_and_changed_copies_do_not(
    packaged: Packaged, built: tuple[bytes, int], tmp_path: Path
) -> None:
    """One build, checked by pyHanko, by verify() and by the command, then changed."""
    check_signature_with_pyhanko(built)
    check_the_issued_file_verifies(packaged, built)
    check_a_tampered_copy_fails(packaged, built)
    check_a_copy_with_an_appended_revision_fails(packaged, built)
    check_verify_package_command(packaged, built, tmp_path)


def check_signature_with_pyhanko(built: tuple[bytes, int]) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from partners.packages.pdf.signing import signing_certificate

    data, _pages = built
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[signing_certificate()])
    )
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line


def check_the_issued_file_verifies(packaged: Packaged, built: tuple[bytes, int]) -> None:
    data, _pages = built
    result = verify(io.BytesIO(data))
    assert (result.issued, result.hash_matches, result.signature_valid) == (True, True, True)
    assert result.package == packaged.package
    assert result.reference == packaged.package.reference
    assert result.recipient == "Registry of the Special Tribunal"
    assert "valid" in result.message


def check_a_tampered_copy_fails(packaged: Packaged, built: tuple[bytes, int]) -> None:
    data, _pages = built
    # One byte changed in the signed range (inside a compressed content stream).
    index = data.find(b"stream", len(data) // 3) + 40
    tampered = bytearray(data)
    tampered[index] ^= 0x01
    result = verify(io.BytesIO(bytes(tampered)))
    assert result.issued is True
    assert result.hash_matches is False
    assert result.signature_valid is False
    assert result.reference == packaged.package.reference
    assert "changed" in result.message


def check_a_copy_with_an_appended_revision_fails(
    packaged: Packaged, built: tuple[bytes, int]
) -> None:
    data, _pages = built
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/Lang"] = writer.root.get("/Lang", "en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = verify(io.BytesIO(out.getvalue()))
    assert result.issued
    assert not result.hash_matches
    assert not result.signature_valid


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, this is not a pdf", b"%PDF-1.7\n garbage garbage", b"\x00\xff" * 5000],
)
def test_garbage_gets_a_clear_answer(db: None, content: bytes) -> None:
    result = verify(io.BytesIO(content))
    assert not result.issued
    assert result.package is None
    assert result.message


def check_verify_package_command(
    packaged: Packaged, built: tuple[bytes, int], tmp_path: Path
) -> None:
    data, _pages = built
    good = tmp_path / "good.pdf"
    good.write_bytes(data)
    out = io.StringIO()
    call_command("verify_package", str(good), stdout=out)
    assert packaged.package.reference in out.getvalue()
    assert "Signature valid:     yes" in out.getvalue()
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_package", str(bad), stdout=io.StringIO())
    assert exit_info.value.code == 1
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("verify_package", str(tmp_path / "missing.pdf"))


def test_make_signing_cert_writes_a_usable_certificate_once(settings, tmp_path: Path) -> None:
    settings.CUSTOS_SIGNING_P12 = tmp_path / "signing" / "dev.p12"
    settings.CUSTOS_SIGNING_PASSPHRASE = ""
    call_command("make_signing_cert", stdout=io.StringIO())
    first = settings.CUSTOS_SIGNING_P12.read_bytes()
    call_command("make_signing_cert", "--if-missing", stdout=io.StringIO())
    assert settings.CUSTOS_SIGNING_P12.read_bytes() == first
    with pytest.raises(CommandError, match="exists"):
        call_command("make_signing_cert", stdout=io.StringIO())
    from partners.packages.pdf.signing import signer

    subject = signer().signing_cert.subject.human_friendly
    assert "Common Name: Custos development signing" in subject


def test_custody_events_recorded_after_approval_are_not_in_the_package(
    packaged: Packaged,
) -> None:
    from evidence import services

    packaged.items[0].refresh_from_db()
    approved_seq = packaged.items[0].custody_seq  # the events as of the approval
    services.custody_record(
        item=packaged.items[0],
        actor=packaged.world.investigator,
        kind=CustodyEvent.Kind.MOVED,
        location="Vault",
    )
    packaged.package.sections = ["integrity"]
    packaged.package.save(update_fields=["sections"])
    data, _pages = build(packaged.package)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        name = manifest_filename(packaged.package)
        manifest = json.loads(pdf.attachments[name].get_file().read_bytes())
    first = manifest["items"][0]
    assert first["custody"]["events"] == approved_seq
    packaged.items[0].refresh_from_db()
    assert first["custody"]["head"] != packaged.items[0].custody_head


def test_an_arabic_package_is_assembled_right_to_left(packaged: Packaged) -> None:
    package = packaged.package
    package.language = "ar"
    package.sections = ["summary", "persons"]
    package.save(update_fields=["language", "sections"])
    data, pages = build(package)
    reader = PdfReader(io.BytesIO(data))
    assert pages == len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        # "الصفحة X من Y" (page X of Y): its own label only, though labels are cut out of
        # shared sheets. pypdf extracts the right-to-left line in visual order.
        labels = [n for n in range(1, pages + 1) if f"من{n} الصفحة" in text]
        assert labels == [number], text
        assert package.reference in text
    assert all(fonts_of(reader).values())
