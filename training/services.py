"""Writes about training: courses and sessions, applications, nominations, decisions,
withdrawals, attendance, assessment and completion. Each checks what the actor may do, owns its
transaction, writes its audit row in it, and notifies the applicant of every decision about
them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from accounts.services import notification_send
from audit.services import audit_record
from partners.models import PartnerOrganisation
from training.models import Application, Attendance, Certificate, Course, Module, Session

# Who may apply to a session and see the catalogue: the unit's staff and trainees.
APPLICANT_ROLES = (*STAFF_ROLES, Role.TRAINING_ADMIN, Role.TRAINEE)
APPLICATION_FIELDS = (
    "country",
    "organisation",
    "organisation_international",
    "function",
    "years_experience",
    "motivation",
    "gender",
)
INTERNATIONAL_KINDS = (
    PartnerOrganisation.Kind.TRIBUNAL,
    PartnerOrganisation.Kind.INTERNATIONAL_ORGANISATION,
)


def require_training_admin(actor: User) -> None:
    if not actor.has_role(Role.TRAINING_ADMIN):
        raise PermissionDenied


def completion_threshold() -> float:
    """The share of session days a participant must attend (``CUSTOS_TRAINING_ATTENDANCE``)."""
    return float(settings.CUSTOS_TRAINING_ATTENDANCE)


def _notify(application: Application, title: Any, body: Any = "") -> None:
    notification_send(
        user=application.applicant,
        title=title,
        body=body,
        url=reverse("training:my"),
    )


def _application_create(
    *,
    session: Session,
    applicant: User,
    nominated_by: PartnerOrganisation | None,
    today: date | None,
    data: dict[str, Any],
) -> Application:
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.window_is_open(today):
        raise ValidationError(_("Applications to this session are not open."))
    if Application.objects.filter(session=session, applicant=applicant).exists():
        raise ValidationError(
            _("%(user)s has already applied to this session.") % {"user": applicant}
        )
    application = Application(
        session=session,
        applicant=applicant,
        nominated_by=nominated_by,
        **{k: v for k, v in data.items() if k in APPLICATION_FIELDS},
    )
    if nominated_by is not None:
        application.organisation = application.organisation or nominated_by.name
        if nominated_by.kind in INTERNATIONAL_KINDS:
            application.organisation_international = True
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def application_submit(
    *, session: Session, applicant: User, today: date | None = None, **data: Any
) -> Application:
    """An applicant applies to a session, once, while its application window is open."""
    if not applicant.has_role(*APPLICANT_ROLES):
        raise PermissionDenied
    application = _application_create(
        session=session, applicant=applicant, nominated_by=None, today=today, data=data
    )
    audit_record(actor=applicant, action="training.applied", target=application)
    _notify(
        application,
        gettext_lazy("Your application to a training session was received"),
        str(session),
    )
    return application


@transaction.atomic
def application_nominate(
    *,
    session: Session,
    applicant: User,
    organisation: PartnerOrganisation,
    actor: User,
    today: date | None = None,
    **data: Any,
) -> Application:
    """A training admin records a partner organisation's nomination of a candidate."""
    require_training_admin(actor)
    application = _application_create(
        session=session, applicant=applicant, nominated_by=organisation, today=today, data=data
    )
    audit_record(
        actor=actor,
        action="training.nominated",
        target=application,
        details={"organisation": organisation.pk},
    )
    _notify(
        application,
        gettext_lazy("You were nominated for a training session"),
        str(session),
    )
    return application


DECISION_TITLES = {
    Application.Status.ACCEPTED: gettext_lazy("You were accepted for a training session"),
    Application.Status.WAITLISTED: gettext_lazy(
        "You are on the waiting list for a training session"
    ),
    Application.Status.REJECTED: gettext_lazy("Your training application was not accepted"),
}


def _accepted_count(session: Session) -> int:
    return Application.objects.filter(session=session, status=Application.Status.ACCEPTED).count()


@transaction.atomic
def application_decide(
    *, application: Application, actor: User, decision: str, reason: str = ""
) -> Application:
    """Accepts, waitlists or rejects an application.

    The session row is locked first, so that two admins accepting the last seat at once are
    serialised: the second one counts the first one's acceptance and is refused.
    """
    require_training_admin(actor)
    decision = Application.Status(decision)
    if decision not in DECISION_TITLES:
        raise ValidationError(_("Not a decision."))
    session = Session.objects.select_for_update().get(pk=application.session_id)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status == Application.Status.WITHDRAWN:
        raise ValidationError(_("This application was withdrawn."))
    if application.status == decision:
        return application
    if decision == Application.Status.ACCEPTED and _accepted_count(session) >= session.capacity:
        raise ValidationError(
            _("The session is full (%(capacity)s seats).") % {"capacity": session.capacity}
        )
    if decision == Application.Status.REJECTED and not reason.strip():
        raise ValidationError(_("Give a reason for the rejection."))
    application.status = decision
    application.decision_reason = reason
    application.decided_at = timezone.now()
    application.waitlisted_at = (
        timezone.now() if decision == Application.Status.WAITLISTED else None
    )
    application.save(update_fields=["status", "decision_reason", "decided_at", "waitlisted_at"])
    audit_record(
        actor=actor,
        action=f"training.{decision.value}",
        target=application,
        details={"session": session.pk},
    )
    _notify(application, DECISION_TITLES[decision], reason)
    return application


def _promote_from_waitlist(session: Session) -> Application | None:
    """Promotes the first waitlisted applicant to a free seat (the session row is locked)."""
    if _accepted_count(session) >= session.capacity:
        return None
    first = (
        Application.objects.select_for_update()
        .filter(session=session, status=Application.Status.WAITLISTED)
        .order_by("waitlisted_at", "created_at", "pk")
        .first()
    )
    if first is None:
        return None
    first.status = Application.Status.ACCEPTED
    first.decided_at = timezone.now()
    first.decision_reason = _("A seat became free.")
    first.save(update_fields=["status", "decided_at", "decision_reason"])
    audit_record(
        actor=None, action="training.promoted", target=first, details={"session": session.pk}
    )
    _notify(first, DECISION_TITLES[Application.Status.ACCEPTED], first.decision_reason)
    return first


@transaction.atomic
def application_withdraw(*, application: Application, actor: User) -> Application | None:
    """The applicant (or a training admin) withdraws; a freed seat goes to the first on the
    waiting list, who is notified. Returns the promoted application, if any."""
    if actor.pk != application.applicant_id:
        require_training_admin(actor)
    session = Session.objects.select_for_update().get(pk=application.session_id)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status in (Application.Status.WITHDRAWN, Application.Status.REJECTED):
        raise ValidationError(_("This application can no longer be withdrawn."))
    if application.completed_at is not None:
        raise ValidationError(_("A completed session cannot be withdrawn from."))
    was_accepted = application.status == Application.Status.ACCEPTED
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status"])
    audit_record(actor=actor, action="training.withdrawn", target=application)
    if actor.pk != application.applicant_id:
        _notify(application, gettext_lazy("Your training application was withdrawn"))
    return _promote_from_waitlist(session) if was_accepted else None


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
        _notify(
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


# --- CSV import of nominations ----------------------------------------------------------------

IMPORT_COLUMNS = (
    "session",
    "email",
    "partner",
    "country",
    "organisation",
    "function",
    "years_experience",
    "gender",
    "motivation",
)


def _import_row(row: dict[str, str]) -> dict[str, Any]:
    """Resolves one CSV row to the arguments of ``application_nominate``."""
    from django_countries import countries

    problems = []
    session = None
    if (row.get("session") or "").strip().isdigit():
        session = Session.objects.filter(pk=int(row["session"])).first()
    if session is None:
        problems.append(_("unknown session %(value)r") % {"value": row.get("session", "")})
    email = (row.get("email") or "").strip()
    applicant = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if applicant is None:
        problems.append(_("no active account with e-mail %(value)r") % {"value": email})
    partner_name = (row.get("partner") or "").strip()
    partner = (
        PartnerOrganisation.objects.filter(name__iexact=partner_name).first()
        or PartnerOrganisation.objects.filter(acronym__iexact=partner_name).first()
        if partner_name
        else None
    )
    if partner is None:
        problems.append(_("unknown partner %(value)r") % {"value": partner_name})
    country = (row.get("country") or "").strip().upper()
    if country not in dict(countries):
        problems.append(_("unknown country code %(value)r") % {"value": country})
    years = (row.get("years_experience") or "").strip()
    if not years.isdigit():
        problems.append(_("years of experience must be a whole number"))
    gender = (row.get("gender") or "").strip().lower() or Application.Gender.UNDISCLOSED
    if gender not in Application.Gender.values:
        problems.append(_("unknown gender %(value)r") % {"value": gender})
    if not (row.get("function") or "").strip():
        problems.append(_("the function is missing"))
    if problems:
        raise ValidationError("; ".join(problems))
    return {
        "session": session,
        "applicant": applicant,
        "organisation": partner,
        "country": country,
        "organisation_name": (row.get("organisation") or "").strip(),
        "function": row["function"].strip(),
        "years_experience": int(years),
        "gender": gender,
        "motivation": (row.get("motivation") or "").strip(),
    }


@transaction.atomic
def nominations_import(*, actor: User, text: str, today: date | None = None) -> int:
    """Imports nominations from CSV, all or nothing.

    Every row is checked; if any is bad, nothing is saved and the ValidationError lists each
    bad row by its line number (the header is line 1) and reason.
    """
    import csv
    import io

    require_training_admin(actor)
    reader = csv.DictReader(io.StringIO(text))
    missing = set(IMPORT_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(
            _("Line 1: missing columns: %(columns)s") % {"columns": ", ".join(sorted(missing))}
        )
    errors: list[str] = []
    count = 0
    for row in reader:
        line = reader.line_num
        try:
            with transaction.atomic():
                args = _import_row(row)
                name = args.pop("organisation_name")
                application_nominate(actor=actor, today=today, **args)
                if name:
                    Application.objects.filter(
                        session=args["session"], applicant=args["applicant"]
                    ).update(organisation=name)
            count += 1
        except ValidationError as exc:
            errors.append(
                _("Line %(line)s: %(reason)s") % {"line": line, "reason": "; ".join(exc.messages)}
            )
    if errors:
        raise ValidationError(errors)
    if not count:
        raise ValidationError(_("The file has no nominations."))
    audit_record(actor=actor, action="training.nominations_imported", details={"count": count})
    return count


# --- Courses and sessions ---------------------------------------------------------------------

COURSE_FIELDS = ("title", "description", "languages")
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


def _modules_set(course: Course, titles: Iterable[str]) -> bool:
    """Makes the course's programme the given module titles, in order. True if it changed."""
    titles = [t.strip() for t in titles if t.strip()]
    current = list(course.modules.order_by("position", "pk"))
    if [m.title for m in current] == titles:
        return False
    for position, title in enumerate(titles):
        if position < len(current):
            module = current[position]
            if (module.title, module.position) != (title, position):
                module.title, module.position = title, position
                module.full_clean()
                module.save(update_fields=["title", "position"])
        else:
            Module(course=course, title=title, position=position).save()
    Module.objects.filter(pk__in=[m.pk for m in current[len(titles) :]]).delete()
    return True


@transaction.atomic
def course_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    languages: str = "",
    modules: Iterable[str] = (),
) -> Course:
    """A training admin adds a course and its programme (module titles, in order)."""
    require_training_admin(actor)
    course = Course(title=title, description=description, languages=languages)
    course.full_clean()
    course.save()
    _modules_set(course, list(modules))
    audit_record(actor=actor, action="training.course_created", target=course)
    return course


@transaction.atomic
def course_update(
    *, course: Course, actor: User, modules: list[str] | None = None, **data: Any
) -> Course:
    """Changes a course's fields (those in ``data``) and, when given, its programme.
    Audits the names of what changed."""
    require_training_admin(actor)
    unknown = set(data) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"course_update() got unexpected fields {sorted(unknown)}")
    course = Course.objects.select_for_update().get(pk=course.pk)
    changed = [k for k, v in data.items() if getattr(course, k) != v]
    for name in changed:
        setattr(course, name, data[name])
    if changed:
        course.full_clean()
        course.save(update_fields=changed)
    if modules is not None and _modules_set(course, list(modules)):
        changed.append("modules")
    if changed:
        audit_record(
            actor=actor,
            action="training.course_updated",
            target=course,
            details={"changed": changed},
        )
    return course


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
    unknown = set(data) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"session_create() got unexpected fields {sorted(unknown)}")
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
    unknown = set(data) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"session_update() got unexpected fields {sorted(unknown)}")
    session = Session.objects.select_for_update().get(pk=session.pk)
    changed = [k for k, v in data.items() if getattr(session, k) != v]
    if "status" in changed and Session.Status.COMPLETED in (session.status, data["status"]):
        raise ValidationError({"status": _("A session is completed from its attendance page.")})
    for name in changed:
        setattr(session, name, data[name])
    if "capacity" in changed:
        accepted = _accepted_count(session)
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
        _notify(application, title, body)


def _describe_session(session: Session) -> str:
    """Course, dates and place, in the active language (the recipient's when notified)."""
    start = formats.date_format(session.start_date, "DATE_FORMAT")
    end = formats.date_format(session.end_date, "DATE_FORMAT")
    return f"{session.course.title} · {start} \N{EN DASH} {end} · {session.venue}"


_session_summary = lazy(_describe_session, str)
