"""Access decorators for views: roles, and a fresh login for sensitive actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from accounts.auth_session import is_recently_authenticated
from accounts.roles import Role
from custos.http import AuthenticatedHttpRequest

# A view, whose own signature the decorators keep for the type checker.
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def role_required(*roles: Role) -> Callable[[View], View]:
    """403 unless the user holds one of ``roles`` (for pages that are not about one object)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(
            request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator


def recent_login_required(view: View) -> View:
    """Sends the user to confirm their password when their last login is not recent.

    The sensitive actions use it, every one of them listed in ``accounts.sensitive`` (a test
    keeps the list and the decorated views the same). The view must answer GET with a
    confirmation page (``custos.views.confirm_action`` for a button): the user comes back to
    it by GET after confirming.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_recently_authenticated(request):
            return reauth_redirect(request)
        return view(request, *args, **kwargs)

    return cast(View, wrapped)


def reauth_redirect(request: HttpRequest) -> HttpResponse:
    """To the password confirmation, coming back to this page afterwards."""
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('accounts:reauth')}?{query}")
