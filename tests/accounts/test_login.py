"""Logging in and out, with django-axes counting failures per username and client address."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import audit_actions
from tests.factories import PASSWORD

# Login hardening: the passwords are checked by production's hashers, not the suite's fast one.
pytestmark = pytest.mark.real_password_hasher

LOGIN = "/accounts/login/"


def _attempt(client: Client, username: str, password: str, **extra: Any):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture
def user(investigator: User) -> User:
    return investigator


def test_login_page_labels_every_input(client: Client, db: None) -> None:
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label class="form-label" for="id_username">' in html
    assert '<label class="form-label" for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_correct_password_logs_in_and_is_audited(client: Client, user: User) -> None:
    response = _attempt(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert audit_actions(actor=user) == ["auth.login"]
    dashboard = client.get("/")
    assert user.full_name in dashboard.content.decode()


def test_wrong_password_shows_a_clear_message_and_creates_no_session(
    client: Client, user: User
) -> None:
    response = _attempt(client, user.username, "not the password")
    assert response.status_code == 200
    assert "The username or password is not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert audit_actions(action="auth.login_failed") == ["auth.login_failed"]
    from audit.models import AuditEvent

    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.details["username"] == user.username
    assert failed.actor is None
    assert failed.ip == "127.0.0.1"


def test_too_many_failures_lock_the_account_for_that_address_with_a_message(
    client: Client, user: User, settings
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, user.username, "wrong").status_code == 200
    locked = _attempt(client, user.username, "wrong")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    # Even the right password is refused while locked out, without a server error.
    again = _attempt(client, user.username, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "auth.locked_out" in audit_actions()


def test_lockout_is_keyed_on_username_and_address_together(
    client: Client, user: User, analyst: User, settings
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user.username, "wrong")
    # Another user at the same address is not locked out by someone else's failures...
    assert _attempt(client, analyst.username, PASSWORD).status_code == 302
    # ...and the same user from another address can still log in.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _attempt(other, user.username, PASSWORD).status_code == 302


def test_a_spoofed_forwarded_for_header_does_not_escape_the_lockout(
    client: Client, user: User, settings
) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, user.username, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _attempt(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 429


def test_forwarded_for_is_used_behind_a_configured_proxy(user: User, settings) -> None:
    settings.CUSTOS_TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
    _attempt(client, user.username, "wrong", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    from audit.models import AuditEvent

    # The proxy's own entry is the right-most one; what the client wrote before it is ignored.
    assert AuditEvent.objects.get(action="auth.login_failed").ip == "203.0.113.7"


def test_login_never_redirects_to_another_site(client: Client, user: User) -> None:
    response = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_login_returns_to_the_page_asked_for(client: Client, user: User) -> None:
    response = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD, "next": "/accounts/profile/"}
    )
    assert response["Location"] == "/accounts/profile/"


def test_logout_needs_post_and_is_audited(client: Client, user: User) -> None:
    client.force_login(user)
    confirm = client.get("/accounts/logout/")
    assert "Log out of Custos?" in confirm.content.decode()
    assert "_auth_user_id" in client.session  # a GET never logs out
    response = client.post("/accounts/logout/")
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert audit_actions(actor=user)[-1] == "auth.logout"


def test_authenticated_pages_are_never_cached(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_every_response_carries_the_security_headers(client: Client, db: None) -> None:
    response = client.get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_idle_sessions_expire(client: Client, user: User, settings) -> None:
    settings.SESSION_COOKIE_AGE = 1
    client.force_login(user)
    assert client.get("/").status_code == 200
    time.sleep(2.1)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
