"""ASVS V6 (authentication): sensitive actions demand a fresh login (the stolen laptop with an
open session), and the brute-force lockout cannot be dodged or turned against a victim with a
forged ``X-Forwarded-For``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.auth_session import AUTH_AT_KEY
from accounts.decorators import recent_login_required
from accounts.models import User
from accounts.sensitive import SENSITIVE_ACTIONS
from audit.models import AuditEvent
from tests.cases.conftest import SHARED_WORLD
from tests.factories import UserFactory
from tests.security.conftest import Hostile
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

PASSWORD = "correct horse battery staple"
_FRESH = recent_login_required(lambda request: HttpResponse()).__code__


def _demands_fresh_login(callback: Callable[..., object]) -> bool:
    view: object = callback
    while view is not None:
        if getattr(view, "__code__", None) is _FRESH:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


ROUTES = {r.name: r for r in all_routes()}
FRESH_ROUTES = {name for name, r in ROUTES.items() if _demands_fresh_login(r.callback)}


def test_the_list_of_sensitive_actions_names_existing_urls() -> None:
    assert not SENSITIVE_ACTIONS - set(ROUTES), "accounts/sensitive.py names a missing URL"


def test_every_sensitive_action_demands_a_fresh_login_and_no_other_url_does() -> None:
    """accounts/sensitive.py and the decorated views cannot drift apart, either way."""
    unwrapped = SENSITIVE_ACTIONS - FRESH_ROUTES
    unlisted = FRESH_ROUTES - SENSITIVE_ACTIONS
    assert not unwrapped, f"wrap {sorted(unwrapped)} with recent_login_required"
    assert not unlisted, f"add {sorted(unlisted)} to accounts/sensitive.py"


def _kwargs(h: Hostile, name: str) -> dict[str, object]:
    from tests.security.test_every_url import OBJECTS

    return OBJECTS[name](h) if name in OBJECTS else {}


def _stale(client: Client) -> None:
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - 24 * 3600  # logged in yesterday
    session.save()


def _state(h: Hostile) -> tuple[object, ...]:
    """What a sensitive action could change: every table's row count, and the rows it would
    update in place (the case's status, the share, the package)."""
    from django.apps import apps

    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    h.world.case.refresh_from_db()
    h.p.share_a.refresh_from_db()
    h.package.refresh_from_db()
    return (counts, h.world.case.status, h.p.share_a.revoked_at, h.package.status)


# What each sensitive form would post, so that a fresh session would succeed.
_POSTS = {
    "cases:transition": {"to_status": "closed", "reason": "Finished"},
    "packages:decide": {"decision": "approve", "reason": "Warrant"},
    "packages:revoke": {"reason": "Leaked"},
    "cases:break_glass": {"justification": "y" * 30, "hours": "2"},
    "accounts:2fa_setup": {"token": "123456", "password": PASSWORD},
    "accounts:2fa_disable": {"password": PASSWORD},
}


def test_a_day_old_session_is_sent_to_confirm_the_password_before_anything_happens(
    hostile: Hostile,
) -> None:
    w = hostile.world
    for name in sorted(SENSITIVE_ACTIONS):
        client = Client()
        client.force_login(w.unit_admin if name == "cases:break_glass" else w.lead)
        _stale(client)
        url = ROUTES[name].url(**_kwargs(hostile, name))
        before = _state(hostile)
        for method in ("get", "post"):
            response = getattr(client, method)(url, _POSTS.get(name, {"reason": "x"}))
            assert response.status_code == 302, f"{method} {name}"
            assert response["Location"].startswith(reverse("accounts:reauth")), name
        assert _state(hostile) == before, f"{name}: nothing was done or read"


def test_confirming_the_password_opens_the_sensitive_action_again(
    client: Client, hostile: Hostile
) -> None:
    lead = hostile.world.lead
    lead.set_password(PASSWORD)
    lead.save()
    client.force_login(lead)
    _stale(client)
    url = reverse("cases:person_grants", args=[hostile.world.case.pk, hostile.world.witness.pk])
    assert client.get(url).status_code == 302
    reauth = client.post(reverse("accounts:reauth") + f"?next={url}", {"password": PASSWORD})
    assert reauth["Location"] == url
    assert client.get(url).status_code == 200


def test_accepting_custody_needs_the_password_even_in_a_fresh_session(
    client: Client, hostile: Hostile
) -> None:
    transfer = hostile.transfer
    client.force_login(hostile.world.lead)  # the recipient, just logged in
    response = client.post(
        reverse("evidence:transfer_accept", args=[transfer.pk]),
        {"password": "not the password", "location": "Lab"},
    )
    assert response.status_code == 200
    assert "The password is not correct." in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == transfer.Status.PENDING


# --- Lockout ----------------------------------------------------------------------------------


@pytest.fixture
def victim(db: None, settings) -> User:
    settings.AXES_FAILURE_LIMIT = 3  # fewer slow password hashes; the rule is the same
    user = UserFactory(username="h_lockout_victim")
    user.set_password(PASSWORD)
    user.save()
    return user


def _attempt(client: Client, username: str, password: str, **headers: Any) -> int:
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **headers
    ).status_code


def test_behind_a_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(
    victim: User, settings
) -> None:
    settings.CUSTOS_TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    attacker = "198.51.100.50"  # what the proxy appends, whatever the client wrote before it
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = f"203.0.113.{n}, {attacker}"
        assert _attempt(proxy, victim.username, "guess", HTTP_X_FORWARDED_FOR=forged) != 302
    locked = _attempt(
        proxy, victim.username, PASSWORD, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {attacker}"
    )
    assert locked == 429
    assert "_auth_user_id" not in proxy.session


def test_a_forged_forwarded_for_cannot_lock_a_victim_out(victim: User, settings) -> None:
    settings.CUSTOS_TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    victim_ip, attacker = "192.0.2.10", "198.51.100.50"
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _attempt(proxy, victim.username, "guess", HTTP_X_FORWARDED_FOR=f"{victim_ip}, {attacker}")
    # The victim, from their own address, still logs in.
    assert _attempt(proxy, victim.username, PASSWORD, HTTP_X_FORWARDED_FOR=victim_ip) == 302


def test_without_a_proxy_forwarded_for_is_ignored_by_the_lockout(victim: User, settings) -> None:
    settings.CUSTOS_TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="198.51.100.60")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, victim.username, "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert _attempt(client, victim.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1") == 429
    assert list(
        AuditEvent.objects.filter(action="auth.login_failed").values_list("ip", flat=True)
    ) == ["198.51.100.60"] * (settings.AXES_FAILURE_LIMIT + 1)


def test_after_confirming_the_password_a_button_action_asks_again_by_its_own_page(
    client: Client, hostile: Hostile
) -> None:
    """Removing a member is a button on the team page (a POST). A stale session is sent to
    confirm the password and comes back by GET: the page shows the same button."""
    w = hostile.world
    w.lead.set_password(PASSWORD)
    w.lead.save()
    client.force_login(w.lead)
    _stale(client)
    url = reverse("cases:team_remove", args=[w.case.pk, hostile.member.pk])
    assert client.post(url)["Location"].startswith(reverse("accounts:reauth"))
    back = client.post(reverse("accounts:reauth") + f"?next={url}", {"password": PASSWORD})
    assert back["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    assert "Remove" in page.content.decode()
    assert w.case.members.filter(pk=hostile.member.pk).exists()
    assert client.post(url).status_code == 302
    assert not w.case.members.filter(pk=hostile.member.pk).exists()
