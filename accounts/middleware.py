from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.auth_session import session_outlived
from accounts.selectors import has_second_factor
from audit.services import audit_record


class UserLanguageMiddleware:
    """A logged-in user sees Custos in their saved language, on every device."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class TwoFactorEnforcementMiddleware:
    """With ``CUSTOS_REQUIRE_2FA`` on, a session without a verified second factor can only
    enrol one (or log out)."""

    # URL names reachable before a second factor is verified.
    # Enrolling needs a fresh login, so the password confirmation is reachable too.
    ALLOWED = (
        "accounts:2fa_setup",
        "accounts:reauth",
        "accounts:logout",
        "set_language",
        "healthz",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.CUSTOS_REQUIRE_2FA
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in {reverse(name) for name in self.ALLOWED}
        ):
            if has_second_factor(user):
                # A session that skipped the second factor it has (it cannot come from the
                # login page): end it.
                logout(request)
                return redirect("accounts:login")
            messages.info(request, _("Set up two-factor authentication to continue."))
            return redirect("accounts:2fa_setup")
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """A session lives at most ``CUSTOS_SESSION_ABSOLUTE_SECONDS`` from its login, however
    active: an older one is logged out on its next request (and the request goes on as
    anonymous, so a page that needs a login sends the user to log in again)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and session_outlived(request):
            audit_record(actor=user, action="auth.session_expired")
            logout(request)
            messages.info(request, _("Your session has expired. Please log in again."))
        return self.get_response(request)
