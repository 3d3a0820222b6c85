"""The training pages do what their buttons say: apply, bulk decisions, attendance, export."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import text_of
from tests.training.conftest import applicant, apply
from training import services
from training.models import Application, Attendance, Session


def test_a_trainee_applies_from_the_session_page(
    client: Client, session: Session, trainee: User
) -> None:
    client.force_login(trainee)
    page = client.get(reverse("training:session_detail", args=[session.pk])).content.decode()
    assert reverse("training:apply", args=[session.pk]) in page
    response = client.post(
        reverse("training:apply", args=[session.pk]),
        {
            "country": "UA",
            "organisation": "Prosecutor General's Office",
            "function": "Investigator",
            "years_experience": "6",
            "gender": "female",
            "motivation": "Documenting attacks on civilians.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("training:my")
    assert Application.objects.get(applicant=trainee).organisation == "Prosecutor General's Office"
    again = client.get(reverse("training:session_detail", args=[session.pk])).content.decode()
    assert "Your application: Applied." in again


def test_bulk_acceptance_fills_the_seats_and_refuses_the_rest(
    client: Client, session: Session, training_admin: User
) -> None:
    apps = [apply(session, applicant(f"b{i}")) for i in range(3)]
    client.force_login(training_admin)
    response = client.post(
        reverse("training:applications", args=[session.pk]),
        {"application": [str(a.pk) for a in apps], "decision": "accepted", "reason": ""},
        follow=True,
    )
    body = response.content.decode()
    assert "2 applications decided." in body
    assert "The session is full (2 seats)." in body
    statuses = list(Application.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["accepted", "accepted", "applied"]


def test_attendance_outside_the_session_is_refused_on_the_page(
    client: Client, session: Session, training_admin: User
) -> None:
    application = apply(session, applicant("att"))
    services.application_decide(application=application, actor=training_admin, decision="accepted")
    client.force_login(training_admin)
    url = reverse("training:attendance", args=[session.pk])
    outside = client.post(
        url, {"day": session.start_date - timedelta(days=1), "present": [application.pk]}
    )
    assert "is not a day of this session" in outside.content.decode()
    assert not Attendance.objects.exists()
    inside = client.post(url, {"day": session.start_date, "present": [application.pk]})
    assert inside.status_code == 302
    assert Attendance.objects.get(application=application).present


def test_the_participants_export_lists_the_accepted_only(
    client: Client, session: Session, training_admin: User
) -> None:
    accepted = apply(session, applicant("e1"), organisation="=HYPERLINK(1)")
    apply(session, applicant("e2"), organisation="Not accepted office")
    services.application_decide(application=accepted, actor=training_admin, decision="accepted")
    client.force_login(training_admin)
    response = client.get(reverse("training:export", args=[session.pk]))
    text = text_of(response)
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK(1)" in text  # not run as a formula by a spreadsheet
    assert "Not accepted office" not in text
