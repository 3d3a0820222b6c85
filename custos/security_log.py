"""The security log: denials, logins, failed logins and lockouts, for the operator's log system.

One line per event on the ``custos.security`` logger, with who (user id and username, or
``anonymous``), from where (the client address), what (method, path, the view and the ids it
was given) and when (UTC). Never a label, a title or a name of a person: only ids, so the log
holds no testimony and no protected identity. Every value that came from the request is
escaped (``\\r``, ``\\n`` and other control characters become visible escapes), so a crafted
path or username cannot forge a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from custos.net import client_ip

logger = logging.getLogger("custos.security")
DENIALS = (401, 403, 404, 405)
MAX_VALUE = 300


def clean(value: object) -> str:
    """``value`` on one line: control characters escaped, length bounded."""
    text = str(value)[:MAX_VALUE]
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def _actor(request: HttpRequest | None) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return f"{user.pk}:{clean(user.get_username())}"


def _now() -> str:
    return timezone.now().isoformat(timespec="seconds")


def _ip(request: HttpRequest | None) -> str:
    return clean(client_ip(request) or "-") if request is not None else "-"


class SecurityLogMiddleware:
    """Logs every refused request (403, 404, 405) and every 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in DENIALS:
            match = request.resolver_match
            target = (
                f"{match.view_name}{clean(dict(sorted(match.kwargs.items())))}" if match else "-"
            )
            logger.warning(
                "denied status=%s actor=%s ip=%s method=%s path=%s object=%s at=%s",
                response.status_code,
                _actor(request),
                _ip(request),
                clean(request.method),
                clean(request.path),
                target,
                _now(),
            )
        return response


@receiver(user_logged_in, dispatch_uid="custos_security_log_login")
def _log_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    logger.info(
        "login actor=%s:%s ip=%s at=%s", user.pk, clean(user.get_username()), _ip(request), _now()
    )


@receiver(user_login_failed, dispatch_uid="custos_security_log_login_failed")
def _log_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    logger.warning(
        "login_failed username=%s stage=%s ip=%s at=%s",
        clean(credentials.get("username", "")),
        clean(credentials.get("stage", "password")),
        _ip(request),
        _now(),
    )


@receiver(user_locked_out, dispatch_uid="custos_security_log_locked_out")
def _log_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    logger.warning(
        "locked_out username=%s ip=%s at=%s", clean(username or ""), _ip(request), _now()
    )
