"""The error pages are Custos's own, in the user's language, and give nothing away."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from accounts.models import User


def test_an_unknown_page_is_the_custom_404(client: Client, investigator: User) -> None:
    client.force_login(investigator)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "or you do not have access to it" in html  # the same words for "hidden" and "absent"
    assert 'href="/"' in html


def test_the_500_page_renders_without_any_request_context() -> None:
    with translation.override("ar"):
        html = render_to_string("500.html")
    assert '<html lang="ar" dir="rtl">' in html
    assert "Traceback" not in html


def test_a_forged_form_post_gets_the_csrf_page(investigator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(investigator)
    response = client.post("/accounts/profile/", {"full_name": "X", "preferred_language": "en"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    investigator.refresh_from_db()
    assert investigator.full_name != "X"
