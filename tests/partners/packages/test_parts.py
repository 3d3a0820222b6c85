"""Rendering parts: the plan, what each section prints, pseudonyms, Arabic, hostile text."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from cases.models import Case, Incident
from custos.pdf import SafeURLFetcher
from evidence.models import EvidenceFile
from partners.models import Package, PackageDisclosure
from partners.packages.pdf import PartPlan, PartResult, plan_parts, render_part
from partners.packages.pdf import render as render_module
from partners.packages.pdf.content import hash_lines
from tests.cases.conftest import WITNESS_NAME
from tests.partners.packages.conftest import HOSTILE, Packaged, fonts_of, make_package


def part_text(package: Package, plan: PartPlan) -> tuple[str, PartResult]:
    out = io.BytesIO()
    result = render_part(package, plan, out)
    out.seek(0)
    reader = PdfReader(out)
    assert len(reader.pages) == result.pages
    return "\n".join(page.extract_text() for page in reader.pages), result


def test_long_sections_are_cut_into_parts_in_document_order(
    packaged: Packaged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_module, "EVIDENCE_PER_PART", 2)
    monkeypatch.setattr(render_module, "CUSTODY_EVENTS_PER_PART", 3)
    monkeypatch.setattr(render_module, "ANNEX_ITEMS_PER_PART", 2)
    plans = plan_parts(packaged.package)
    assert [p.key for p in plans] == [
        "summary",
        "chronology",
        "allegations",
        "persons",
        "evidence",
        "evidence",
        "custody",
        "custody",
        "custody",
        "integrity",
        "annex",
        "annex",
    ]
    assert [p.params for p in plans if p.key == "evidence"] == [
        {"offset": 0, "limit": 2},
        {"offset": 2, "limit": 2},
    ]
    # Each item has two custody events (registration and examination): one item per part.
    assert [p.params["offset"] for p in plans if p.key == "custody"] == [0, 1, 2]


def test_only_the_chosen_sections_and_items_are_planned(packaged: Packaged) -> None:
    package = make_package(packaged.world, sections=["evidence", "persons"], all_evidence=False)
    package.evidence_items.set(packaged.items[:1])
    plans = plan_parts(package)
    assert [p.key for p in plans] == ["persons", "evidence"]
    text, _result = part_text(package, plans[1])
    assert packaged.items[0].exhibit in text
    assert packaged.items[1].exhibit not in text


def test_evidence_register_prints_each_files_sha256_in_fixed_lines(packaged: Packaged) -> None:
    text, result = part_text(packaged.package, PartPlan("evidence", {"offset": 0, "limit": 10}))
    for file in EvidenceFile.objects.filter(item__in=packaged.items).select_related("blob"):
        lines = hash_lines(file.blob.sha256)
        assert [len(line) for line in lines] == [32, 32]
        for line in lines:
            assert line in text
    assert result.bookmarks[0] == (1, "Evidence register", 0)
    assert result.bookmarks[1][0] == 2


def test_custody_log_prints_the_chain_hashes(packaged: Packaged) -> None:
    text, result = part_text(packaged.package, PartPlan("custody", {"offset": 0, "limit": 3}))
    for item in packaged.items:
        for event in item.custody_events.all():
            for line in hash_lines(event.hash) + hash_lines(event.prev_hash):
                assert line in text
    assert (3, packaged.items[2].exhibit) in {
        (level, label) for level, label, _ in result.bookmarks
    }


def test_protected_persons_appear_by_pseudonym_only(packaged: Packaged) -> None:
    witness = packaged.world.witness
    persons, _ = part_text(packaged.package, PartPlan("persons", {}))
    evidence, _ = part_text(packaged.package, PartPlan("evidence", {"offset": 0, "limit": 10}))
    for text in (persons, evidence):
        assert witness.pseudonym in text
        assert "CANARY" not in text
    assert "Dragan Suspectovic" in persons  # not protected


def test_a_disclosed_identity_is_printed_with_its_justification(packaged: Packaged) -> None:
    PackageDisclosure.objects.create(
        package=packaged.package,
        case_person=packaged.world.witness,
        justification="Consented to testify openly",
        added_by=packaged.world.lead,
    )
    text, _ = part_text(packaged.package, PartPlan("persons", {}))
    flat = " ".join(text.split())
    assert WITNESS_NAME in flat
    assert "Consented to testify openly" in flat


def test_allegations_print_the_proof_matrix(packaged: Packaged) -> None:
    text, result = part_text(packaged.package, PartPlan("allegations", {"offset": 0, "limit": 5}))
    text = " ".join(text.split())
    assert "Dragan Suspectovic" in text
    assert packaged.items[0].exhibit in text
    assert "The vendor saw the rounds land." in text
    assert [level for level, _label, _page in result.bookmarks] == [1, 2]


def test_an_arabic_package_is_shaped_and_searchable(packaged: Packaged) -> None:
    Case.objects.filter(pk=packaged.world.case.pk).update(summary="الأدلة محفوظة في الأرشيف")
    packaged.world.case.refresh_from_db()
    package = make_package(packaged.world, language="ar")
    out = io.BytesIO()
    render_part(package, PartPlan("summary", {}), out)
    out.seek(0)
    text = PdfReader(out).pages[0].extract_text()
    assert "الأدلة محفوظة في الأرشيف" in text
    fonts = fonts_of(PdfReader(out))
    assert fonts
    # Only the vendored fonts (named after their @font-face family), embedded.
    assert all("+Custos-" in name and embedded for name, embedded in fonts.items()), fonts


def test_hostile_case_text_is_printed_as_text_and_fetches_nothing(
    packaged: Packaged, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = packaged.world.case
    Case.objects.filter(pk=case.pk).update(summary=HOSTILE)
    Incident.objects.filter(pk=packaged.world.incident.pk).update(description=HOSTILE)
    packaged.package.case.refresh_from_db()
    fetched: list[str] = []
    original = SafeURLFetcher.fetch

    def spy(self: SafeURLFetcher, url: str, headers: dict | None = None) -> object:
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(SafeURLFetcher, "fetch", spy)
    monkeypatch.setattr(render_module, "_STYLE", None)  # load the stylesheet and fonts again
    for key in ("summary", "chronology"):
        out = io.BytesIO()
        render_part(packaged.package, PartPlan(key, {}), out)
        out.seek(0)
        reader = PdfReader(out)
        text = "".join("".join(page.extract_text() for page in reader.pages).split())
        assert '<imgsrc="file:///etc/passwd">' in text
        assert '<linkrel=attachmenthref="file:///etc/passwd">' in text
        assert "http://169.254.169.254/latest/meta-data/" in text
        assert "<b>bold</b>" in text
        assert "root:" not in text
        assert "/EmbeddedFiles" not in str(reader.trailer["/Root"])
    assert fetched
    assert all(url.startswith("file://") and "/static/" in url for url in fetched)
    assert not any("passwd" in url or "169.254" in url for url in fetched)


def test_unescaped_markup_still_cannot_fetch_files_or_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fetcher is the second line of defence, if escaping ever failed."""
    refused: list[str] = []
    original = SafeURLFetcher.fetch

    def spy(self: SafeURLFetcher, url: str, headers: dict | None = None) -> object:
        try:
            return original(self, url, headers)
        except ValueError:
            refused.append(url)
            raise

    monkeypatch.setattr(SafeURLFetcher, "fetch", spy)
    document = render_module.render_html(
        "<html><head><link rel=attachment href='file:///etc/passwd'>"
        "<link rel=stylesheet href='http://169.254.169.254/style.css'></head>"
        "<body><img src='file:///etc/passwd'><a rel=attachment href='file:///etc/hostname'>x</a>"
        "<img src='http://169.254.169.254/latest/meta-data/'></body></html>"
    )
    pdf = document.write_pdf()
    assert b"root:" not in pdf
    assert b"/EmbeddedFile" not in pdf
    assert "file:///etc/passwd" in refused
    assert "http://169.254.169.254/latest/meta-data/" in refused
