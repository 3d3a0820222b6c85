"""The certificate PDF: WeasyPrint, fed only what this module gives it.

The renderer may fetch ``data:`` URLs (the QR code) and nothing else: no network, no
filesystem. The print stylesheet is read here and handed over as a string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from training.models import Certificate

try:  # WeasyPrint 68 and later
    from weasyprint.urls import URLFetcher

    def _fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        return URLFetcher(allowed_protocols=("data",), allow_redirects=False).fetch(url)

except ImportError:  # pragma: no cover - older WeasyPrint
    from weasyprint import default_url_fetcher as _fetch


STYLESHEET = "training/certificate.css"


def data_only_url_fetcher(url: str, *args: Any, **kwargs: Any) -> Any:
    """Fetches ``data:`` URLs; refuses every other URL (http, file, relative...)."""
    if urlsplit(url).scheme.lower() != "data":
        raise ValueError(f"Refused to fetch {url[:80]!r}: only data: URLs are allowed")
    return _fetch(url, *args, **kwargs)


# WeasyPrint 70 reads this on the fetcher when a fetch fails: a refusal skips the resource.
data_only_url_fetcher._fail_on_errors = False  # type: ignore[attr-defined]


def verify_url(certificate: Certificate) -> str:
    path = reverse("training:verify", kwargs={"code": certificate.code})
    return f"{settings.CUSTOS_BASE_URL}{path}"


def certificate_html(certificate: Certificate) -> str:
    application = certificate.application
    session = application.session
    url = verify_url(certificate)
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    # In the trainee's language, whichever worker renders it.
    with translation.override(application.applicant.preferred_language):
        return render_to_string(
            "training/certificate.html",
            {
                "certificate": certificate,
                "name": application.applicant.get_full_name(),
                "course": session.course,
                "session": session,
                "verify_url": url,
                "qr": qr,
            },
        )


def certificate_pdf(certificate: Certificate) -> bytes:
    from weasyprint import CSS, HTML

    css_path = finders.find(STYLESHEET)
    stylesheet = CSS(
        string=Path(css_path).read_text(encoding="utf-8"), url_fetcher=data_only_url_fetcher
    )
    html = HTML(
        string=certificate_html(certificate),
        base_url="data:,",
        url_fetcher=data_only_url_fetcher,
    )
    return html.write_pdf(stylesheets=[stylesheet])
