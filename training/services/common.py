"""What the training services share: who may apply, the admin check, the completion
threshold, and telling an applicant about their application."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from accounts.services import notification_send
from training.models import Application, Session


def require_training_admin(actor: User) -> None:
    if not actor.has_role(Role.TRAINING_ADMIN):
        raise PermissionDenied


def completion_threshold() -> float:
    """The share of session days a participant must attend (``CUSTOS_TRAINING_ATTENDANCE``)."""
    return float(settings.CUSTOS_TRAINING_ATTENDANCE)


def notify(application: Application, title: Any, body: Any = "") -> None:
    """A notification to the applicant, linking to their applications."""
    notification_send(
        user=application.applicant,
        title=title,
        body=body,
        url=reverse("training:my"),
    )


def accepted_count(session: Session) -> int:
    """The seats taken (count under the session's row lock to keep within capacity)."""
    return Application.objects.filter(session=session, status=Application.Status.ACCEPTED).count()
