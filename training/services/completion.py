"""Attendance, assessment and completion of a session, and the certificates it earns."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from training.models import Application, Attendance, Certificate, Session
from training.services.common import completion_threshold, notify, require_training_admin


@transaction.atomic
def attendance_mark(*, session: Session, actor: User, day: date, present_ids: set[int]) -> int:
    """Marks who was present on ``day``: every accepted participant of the session, present
    if their application id is in ``present_ids``, absent otherwise."""
    require_training_admin(actor)
    if not session.start_date <= day <= session.end_date:
        raise ValidationError(_("%(day)s is not a day of this session.") % {"day": day})
    participants = list(
        Application.objects.filter(session=session, status=Application.Status.ACCEPTED)
    )
    unknown = set(present_ids) - {a.pk for a in participants}
    if unknown:
        raise ValidationError(_("Some of those marked present are not participants."))
    for application in participants:
        Attendance.objects.update_or_create(
            application=application, day=day, defaults={"present": application.pk in present_ids}
        )
    audit_record(
        actor=actor,
        action="training.attendance_marked",
        target=session,
        details={"day": day.isoformat(), "present": len(present_ids)},
    )
    return len(participants)


@transaction.atomic
def assessment_record(*, application: Application, actor: User, passed: bool) -> None:
    require_training_admin(actor)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.ACCEPTED:
        raise ValidationError(_("Only participants are assessed."))
    Application.objects.filter(pk=application.pk).update(assessment_passed=passed)
    audit_record(
        actor=actor, action="training.assessed", target=application, details={"passed": passed}
    )


def attendance_share(application: Application) -> float:
    session = application.session
    present = application.attendance.filter(
        present=True, day__gte=session.start_date, day__lte=session.end_date
    ).count()
    return present / session.day_count


def meets_completion_rule(application: Application) -> bool:
    """Attended at least the threshold share of the session's days, and passed the assessment."""
    return (
        application.status == Application.Status.ACCEPTED
        and application.assessment_passed is True
        and attendance_share(application) >= completion_threshold()
    )


def certificate_issue(*, application: Application, actor: User | None) -> Certificate:
    """Issues the certificate and queues its rendering once the transaction commits."""
    from training.tasks import render_certificate

    certificate, created = Certificate.objects.get_or_create(application=application)
    if created:
        audit_record(actor=actor, action="training.certificate_issued", target=certificate)
        render_certificate.delay_on_commit(certificate.pk)
    return certificate


@transaction.atomic
def session_complete(*, session: Session, actor: User) -> list[Application]:
    """Closes a session: participants who meet the completion rule complete it and are
    issued a certificate. Returns those who completed."""
    require_training_admin(actor)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("The session was cancelled."))
    completed = []
    participants = Application.objects.filter(
        session=session, status=Application.Status.ACCEPTED, completed_at__isnull=True
    ).select_related("applicant", "session")
    for application in participants:
        if not meets_completion_rule(application):
            continue
        application.completed_at = timezone.now()
        application.save(update_fields=["completed_at"])
        certificate_issue(application=application, actor=actor)
        notify(
            application,
            gettext_lazy("You completed a training session: your certificate is on its way"),
        )
        completed.append(application)
    session.status = Session.Status.COMPLETED
    session.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="training.session_completed",
        target=session,
        details={"completed": len(completed)},
    )
    return completed
