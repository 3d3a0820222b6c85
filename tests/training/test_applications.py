"""Applying, deciding, withdrawing: each refusal says why and saves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Notification, User
from partners.models import PartnerOrganisation
from tests.conftest import audit_actions
from tests.training.conftest import applicant, apply
from training import services
from training.models import Application, Session


def test_applying_twice_is_refused(session: Session, trainee: User) -> None:
    apply(session, trainee)
    with pytest.raises(ValidationError, match="already applied"):
        apply(session, trainee)
    assert Application.objects.filter(applicant=trainee).count() == 1


def test_applying_after_the_window_closed_is_refused(session: Session, trainee: User) -> None:
    session.applications_close = timezone.localdate() - timedelta(days=1)
    session.applications_open = timezone.localdate() - timedelta(days=5)
    session.save()
    with pytest.raises(ValidationError, match="not open"):
        apply(session, trainee)
    assert not Application.objects.exists()


def test_an_outsider_cannot_apply(session: Session, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        apply(session, outsider)


def test_accepting_over_capacity_is_refused(session: Session, training_admin: User) -> None:
    applications = [apply(session, applicant(f"a{i}")) for i in range(3)]
    for application in applications[:2]:
        services.application_decide(
            application=application, actor=training_admin, decision="accepted"
        )
    with pytest.raises(ValidationError, match="full"):
        services.application_decide(
            application=applications[2], actor=training_admin, decision="accepted"
        )
    applications[2].refresh_from_db()
    assert applications[2].status == Application.Status.APPLIED


def test_a_rejection_needs_a_reason_and_notifies_the_applicant(
    session: Session, training_admin: User, trainee: User
) -> None:
    application = apply(session, trainee)
    with pytest.raises(ValidationError, match="reason"):
        services.application_decide(
            application=application, actor=training_admin, decision="rejected"
        )
    services.application_decide(
        application=application,
        actor=training_admin,
        decision="rejected",
        reason="Not enough experience yet.",
    )
    latest = Notification.objects.filter(user=trainee).latest("pk")
    assert "not accepted" in latest.title
    assert latest.body == "Not enough experience yet."
    assert "training.rejected" in audit_actions()


def test_only_a_training_admin_decides(session: Session, investigator: User) -> None:
    application = apply(session, applicant("x1"))
    with pytest.raises(PermissionDenied):
        services.application_decide(
            application=application, actor=investigator, decision="accepted"
        )


def test_withdrawal_promotes_the_first_waitlisted_and_notifies_them(
    session: Session, training_admin: User
) -> None:
    users = [applicant(f"w{i}") for i in range(4)]
    apps = [apply(session, user) for user in users]
    for application in apps[:2]:
        services.application_decide(
            application=application, actor=training_admin, decision="accepted"
        )
    for application in (apps[3], apps[2]):  # the fourth was waitlisted first
        services.application_decide(
            application=application, actor=training_admin, decision="waitlisted"
        )
    promoted = services.application_withdraw(application=apps[0], actor=users[0])
    assert promoted is not None
    assert promoted.pk == apps[3].pk
    apps[3].refresh_from_db()
    apps[2].refresh_from_db()
    assert apps[3].status == Application.Status.ACCEPTED
    assert apps[2].status == Application.Status.WAITLISTED
    assert Notification.objects.filter(user=users[3], title__contains="accepted").count() == 1
    assert "training.promoted" in audit_actions()


def test_a_partner_nomination_is_recorded_by_a_training_admin(
    session: Session, training_admin: User
) -> None:
    org = PartnerOrganisation.objects.create(
        name="International Investigation Mechanism",
        kind=PartnerOrganisation.Kind.INTERNATIONAL_ORGANISATION,
    )
    candidate = applicant("nominee")
    application = services.application_nominate(
        session=session,
        applicant=candidate,
        organisation=org,
        actor=training_admin,
        country="SY",
        function="Analyst",
        years_experience=3,
    )
    assert application.nominated_by == org
    assert application.organisation == org.name
    assert application.organisation_international
    assert Notification.objects.filter(user=candidate, title__contains="nominated").exists()
