"""A session ends CUSTOS_SESSION_ABSOLUTE_SECONDS after its login, however active it is."""

from __future__ import annotations

import time

from django.test import Client
from django.urls import reverse

from accounts.auth_session import LOGIN_AT_KEY
from accounts.models import User
from tests.conftest import audit_actions


def _logged_in_ago(client: Client, seconds: int) -> None:
    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - seconds
    session.save()


def test_an_active_session_older_than_its_lifetime_is_logged_out(
    client: Client, investigator: User, settings
) -> None:
    settings.CUSTOS_SESSION_ABSOLUTE_SECONDS = 3600
    client.force_login(investigator)
    _logged_in_ago(client, 3601)
    response = client.get(reverse("cases:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    assert audit_actions(actor=investigator)[-2:] == ["auth.session_expired", "auth.logout"]
    # Logged out for good: the next request is anonymous too.
    assert client.get(reverse("cases:list")).status_code == 302


def test_a_session_within_its_lifetime_goes_on(
    client: Client, investigator: User, settings
) -> None:
    settings.CUSTOS_SESSION_ABSOLUTE_SECONDS = 3600
    client.force_login(investigator)
    _logged_in_ago(client, 3500)
    assert client.get(reverse("cases:list")).status_code == 200
    assert "auth.session_expired" not in audit_actions()


def test_confirming_the_password_does_not_extend_the_lifetime(
    client: Client, investigator: User, settings
) -> None:
    """Re-authentication refreshes the fresh-login clock, not the session's lifetime."""
    settings.CUSTOS_SESSION_ABSOLUTE_SECONDS = 3600
    investigator.set_password("correct horse battery staple")
    investigator.save()
    client.force_login(investigator)
    _logged_in_ago(client, 3000)
    reauth = client.post(reverse("accounts:reauth"), {"password": "correct horse battery staple"})
    assert reauth.status_code == 302
    _logged_in_ago(client, 3601)
    assert client.get(reverse("cases:list"))["Location"].startswith(reverse("accounts:login"))


def test_the_default_lifetime_is_twelve_hours() -> None:
    from django.conf import settings

    assert settings.CUSTOS_SESSION_ABSOLUTE_SECONDS == 12 * 3600
