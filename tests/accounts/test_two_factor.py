"""Two-factor authentication with a real TOTP device: enrolment, login, recovery codes."""

from __future__ import annotations

import importlib
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts import services
from accounts.auth_session import AUTH_AT_KEY
from accounts.models import RecoveryCode, User, recovery_code_digest
from tests.conftest import audit_actions
from tests.factories import PASSWORD

SETUP = "/accounts/2fa/setup/"


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def _next_code(device: TOTPDevice) -> str:
    """A code of the next time step: the enrolment code of this step cannot be replayed."""
    return _code(device, offset=1)


def _code_for_key(key: str) -> str:
    return _code(TOTPDevice(key=key))


def _login_an_hour_ago(client: Client, user: User) -> None:
    client.force_login(user)
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - 3600
    session.save()


@pytest.fixture
def enrolled(investigator: User) -> tuple[User, TOTPDevice, list[str]]:
    key = default_key()
    enrolled = services.totp_enrol(user=investigator, key=key, token=_code_for_key(key))
    assert enrolled is not None
    device, codes = enrolled
    return investigator, device, codes


def test_enrolment_shows_a_locally_rendered_qr_code_and_confirms_with_a_code(
    client: Client, investigator: User
) -> None:
    client.force_login(investigator)
    page = client.get(SETUP)
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # rendered here, never by a third-party service
    key = client.session["custos_totp_setup_key"]

    wrong_code = "000000" if _code_for_key(key) != "000000" else "111111"
    wrong = client.post(SETUP, {"token": wrong_code, "password": PASSWORD})
    assert "That code does not match" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=investigator).exists()

    done = client.post(SETUP, {"token": _code_for_key(key), "password": PASSWORD})
    assert done.status_code == 200
    assert "Your recovery codes" in done.content.decode()
    device = TOTPDevice.objects.get(user=investigator)
    assert device.confirmed
    stored = set(
        RecoveryCode.objects.filter(device__user=investigator).values_list("digest", flat=True)
    )
    assert len(stored) == 10
    shown = {code for code in done.context["codes"] if code in done.content.decode()}
    assert {recovery_code_digest(code) for code in shown} == stored
    assert "auth.2fa_enrolled" in audit_actions(actor=investigator)


def test_login_with_two_factor_creates_no_session_before_the_code(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]], settings
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp would delay the next try by a second
    user, device, _ = enrolled
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("accounts:login_verify")
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))

    wrong = client.post("/accounts/login/verify/", {"token": "12345x"})
    assert "That code is not valid" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    from audit.models import AuditEvent

    failure = AuditEvent.objects.filter(action="auth.login_failed").order_by("id").last()
    assert failure.details == {"username": user.username, "stage": "second_factor"}

    ok = client.post("/accounts/login/verify/", {"token": _next_code(device)})
    assert ok["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert dashboard.wsgi_request.user.is_verified()
    assert audit_actions(actor=user)[-2:] == ["auth.login", "auth.2fa_verified"]


def test_a_used_code_cannot_be_replayed(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]]
) -> None:
    user, device, _ = enrolled
    code = _next_code(device)
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/accounts/login/verify/", {"token": code}).status_code == 302
    client.post("/accounts/logout/")
    other = Client()
    other.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    replay = other.post("/accounts/login/verify/", {"token": code})
    assert replay.status_code == 200
    assert "_auth_user_id" not in other.session


def test_a_recovery_code_works_once(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]]
) -> None:
    user, _, codes = enrolled
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/accounts/login/verify/", {"token": codes[0].upper()}).status_code == 302
    assert audit_actions(actor=user)[-1] == "auth.2fa_verified"
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    again = client.post("/accounts/login/verify/", {"token": codes[0]})
    assert again.status_code == 200
    assert RecoveryCode.objects.filter(device__user=user).count() == 9


def test_recovery_codes_are_stored_only_as_digests(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]]
) -> None:
    """Someone who reads the database learns no code: neither a code nor the stored digest
    typed at the login form completes a login."""
    user, _, codes = enrolled
    stored = list(RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True))
    assert not set(codes) & set(stored)
    assert all(code not in digest for code in codes for digest in stored)
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    for digest in (stored[0], stored[0][:16]):
        refused = client.post("/accounts/login/verify/", {"token": digest})
        assert refused.status_code == 200
        assert "_auth_user_id" not in client.session
    assert RecoveryCode.objects.filter(device__user=user).count() == 10


def test_wrong_codes_count_towards_the_lockout(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]], settings
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user, device, _ = enrolled
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    last = None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = client.post("/accounts/login/verify/", {"token": "99999999"})
    assert last.status_code == 429
    # Locked out: the right password is refused, and the pending login is gone.
    again = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert again.status_code == 429
    late = client.post("/accounts/login/verify/", {"token": _next_code(device)})
    assert late["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_a_pending_login_expires(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]], settings
) -> None:
    user, device, _ = enrolled
    settings.CUSTOS_OTP_PENDING_SECONDS = 0
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    time.sleep(1.1)
    response = client.post("/accounts/login/verify/", {"token": _next_code(device)})
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_when_required_a_user_without_a_device_must_enrol_first(
    client: Client, investigator: User, settings
) -> None:
    settings.CUSTOS_REQUIRE_2FA = True
    client.post("/accounts/login/", {"username": investigator.username, "password": PASSWORD})
    for path in ("/", "/accounts/profile/", "/accounts/notifications/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == SETUP
    assert client.get(SETUP).status_code == 200
    key = client.session["custos_totp_setup_key"]
    client.post(SETUP, {"token": _code_for_key(key), "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_when_required_a_session_that_skipped_its_second_factor_is_ended(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]], settings
) -> None:
    settings.CUSTOS_REQUIRE_2FA = True
    user, _, _ = enrolled
    client.force_login(user)  # a session that never passed the second factor
    response = client.get("/")
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_turning_off_is_refused_when_required(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]], settings
) -> None:
    settings.CUSTOS_REQUIRE_2FA = False
    user, _, _ = enrolled
    client.force_login(user)
    client.post("/accounts/2fa/disable/", {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=user).exists()
    key = default_key()
    services.totp_enrol(user=user, key=key, token=_code_for_key(key))
    settings.CUSTOS_REQUIRE_2FA = True
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    client.post("/accounts/2fa/disable/", {"password": PASSWORD})
    assert TOTPDevice.objects.filter(user=user).exists()


def test_sensitive_two_factor_changes_ask_for_the_password_again(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]]
) -> None:
    user, _, codes = enrolled
    _login_an_hour_ago(client, user)
    response = client.post("/accounts/2fa/recovery-codes/")
    assert response["Location"] == "/accounts/reauth/?next=%2Faccounts%2F2fa%2Frecovery-codes%2F"
    assert RecoveryCode.objects.filter(digest=recovery_code_digest(codes[0])).exists()

    wrong = client.post(
        "/accounts/reauth/", {"password": "nope", "next": "/accounts/2fa/recovery-codes/"}
    )
    assert "The password is not correct" in wrong.content.decode()
    assert "auth.login_failed" in audit_actions()

    ok = client.post(
        "/accounts/reauth/", {"password": PASSWORD, "next": "/accounts/2fa/recovery-codes/"}
    )
    assert ok["Location"] == "/accounts/2fa/recovery-codes/"
    assert "auth.reauthenticated" in audit_actions(actor=user)
    fresh = client.post("/accounts/2fa/recovery-codes/")
    assert "Your recovery codes" in fresh.content.decode()
    assert not RecoveryCode.objects.filter(digest=recovery_code_digest(codes[0])).exists()
    assert audit_actions(actor=user)[-1] == "auth.recovery_codes_regenerated"


def test_replacing_the_authenticator_needs_a_recent_login(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]]
) -> None:
    user, _, _ = enrolled
    _login_an_hour_ago(client, user)
    response = client.get(SETUP)
    assert response["Location"].startswith("/accounts/reauth/")


def test_a_first_authenticator_needs_a_recent_login_too(client: Client, investigator: User) -> None:
    """A day-old session of a user without 2FA cannot have someone else's phone enrolled."""
    _login_an_hour_ago(client, investigator)
    assert client.get(SETUP)["Location"].startswith("/accounts/reauth/")
    response = client.post(SETUP, {"token": "123456", "password": PASSWORD})
    assert response["Location"].startswith("/accounts/reauth/")
    assert not TOTPDevice.objects.filter(user=investigator).exists()


def test_enrolment_asks_for_the_password_even_just_after_the_login(
    client: Client, investigator: User
) -> None:
    client.force_login(investigator)
    client.get(SETUP)
    token = _code_for_key(client.session["custos_totp_setup_key"])
    for data in ({"token": token}, {"token": token, "password": "not the password"}):
        response = client.post(SETUP, data)
        assert response.status_code == 200
        assert not TOTPDevice.objects.filter(user=investigator).exists()
    assert "The password is not correct." in response.content.decode()


def test_turning_off_asks_for_the_password_even_just_after_the_login(
    client: Client, enrolled: tuple[User, TOTPDevice, list[str]], settings
) -> None:
    settings.CUSTOS_REQUIRE_2FA = False
    user, _, _ = enrolled
    client.force_login(user)
    response = client.post("/accounts/2fa/disable/", {"password": "not the password"})
    assert "The password is not correct." in response.content.decode()
    assert TOTPDevice.objects.filter(user=user).exists()
    assert "auth.2fa_disabled" not in audit_actions(actor=user)


def test_the_migration_turns_clear_static_tokens_into_digests(investigator: User) -> None:
    """Codes issued before recovery codes were hashed keep working, and leave no clear copy."""
    from django.apps import apps
    from django_otp import match_token
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    static = StaticDevice.objects.create(user=investigator, name="recovery", confirmed=True)
    StaticToken.objects.bulk_create(
        StaticToken(device=static, token=t) for t in ("abcdefghijklmnop", "qrstuvwxyz234567")
    )
    migration = importlib.import_module(
        "accounts.migrations.0004_recovery_codes_from_static_tokens"
    )
    migration.to_digests(apps, None)
    assert not StaticToken.objects.exists()
    assert not StaticDevice.objects.exists()
    assert RecoveryCode.objects.filter(device__user=investigator).count() == 2
    assert migration.digest("ABCD EFGH-ijkl mnop") == recovery_code_digest("abcdefghijklmnop")
    assert match_token(investigator, "abcdefghijklmnop") is not None
    assert match_token(investigator, "abcdefghijklmnop") is None  # used once
    assert RecoveryCode.objects.filter(device__user=investigator).count() == 1
