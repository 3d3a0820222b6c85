"""Participants hear of a cancelled or moved session, in their own language; the others do not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification, User
from audit.models import AuditEvent
from training import services
from training.models import Application, Session

from .conftest import applicant, apply

CANCELLED = "A training session you applied to was cancelled"
MOVED = "The dates or place of a training session you applied to changed"


@pytest.fixture
def people(session: Session, training_admin: User) -> dict[str, Application]:
    """One application in each state."""
    session.capacity = 1
    session.save(update_fields=["capacity"])
    apps = {s: apply(session, applicant(f"p_{s}")) for s in Application.Status.values}
    decide = services.application_decide
    decide(application=apps["accepted"], actor=training_admin, decision="accepted")
    decide(application=apps["waitlisted"], actor=training_admin, decision="waitlisted")
    decide(application=apps["rejected"], actor=training_admin, decision="rejected", reason="Full")
    services.application_withdraw(application=apps["withdrawn"], actor=training_admin)
    Notification.objects.all().delete()
    return apps


def _told(apps: dict[str, Application], title: str) -> set[str]:
    users = Notification.objects.filter(title=title).values_list("user__username", flat=True)
    return {status for status, a in apps.items() if a.applicant.username in users}


def test_a_cancellation_is_told_to_everyone_still_in_the_session(
    session: Session, training_admin: User, people: dict[str, Application]
) -> None:
    services.session_update(session=session, actor=training_admin, status="cancelled")
    assert _told(people, CANCELLED) == {"applied", "accepted", "waitlisted"}
    note = Notification.objects.get(user=people["accepted"].applicant)
    assert note.body.startswith(f"{session.course.title} · ")
    assert note.body.endswith("The Hague, Netherlands")
    sent = [str(pk) for pk in Notification.objects.values_list("pk", flat=True)]
    assert AuditEvent.objects.filter(action="notification.sent", target_id__in=sent).count() == 3
    # Editing the cancelled session (a later date) tells nobody again.
    services.session_update(
        session=session, actor=training_admin, end_date=session.end_date + timedelta(days=1)
    )
    assert Notification.objects.count() == 3


def test_new_dates_or_place_are_told_with_the_new_ones(
    session: Session, training_admin: User, people: dict[str, Application]
) -> None:
    start = session.start_date + timedelta(days=7)
    services.session_update(
        session=session,
        actor=training_admin,
        start_date=start,
        end_date=start + timedelta(days=4),
        city="Arusha",
        country="TZ",
    )
    assert _told(people, MOVED) == {"applied", "accepted", "waitlisted"}
    note = Notification.objects.get(user=people["waitlisted"].applicant)
    assert str(start.year) in note.body
    assert note.body.endswith("Arusha, Tanzania")

    Notification.objects.all().delete()
    services.session_update(session=session, actor=training_admin, online=True)
    assert _told(people, MOVED) == {"applied", "accepted", "waitlisted"}
    assert Notification.objects.get(user=people["accepted"].applicant).body.endswith("Online")


def test_other_changes_tell_nobody(
    session: Session, training_admin: User, people: dict[str, Application]
) -> None:
    services.session_update(session=session, actor=training_admin, capacity=5, language="French")
    services.session_update(session=session, actor=training_admin, status="closed")
    assert not Notification.objects.exists()


def test_each_participant_reads_it_in_their_language(
    session: Session, training_admin: User, people: dict[str, Application]
) -> None:
    french = people["accepted"].applicant
    french.preferred_language = "fr"
    french.save(update_fields=["preferred_language"])
    services.session_update(session=session, actor=training_admin, online=True)
    note = Notification.objects.get(user=french)
    assert (
        note.title
        == "Les dates ou le lieu d'une session de formation à laquelle vous avez postulé ont changé"
    )
    assert note.body.endswith("En ligne")
    assert Notification.objects.get(user=people["applied"].applicant).title == MOVED


def test_the_edit_page_says_who_will_be_told(
    client: Client, session: Session, training_admin: User
) -> None:
    client.force_login(training_admin)
    edit = client.get(reverse("training:session_edit", args=[session.pk])).content.decode()
    assert 'id="session-notice"' in edit
    assert "are notified when you cancel the session" in edit
    new = client.get(reverse("training:session_create")).content.decode()
    assert 'id="session-notice"' not in new
