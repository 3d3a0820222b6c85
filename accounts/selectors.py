"""Reads about users and their notifications, always scoped to the asking user."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Notification, User


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.visible_to(user)


def unread_notification_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def notification_get(*, user: User, pk: int) -> Notification:
    """A notification of ``user``; 404 for anyone else's."""
    return get_object_or_404(notifications_for(user), pk=pk)


def has_second_factor(user: User) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))
