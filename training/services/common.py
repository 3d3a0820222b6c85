"""What the training services share: who may apply, the admin check, the completion
threshold, and telling an applicant about their application."""

from __future__ import annotations

from collections.abc import Iterable
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


def require_known_fields(data: dict[str, Any], fields: Iterable[str], service: str) -> None:
    """A TypeError for a field ``service`` does not change (a caller's mistake, like an
    unexpected keyword argument; never a user's)."""
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"{service}() got unexpected fields {sorted(unknown)}")


def fields_changed(instance: Any, data: dict[str, Any]) -> list[str]:
    """The names of the fields whose value in ``data`` differs from ``instance``'s."""
    return [k for k, v in data.items() if getattr(instance, k) != v]
