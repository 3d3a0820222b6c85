"""ASVS V5/V12 (SSRF, file inclusion): text that looks like markup or a URL is printed as text
in the PDFs; the renderer's fetcher refuses the network and the filesystem; nothing is
embedded. Each PDF renderer is a :class:`Renderer`; the case package renderer joins with a
few lines (see docs/security.md)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

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


RENDERERS: dict[str, Callable[[], Renderer]] = {"certificate": _certificate_renderer}


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
    pdf = RENDERERS[kind]().render(HOSTILE)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "169.254.169.254" in " ".join(text.split()), "the URL is printed as text"
    assert "file:///etc/passwd" in text.replace(" ", "") or "etc/passwd" in text
    assert SECRET_FILE_CONTENT not in pdf
    assert reader.attachments == {}
    assert all(url.startswith("data:") for url in fetched), fetched


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
