"""The statistics page counts those who completed a session, from the data."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.training.conftest import applicant, apply, make_session
from training.models import Application, Course, Session
from training.selectors import training_statistics


def _completed(session: Session, username: str, **data: object) -> Application:
    application = apply(session, applicant(username), **data)
    Application.objects.filter(pk=application.pk).update(
        status="accepted", completed_at=timezone.now()
    )
    return application


def _past(course: Course, years_ago: int) -> Session:
    session = make_session(course, capacity=10)
    Session.objects.filter(pk=session.pk).update(
        start_date=session.start_date - timedelta(days=365 * years_ago + 30),
        end_date=session.end_date - timedelta(days=365 * years_ago + 30),
    )
    session.refresh_from_db()
    return session


def test_statistics_are_computed_from_completed_applications(
    course: Course, client: Client, training_admin: User
) -> None:
    other = Course.objects.create(title="Sexual and gender-based violence investigation")
    older, recent, sgbv = _past(course, 2), _past(course, 1), _past(other, 1)
    _completed(older, "s1", country="UA", organisation="OPG Ukraine", gender="female")
    _completed(recent, "s2", country="UA", organisation="opg ukraine", gender="male")
    _completed(
        sgbv,
        "s3",
        country="NL",
        organisation="Eurojust",
        organisation_international=True,
        gender="female",
    )
    # Applied but not trained: not counted.
    apply(recent, applicant("s4"), country="SY", organisation="CIJA", gender="other")

    stats = training_statistics()
    assert stats["trained"] == 3
    assert stats["countries"] == 2
    assert stats["organisations"] == 2  # the same office, however it was typed
    assert stats["international_organisations"] == 1
    assert {bar["label"]: bar["count"] for bar in stats["by_course"]} == {
        course.title: 2,
        other.title: 1,
    }
    assert sum(bar["count"] for bar in stats["by_year"]) == 3
    assert {bar["label"]: bar["count"] for bar in stats["by_gender"]} == {"Female": 2, "Male": 1}

    client.force_login(training_admin)
    body = client.get(reverse("training:statistics")).content.decode()
    assert '<dd class="col-sm-6" id="stat-trained">3</dd>' in body
    assert "Sexual and gender-based violence investigation" in body
    printable = client.get(reverse("training:statistics_print")).content.decode()
    assert '<dd class="col-sm-6" id="stat-countries">2</dd>' in printable
