"""Sessions of a course: scheduling and changing them, and telling applicants when one is
cancelled or moved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from training.models import Application, Session
from training.services.common import (
    accepted_count,
    fields_changed,
    notify,
    require_known_fields,
    require_training_admin,
)

SESSION_FIELDS = (
    "course",
    "start_date",
    "end_date",
    "online",
    "city",
    "country",
    "language",
    "capacity",
    "applications_open",
    "applications_close",
    "status",
)


def session_date_errors(
    *,
    start_date: date | None,
    end_date: date | None,
    applications_open: date | None,
    applications_close: date | None,
) -> dict[str, str]:
    """What is wrong with a session's dates, by field (empty when they are consistent).

    Shared by the session form and the services, so both say the same thing."""
    errors: dict[str, str] = {}
    if start_date and end_date and end_date < start_date:
        errors["end_date"] = _("The session ends before it starts.")
    if applications_open and applications_close and applications_close < applications_open:
        errors["applications_close"] = _("Applications close before they open.")
    elif start_date and applications_close and applications_close > start_date:
        errors["applications_close"] = _("Applications must close by the first day of the session.")
    return errors


def _session_check(session: Session) -> None:
    errors: dict[str, Any] = dict(
        session_date_errors(
            start_date=session.start_date,
            end_date=session.end_date,
            applications_open=session.applications_open,
            applications_close=session.applications_close,
        )
    )
    if not session.online and not (session.city.strip() and session.country):
        errors["city"] = _("Give the city and country, or mark the session as online.")
    if errors:
        raise ValidationError(errors)
    session.full_clean()


def _trainers_check(trainers: list[User]) -> None:
    if any(not t.is_active for t in trainers):
        raise ValidationError({"trainers": _("A trainer's account is not active.")})


@transaction.atomic
def session_create(*, actor: User, trainers: Iterable[User] = (), **data: Any) -> Session:
    """A training admin schedules a session of a course."""
    require_training_admin(actor)
    require_known_fields(data, SESSION_FIELDS, "session_create")
    if data.get("status") == Session.Status.COMPLETED:
        raise ValidationError({"status": _("A session is completed from its attendance page.")})
    trainers = list(trainers)
    _trainers_check(trainers)
    session = Session(**data)
    _session_check(session)
    session.save()
    session.trainers.set(trainers)
    audit_record(actor=actor, action="training.session_created", target=session)
    return session


@transaction.atomic
def session_update(
    *, session: Session, actor: User, trainers: Iterable[User] | None = None, **data: Any
) -> Session:
    """Changes a session's fields (those in ``data``) and, when given, its trainers.

    The session row is locked first, so the capacity cannot drop below the participants
    already accepted even while another admin is accepting one."""
    require_training_admin(actor)
    require_known_fields(data, SESSION_FIELDS, "session_update")
    session = Session.objects.select_for_update().get(pk=session.pk)
    changed = fields_changed(session, data)
    if "status" in changed and Session.Status.COMPLETED in (session.status, data["status"]):
        raise ValidationError({"status": _("A session is completed from its attendance page.")})
    for name in changed:
        setattr(session, name, data[name])
    if "capacity" in changed:
        accepted = accepted_count(session)
        if session.capacity < accepted:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(accepted)s participants are already accepted: the capacity cannot "
                        "be lower."
                    )
                    % {"accepted": accepted}
                }
            )
    if changed:
        _session_check(session)
        session.save(update_fields=changed)
    if trainers is not None:
        trainers = list(trainers)
        old = set(session.trainers.values_list("pk", flat=True))
        if {t.pk for t in trainers} != old:
            _trainers_check([t for t in trainers if t.pk not in old])
            session.trainers.set(trainers)
            changed.append("trainers")
    if changed:
        audit_record(
            actor=actor,
            action="training.session_updated",
            target=session,
            details={"changed": changed},
        )
        _notify_session_change(session, changed)
    return session


# What participants are told about: a cancellation, or a change of dates or place.
MOVE_FIELDS = frozenset({"start_date", "end_date", "online", "city", "country"})


def _notify_session_change(session: Session, changed: list[str]) -> None:
    """Tells everyone still applying to, accepted for or waiting for ``session`` that it was
    cancelled, or that its dates or place changed (with the new ones). Rejected and
    withdrawn applicants are not told."""
    if "status" in changed and session.status == Session.Status.CANCELLED:
        title = gettext_lazy("A training session you applied to was cancelled")
    elif session.status != Session.Status.CANCELLED and MOVE_FIELDS.intersection(changed):
        title = gettext_lazy("The dates or place of a training session you applied to changed")
    else:
        return
    body = _session_summary(session)
    told = Application.objects.filter(
        session=session,
        status__in=[
            Application.Status.APPLIED,
            Application.Status.ACCEPTED,
            Application.Status.WAITLISTED,
        ],
    ).select_related("applicant")
    for application in told:
        notify(application, title, body)


def _describe_session(session: Session) -> str:
    """Course, dates and place, in the active language (the recipient's when notified)."""
    start = formats.date_format(session.start_date, "DATE_FORMAT")
    end = formats.date_format(session.end_date, "DATE_FORMAT")
    return f"{session.course.title} · {start} \N{EN DASH} {end} · {session.venue}"


_session_summary = lazy(_describe_session, str)
