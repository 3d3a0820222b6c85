"""Access is decided before an upload's body is read.

Django's CSRF middleware reads a POST body (for the token) before the view runs, and reading a
multipart body writes its files to ``FILE_UPLOAD_TEMP_DIR``: without this, a user who may not
use a page could still make the server write what they post before the view's own 404 or 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt, csrf_protect

View = Callable[..., HttpResponse]


def authorise_before_body(
    authorise: Callable[..., object], request: HttpRequest, *args: Any, **kwargs: Any
) -> None:
    """Runs ``authorise``; if it refuses, the request's body is marked as read and empty, so
    that nothing answering the refusal parses it either (Django's 404 and 403 pages check a
    CSRF token, which reads a POST body)."""
    try:
        authorise(request, *args, **kwargs)
    except (Http404, PermissionDenied):
        # Django's own cache of the parsed body, which its handlers read before the stream.
        request._post, request._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
        raise


def access_before_body(authorise: Callable[..., object]) -> Callable[[View], View]:
    """Runs ``authorise(request, *args, **kwargs)`` (which raises ``Http404`` or
    ``PermissionDenied``, the view's own answers) before anything reads the request's body,
    then the view with its CSRF check: the outer view is exempt, the inner one protected."""

    def decorator(view: View) -> View:
        inner = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            authorise_before_body(authorise, request, *args, **kwargs)
            return inner(request, *args, **kwargs)

        return wrapped

    return decorator
