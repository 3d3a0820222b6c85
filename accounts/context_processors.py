from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.roles import STAFF_ROLES, Role
from accounts.selectors import unread_notification_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Role flags for the navigation and the unread notification count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "is_unit_admin": user.has_role(Role.UNIT_ADMIN),
            "sees_cases": user.has_role(*STAFF_ROLES),
            "is_liaison": user.has_role(Role.TRIBUNAL_LIAISON),
            "sees_training": user.has_role(*STAFF_ROLES, Role.TRAINING_ADMIN, Role.TRAINEE),
            "is_training_admin": user.has_role(Role.TRAINING_ADMIN, Role.UNIT_ADMIN),
            "unread_notifications": unread_notification_count(user),
        }
    }
