from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class LoginForm(AuthenticationForm):
    """Username and password; django-axes counts every failure (see settings)."""

    error_messages = {
        "invalid_login": _(
            "The username or password is not correct. Note that both fields may be case-sensitive."
        ),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Authentication code"),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().replace(" ", "").lower()


class ReauthForm(forms.Form):
    """The logged-in user's password, checked through ``authenticate()`` (so django-axes
    counts a wrong one like a failed login)."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = authenticate(
            self.request, username=self.request.user.get_username(), password=password
        )
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError(_("The password is not correct."))
        return password


class TwoFactorDisableForm(ReauthForm):
    """Turning two-factor authentication off asks for the password, however fresh the login."""


class TotpSetupForm(ReauthForm):
    """Enrolling an authenticator asks for the password, however fresh the login: a session
    left open must not let someone else bind their own phone to the account."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError(_("Enter the six digits shown by your authenticator app."))
        return token


class ProfileForm(forms.Form):
    """What a user may change about themselves (a plain form: a ModelForm would write the
    values onto ``request.user`` while validating, before the service sees what changed)."""

    full_name = User._meta.get_field("full_name").formfield(
        required=True,
        help_text=_("As it should appear on packages, certificates and in the audit trail."),
    )
    preferred_language = User._meta.get_field("preferred_language").formfield()


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
