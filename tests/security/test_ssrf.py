"""ASVS V5/V12 (SSRF, file inclusion): text that looks like markup or a URL is printed as text
in the PDFs; the renderer's fetcher refuses the network and the filesystem; nothing is
embedded. Each PDF renderer is a :class:`Renderer`; the case package renderer joins with a
few lines (see docs/security.md)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import pytest
from pypdf import PdfReader

from custos.pdf import SafeURLFetcher

HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/passwd"> '
    '<img src="http://169.254.169.254/latest/meta-data/"> <script>xss</script>'
)
SECRET_FILE_CONTENT = b"root:x:0:0"


@dataclass(frozen=True)
class Renderer:
    """Renders one PDF with ``text`` in its user-typed fields; returns the bytes."""

    render: Callable[[str], bytes]
    fetcher: SafeURLFetcher
    # Names of the files the PDF embeds on purpose (a package's hash manifest, as PDF/A-3
    # allows), as a regular expression; nothing else may be attached.
    attachments: str = r"(?!)"
    # Files the renderer may read from the project's static directories (fonts, print CSS).
    reads_static: bool = False


def _certificate(text: str) -> bytes:
    from tests.training.conftest import applicant, apply, make_session
    from training.models import Certificate, Course
    from training.pdf import certificate_pdf

    person = applicant("s_trainee")
    person.full_name = text
    person.save()
    course = Course.objects.create(title=f"Course {text}")
    certificate = Certificate.objects.create(application=apply(make_session(course), person))
    return certificate_pdf(certificate)


def _certificate_renderer() -> Renderer:
    from training.pdf import data_only_url_fetcher

    return Renderer(_certificate, data_only_url_fetcher)


def _package(text: str) -> bytes:
    """A whole case package, assembled, with ``text`` in the case, an incident, a person and
    the request (the recipient printed on every page)."""
    from datetime import date

    from accounts.roles import Role
    from cases import services as case_services
    from cases.models import CasePerson
    from partners.models import Package
    from partners.packages import pdf as pipeline
    from tests.cases.conftest import open_case
    from tests.factories import UserFactory

    lead = UserFactory(username="s_lead", roles=[Role.CASE_LEAD])
    case = open_case(lead, title=f"Case {text}", summary=text)
    case_services.incident_create(
        case=case,
        actor=lead,
        title=f"Incident {text}",
        description=text,
        date_start=date(2024, 4, 2),
        date_precision="day",
        place_name=text,
        country="UA",
    )
    case_services.case_person_add(
        case=case, actor=lead, role=CasePerson.Role.SUSPECT, full_name=text, rank=text
    )
    package = Package.objects.create(
        case=case,
        recipient=f"Recipient {text}",
        purpose=Package.Purpose.OTHER,
        purpose_detail=text,
        sections=list(Package.Section.values),
        requested_by=lead,
        decided_by=lead,
        decision_reason=text,
        status=Package.Status.RENDERING,
    )
    parts: list[tuple[pipeline.PartResult, BinaryIO]] = []
    for plan in pipeline.plan_parts(package):
        out = io.BytesIO()
        parts.append((pipeline.render_part(package, plan, out), out))
        out.seek(0)
    pdf = io.BytesIO()
    pipeline.assemble(package, parts, pdf)
    return pdf.getvalue()


def _package_renderer() -> Renderer:
    return Renderer(
        _package,
        SafeURLFetcher(),
        attachments=r"PKG-\d+-manifest\.json",
        reads_static=True,
    )


RENDERERS: dict[str, Callable[[], Renderer]] = {
    "certificate": _certificate_renderer,
    "package": _package_renderer,
}


def _static_file(url: str) -> bool:
    from urllib.parse import unquote, urlsplit

    from custos.pdf import static_roots

    parts = urlsplit(url)
    if parts.scheme != "file":
        return False
    from pathlib import Path

    path = Path(unquote(parts.path)).resolve()
    return any(path.is_relative_to(root) for root in static_roots())


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL any SafeURLFetcher is asked for during the test."""
    urls: list[str] = []
    original = SafeURLFetcher.fetch

    def spy(self: SafeURLFetcher, url: str, headers: dict | None = None) -> object:
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(SafeURLFetcher, "fetch", spy)
    return urls


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_hostile_text_is_printed_as_text_and_nothing_is_fetched_or_embedded(
    db: None, fetched: list[str], kind: str
) -> None:
    renderer = RENDERERS[kind]()
    pdf = renderer.render(HOSTILE)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "169.254.169.254" in " ".join(text.split()), "the URL is printed as text"
    assert "file:///etc/passwd" in text.replace(" ", "") or "etc/passwd" in text
    assert SECRET_FILE_CONTENT not in pdf
    assert all(re.fullmatch(renderer.attachments, name) for name in reader.attachments)
    for url in fetched:
        assert url.startswith("data:") or (renderer.reads_static and _static_file(url)), url
    assert not any("169.254" in url or "passwd" in url for url in fetched), fetched


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/x.png",
        "ftp://example.org/x",
        "//169.254.169.254/x",
        "/etc/passwd",
    ],
)
def test_the_fetcher_refuses_the_network_and_the_filesystem(kind: str, url: str) -> None:
    fetcher = RENDERERS[kind]().fetcher
    with pytest.raises(ValueError, match="Refused"):
        fetcher.fetch(url)


def test_even_unescaped_markup_embeds_nothing(db: None) -> None:
    """Defence in depth: were a template ever to print markup raw, the certificate's fetcher
    would still leave out every resource that is not a data: URL."""
    from weasyprint import HTML

    from training.pdf import data_only_url_fetcher

    html = f"<html><body><p>before</p>{HOSTILE}<p>after</p></body></html>"
    pdf = HTML(string=html, base_url="data:,", url_fetcher=data_only_url_fetcher).write_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    assert SECRET_FILE_CONTENT not in pdf
    assert "after" in reader.pages[0].extract_text()
