"""The certificate PDF: WeasyPrint, fed only what this module gives it.

The renderer may fetch ``data:`` URLs (the QR code) and nothing else: no network, no
filesystem. The print stylesheet is read here and handed over as a string.
"""

from __future__ import annotations

from pathlib import Path

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from custos.pdf import SafeURLFetcher
from training.models import Certificate

STYLESHEET = "training/certificate.css"

# The certificate needs no file at all: data: URLs (the QR code) only.
data_only_url_fetcher = SafeURLFetcher(roots=())


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
    if not isinstance(css_path, str):
        raise FileNotFoundError(STYLESHEET)
    stylesheet = CSS(
        string=Path(css_path).read_text(encoding="utf-8"), url_fetcher=data_only_url_fetcher
    )
    html = HTML(
        string=certificate_html(certificate),
        base_url="data:,",
        url_fetcher=data_only_url_fetcher,
    )
    return html.write_pdf(stylesheets=[stylesheet])
