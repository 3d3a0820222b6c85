"""Reads of the audit trail, scoped to who is asking."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from audit.models import AuditEvent


def audit_events_visible_to(user: User) -> QuerySet[AuditEvent]:
    """The whole trail for unit admins; nothing for anyone else."""
    return AuditEvent.objects.visible_to(user)


def recent_activity_of(user: User, *, limit: int = 10) -> QuerySet[AuditEvent]:
    """What the user did themselves, newest first (their own rows only)."""
    return AuditEvent.objects.filter(actor=user).order_by("-id")[:limit]
