"""Profile, language and password: each change saved, audited, and visible to the user."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from tests.conftest import audit_actions
from tests.factories import PASSWORD


def test_profile_update_changes_the_interface_language(client: Client, investigator: User) -> None:
    client.force_login(investigator)
    response = client.post(
        "/accounts/profile/", {"full_name": "Ana María Pérez", "preferred_language": "fr"}
    )
    assert response.status_code == 302
    investigator.refresh_from_db()
    assert (investigator.full_name, investigator.preferred_language) == ("Ana María Pérez", "fr")
    assert client.get("/")["Content-Language"] == "fr"
    assert audit_actions(actor=investigator)[-1] == "account.profile_updated"


def test_arabic_pages_are_right_to_left(client: Client, investigator: User) -> None:
    investigator.preferred_language = "ar"
    investigator.save()
    client.force_login(investigator)
    html = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html


def test_invalid_profile_rerenders_with_the_error_and_keeps_the_input(
    client: Client, investigator: User
) -> None:
    client.force_login(investigator)
    response = client.post("/accounts/profile/", {"full_name": "", "preferred_language": "xx"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert 'aria-invalid="true"' in html
    assert "is-invalid" in html


def test_the_language_switcher_saves_a_logged_in_users_choice(
    client: Client, investigator: User
) -> None:
    client.force_login(investigator)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/profile/"})
    assert response["Location"] == "/accounts/profile/"
    investigator.refresh_from_db()
    assert investigator.preferred_language == "es"
    assert "account.language_changed" in audit_actions(actor=investigator)


def test_anonymous_users_get_the_browsers_language(client: Client, db: None) -> None:
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response["Content-Language"] == "ar"


def test_password_change_validates_and_is_audited(client: Client, investigator: User) -> None:
    client.force_login(investigator)
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert "This password is too short" in weak.content.decode()
    new = "a much better passphrase 2026"
    ok = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert ok.status_code == 302
    investigator.refresh_from_db()
    assert investigator.check_password(new)
    assert client.get("/").status_code == 200  # the session survives its own password change
    assert audit_actions(actor=investigator)[-1] == "account.password_changed"
