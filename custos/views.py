"""Project-level pages: the dashboard, the health check and the error pages."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Role
from accounts.selectors import has_second_factor, notifications_for
from audit.selectors import recent_activity_of
from custos.http import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)

# A form page: shown on GET, submitted on POST; any other method is refused (405).
GET_POST = require_http_methods(["GET", "POST"])


def dashboard_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    from partners.meetings.selectors import overdue_actions
    from partners.selectors import agreements_expiring_soon, shares_for_liaison

    user = request.user
    context = {
        "unread": notifications_for(user).filter(read_at__isnull=True)[:5],
        "activity": recent_activity_of(user, limit=10),
        "has_second_factor": has_second_factor(user),
        "expiring_agreements": (
            agreements_expiring_soon() if user.has_role(Role.UNIT_ADMIN) else []
        ),
        "shared_cases": (
            shares_for_liaison(user)[:10] if user.has_role(Role.TRIBUNAL_LIAISON) else []
        ),
        "overdue_actions": overdue_actions(user)[:10],
    }
    return render(request, "dashboard.html", context)


def confirm_action(
    request: HttpRequest, *, title: str, question: str, button: str, cancel_url: str
) -> HttpResponse:
    """The GET answer of an action that is otherwise a POST from a button elsewhere: a page
    with the same button. A user sent to confirm their password comes back here by GET."""
    return render(
        request,
        "confirm_action.html",
        {"title": title, "question": question, "button": button, "cancel_url": cancel_url},
    )


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker() -> None:
    from custos.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _look_at_storage() -> None:
    """Read-only: the storage folder (or, before the first file, the folder that will hold it)
    is a writable folder, or the bucket answers."""
    if isinstance(default_storage, FileSystemStorage):
        folder = Path(default_storage.location)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise OSError("file storage folder is not a writable folder")
    else:
        default_storage.exists("healthz")


def _write_to_storage() -> None:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)


@login_not_required
@never_cache
@require_GET
def healthz_view(request: HttpRequest) -> JsonResponse:
    """Reachability of the database, the broker and file storage. No secrets, no details.

    It writes nothing for anyone who calls it: storage is looked at, not written to. A unit
    admin's call also writes and deletes a small file, the deeper check.
    """
    deep = request.user.is_authenticated and request.user.has_role(Role.UNIT_ADMIN)
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("storage", _write_to_storage if deep else _look_at_storage),
    ):
        try:
            check()
        except Exception:  # any failure means "down"; the log has the reason, not the response
            logger.exception("healthz: %s check failed", name)
            checks[name] = "down"
        else:
            checks[name] = "ok"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )
