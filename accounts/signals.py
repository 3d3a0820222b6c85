"""Audit rows for authentication events raised inside django.contrib.auth and django-axes."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.auth_session import mark_logged_in
from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="custos_audit_login")
def _audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        mark_logged_in(request)
    audit_record(actor=user, action="auth.login")


@receiver(user_logged_out, dispatch_uid="custos_audit_logout")
def _audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout")


@receiver(user_login_failed, dispatch_uid="custos_audit_login_failed")
def _audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    details: dict[str, Any] = {"username": str(credentials.get("username", ""))[:150]}
    if credentials.get("stage"):
        details["stage"] = str(credentials["stage"])
    if request is not None and getattr(request, "axes_locked_out", False):
        details["locked_out"] = True
    audit_record(actor=None, action="auth.login_failed", details=details)


@receiver(user_locked_out, dispatch_uid="custos_audit_locked_out")
def _audit_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    audit_record(actor=None, action="auth.locked_out", details={"username": (username or "")[:150]})
