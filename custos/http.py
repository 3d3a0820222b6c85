"""Types for requests: what the login middleware guarantees, told to the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request to a view behind the login (``LoginRequiredMiddleware``: every view not marked
    ``login_not_required``): its user is a :class:`User`, never ``AnonymousUser``.

    Only an annotation: ``def case_detail(request: AuthenticatedHttpRequest, pk: int)``; at
    run time the request is Django's own."""

    user: User
