"""Applications to a session: applying, nominations by a partner organisation, decisions
(accept, waitlist, reject), withdrawals and the waiting list."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from partners.models import PartnerOrganisation
from training.models import APPLICANT_ROLES, Application, Session
from training.services.common import accepted_count, notify, require_training_admin

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
    notify(
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
    notify(
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
    if decision == Application.Status.ACCEPTED and accepted_count(session) >= session.capacity:
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
    notify(application, DECISION_TITLES[decision], reason)
    return application


def _promote_from_waitlist(session: Session) -> Application | None:
    """Promotes the first waitlisted applicant to a free seat (the session row is locked)."""
    if accepted_count(session) >= session.capacity:
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
    notify(first, DECISION_TITLES[Application.Status.ACCEPTED], first.decision_reason)
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
        notify(application, gettext_lazy("Your training application was withdrawn"))
    return _promote_from_waitlist(session) if was_accepted else None
