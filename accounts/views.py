"""Login with a second factor, re-authentication, profile, 2FA management, notifications."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts import auth_session, services
from accounts.decorators import recent_login_required
from accounts.forms import (
    LanguageForm,
    LoginForm,
    ProfileForm,
    ReauthForm,
    TokenForm,
    TotpSetupForm,
    TwoFactorDisableForm,
)
from accounts.models import RecoveryCode, RecoveryCodeDevice, User
from accounts.selectors import has_second_factor, notification_get, notifications_for
from audit.services import audit_record
from custos.http import AuthenticatedHttpRequest

SETUP_KEY = "custos_totp_setup_key"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _in_language(response: HttpResponse, language: str) -> HttpResponse:
    """Sets the language cookie to a user's saved language, so that the pages this browser sees
    after logging out (the login page, its messages) stay in that language."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _logged_in_redirect(user: User, url: str) -> HttpResponse:
    """The redirect after a login: the user's saved language applies from this response on."""
    translation.activate(user.preferred_language)
    return _in_language(redirect(url), user.preferred_language)


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if has_second_factor(user):
            # The password is right; nothing is logged in until the second factor is too.
            auth_session.set_pending_login(
                request, user_id=user.pk, backend=user.backend, next_url=next_url
            )
            return redirect("accounts:login_verify")
        auth_login(request, user)
        return _logged_in_redirect(user, next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@login_not_required
@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify_view(request: HttpRequest) -> HttpResponse:
    pending = auth_session.get_pending_login(request)
    if pending is None:
        messages.error(request, _("Your login has expired. Please enter your password again."))
        return redirect("accounts:login")
    user = get_user_model().objects.filter(pk=pending.user_id, is_active=True).first()
    if user is None:
        auth_session.clear_pending_login(request)
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            auth_session.clear_pending_login(request)
            auth_login(request, user, backend=pending.backend)
            otp_login(request, device)
            audit_record(
                actor=user,
                action="auth.2fa_verified",
                details={
                    "method": "recovery_code" if isinstance(device, RecoveryCodeDevice) else "totp"
                },
            )
            return _logged_in_redirect(user, pending.next_url)
        # Counted by django-axes like a wrong password, and audited.
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.get_username(), "stage": "second_factor"},
            request=request,
        )
        if getattr(request, "axes_locked_out", False):
            auth_session.clear_pending_login(request)
        form.add_error(
            "token", _("That code is not valid. Check your device's clock and try again.")
        )
    return render(request, "accounts/login_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Logs out on POST; a GET (a typed or bookmarked address) asks for confirmation, so that
    no link or image on another page can log a user out."""
    from django.contrib.auth import logout

    if request.method == "GET":
        return render(request, "accounts/logout_confirm.html")
    logout(request)
    messages.success(request, _("You have been logged out."))
    return redirect("accounts:login")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def reauth_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = ReauthForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        auth_session.mark_authenticated(request)
        audit_record(actor=request.user, action="auth.reauthenticated")
        return redirect(next_url)
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def profile_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"full_name": user.full_name, "preferred_language": user.preferred_language},
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=request.user,
            actor=request.user,
            full_name=form.cleaned_data["full_name"],
            preferred_language=form.cleaned_data["preferred_language"],
        )
        translation.activate(user.preferred_language)
        messages.success(request, _("Your profile has been saved."))
        return _in_language(redirect("accounts:profile"), user.preferred_language)
    return render(request, "accounts/profile.html", {"form": form})


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(user=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


def two_factor_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "totp_device": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "recovery_codes_left": RecoveryCode.objects.filter(device__user=user).count(),
        "required": settings.CUSTOS_REQUIRE_2FA,
    }
    return render(request, "accounts/two_factor.html", context)


@recent_login_required
@sensitive_post_parameters("token", "password")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrols an authenticator app: a QR code rendered here, then the password and one code
    to confirm it.

    The secret lives only in the session until a code proves the app has it. Enrolling is a
    sensitive action: it needs a recent login, and the password in the form itself.
    """
    user = request.user
    key = request.session.get(SETUP_KEY)
    if not key:
        key = request.session[SETUP_KEY] = default_key()
    form = TotpSetupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        result = services.totp_enrol(user=user, key=key, token=form.cleaned_data["token"])
        if result is not None:
            device, codes = result
            del request.session[SETUP_KEY]
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error(
            "token", _("That code does not match. Check the time on your phone and try again.")
        )
    device = TOTPDevice(user=user, key=key, name="authenticator")
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_data_uri(scale=5, dark="#000", light="#fff"),
        "secret": _b32(device.bin_key),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "accounts/two_factor_setup.html", context)


def _b32(raw: bytes) -> str:
    from base64 import b32encode

    text = b32encode(raw).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@recent_login_required
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("accounts:2fa_setup")
    if request.method == "POST":
        codes = services.recovery_codes_regenerate(user=request.user)
        return render(request, "accounts/recovery_codes.html", {"codes": codes})
    return render(request, "accounts/recovery_codes_confirm.html")


@recent_login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def two_factor_disable_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if settings.CUSTOS_REQUIRE_2FA:
        messages.error(
            request, _("Two-factor authentication is required and cannot be turned off.")
        )
        return redirect("accounts:2fa")
    form = TwoFactorDisableForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        services.two_factor_disable(user=request.user)
        messages.success(request, _("Two-factor authentication is off."))
        return redirect("accounts:2fa")
    return render(request, "accounts/two_factor_disable.html", {"form": form})


def notifications_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/notification_list.html", {"page": page})


@require_POST
def notification_read_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = notification_get(user=request.user, pk=pk)
    services.notification_mark_read(notification=notification, user=request.user)
    if request.POST.get("open") and notification.url.startswith("/"):
        return HttpResponseRedirect(notification.url)
    return redirect("accounts:notifications")


@require_POST
def notifications_read_all_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("accounts:notifications")


@login_not_required
@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switches the interface language; a logged-in user's choice is saved to their profile."""
    from django.views.i18n import set_language

    form = LanguageForm(request.POST)
    if form.is_valid() and request.user.is_authenticated:
        services.language_set(user=request.user, language=form.cleaned_data["language"])
    return set_language(request)
