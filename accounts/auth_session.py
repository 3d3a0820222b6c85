"""What the session remembers about authentication: when it happened, and a pending login
that still waits for its second factor."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

AUTH_AT_KEY = "custos_auth_at"
LOGIN_AT_KEY = "custos_login_at"
PENDING_KEY = "custos_otp_pending"


def mark_authenticated(request: HttpRequest) -> None:
    """Records that the user has just proved who they are (login or re-authentication)."""
    request.session[AUTH_AT_KEY] = int(time.time())


def mark_logged_in(request: HttpRequest) -> None:
    """Records a login: the start of the session's absolute lifetime, and a fresh
    authentication. Confirming the password later refreshes the latter only."""
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[AUTH_AT_KEY] = now


def is_recently_authenticated(request: HttpRequest) -> bool:
    at = request.session.get(AUTH_AT_KEY)
    return isinstance(at, int) and time.time() - at <= settings.CUSTOS_REAUTH_MAX_AGE


def session_outlived(request: HttpRequest) -> bool:
    """Whether the session's login is older than ``CUSTOS_SESSION_ABSOLUTE_SECONDS`` (or was
    never stamped), whatever its activity since."""
    at = request.session.get(LOGIN_AT_KEY)
    return not isinstance(at, int) or time.time() - at > settings.CUSTOS_SESSION_ABSOLUTE_SECONDS


@dataclass(frozen=True)
class PendingLogin:
    user_id: int
    backend: str
    next_url: str


def set_pending_login(request: HttpRequest, *, user_id: int, backend: str, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user_id": user_id,
        "backend": backend,
        "next": next_url,
        "at": int(time.time()),
    }


def get_pending_login(request: HttpRequest) -> PendingLogin | None:
    """The password-verified login waiting for a second factor, if it has not expired."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - data.get("at", 0) > settings.CUSTOS_OTP_PENDING_SECONDS:
        clear_pending_login(request)
        return None
    return PendingLogin(user_id=data["user_id"], backend=data["backend"], next_url=data["next"])


def clear_pending_login(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
