"""Project-level pages: the dashboard, the health check and the error pages."""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.roles import Role
from accounts.selectors import has_second_factor, notifications_for
from audit.selectors import recent_activity_of

logger = logging.getLogger(__name__)


def dashboard_view(request: HttpRequest) -> HttpResponse:
    from partners.meetings import overdue_actions
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


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker() -> None:
    from custos.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_storage() -> None:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)


@login_not_required
@never_cache
@require_GET
def healthz_view(request: HttpRequest) -> JsonResponse:
    """Reachability of the database, the broker and file storage. No secrets, no details."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("storage", _check_storage),
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
