"""Training admins create and edit courses and sessions through the pages, audited; wrong
dates, a missing venue and a capacity below the accepted participants are refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from tests.training.conftest import applicant, apply
from training import services
from training.models import Application, Course, Module, Session


def _session_post(course: Course, trainer: User | None = None, **overrides: object) -> dict:
    today = timezone.localdate()
    data: dict[str, object] = {
        "course": course.pk,
        "start_date": (today + timedelta(days=60)).isoformat(),
        "end_date": (today + timedelta(days=64)).isoformat(),
        "city": "Kyiv",
        "country": "UA",
        "language": "Ukrainian",
        "capacity": "20",
        "applications_open": today.isoformat(),
        "applications_close": (today + timedelta(days=30)).isoformat(),
        "status": Session.Status.OPEN,
    }
    if trainer is not None:
        data["trainers"] = [trainer.pk]
    data.update(overrides)
    return data


def _audited(action: str, target: Model) -> bool:
    return AuditEvent.objects.filter(action=action, target_id=str(target.pk)).exists()


def test_the_catalogue_links_to_the_management_pages_for_training_admins_only(
    client: Client, session: Session, training_admin: User, trainee: User
) -> None:
    client.force_login(training_admin)
    page = client.get(reverse("training:catalogue")).content.decode()
    assert reverse("training:course_create") in page
    assert reverse("training:session_create") in page
    assert reverse("training:session_edit", args=[session.pk]) in page
    assert reverse("training:course_edit", args=[session.course_id]) in page
    client.force_login(trainee)
    page = client.get(reverse("training:catalogue")).content.decode()
    assert reverse("training:course_create") not in page
    assert reverse("training:session_create") not in page
    assert reverse("training:session_edit", args=[session.pk]) not in page


def test_a_training_admin_adds_a_course_with_its_modules(
    client: Client, training_admin: User
) -> None:
    client.force_login(training_admin)
    response = client.post(
        reverse("training:course_create"),
        {
            "title": "Open-source investigation",
            "description": "Finding and preserving online material.",
            "languages": "English",
            "modules": "Archiving web pages\n\n  Geolocation  \nChain of custody online",
        },
    )
    assert response.status_code == 302
    course = Course.objects.get(title="Open-source investigation")
    assert list(course.modules.values_list("title", flat=True)) == [
        "Archiving web pages",
        "Geolocation",
        "Chain of custody online",
    ]
    assert _audited("training.course_created", course)


def test_editing_a_course_rewrites_its_programme_and_is_audited(
    client: Client, course: Course, training_admin: User
) -> None:
    client.force_login(training_admin)
    url = reverse("training:course_edit", args=[course.pk])
    assert "Interviewing traumatised witnesses" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": course.title,
            "description": "Updated.",
            "languages": "English, French, Ukrainian",
            "modules": "Crime scene basics\nInterviewing traumatised witnesses",
        },
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.languages == "English, French, Ukrainian"
    assert list(course.modules.values_list("title", flat=True)) == [
        "Crime scene basics",
        "Interviewing traumatised witnesses",
    ]
    event = AuditEvent.objects.get(action="training.course_updated", target_id=str(course.pk))
    assert set(event.details["changed"]) == {"description", "languages", "modules"}


def test_a_course_title_is_unique(client: Client, course: Course, training_admin: User) -> None:
    client.force_login(training_admin)
    response = client.post(reverse("training:course_create"), {"title": course.title})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Course.objects.count() == 1


def test_a_training_admin_schedules_a_session(
    client: Client, course: Course, training_admin: User, investigator: User
) -> None:
    client.force_login(training_admin)
    response = client.post(
        reverse("training:session_create"), _session_post(course, trainer=investigator)
    )
    session = Session.objects.get(city="Kyiv")
    assert response.status_code == 302
    assert response["Location"] == reverse("training:session_detail", args=[session.pk])
    assert session.capacity == 20
    assert session.country == "UA"
    assert list(session.trainers.all()) == [investigator]
    assert _audited("training.session_created", session)
    page = client.get(response["Location"]).content.decode()
    assert "Kyiv" in page


def test_a_training_admin_edits_a_session(
    client: Client, session: Session, training_admin: User
) -> None:
    client.force_login(training_admin)
    url = reverse("training:session_edit", args=[session.pk])
    assert 'value="The Hague"' in client.get(url).content.decode()
    response = client.post(
        url,
        _session_post(session.course, city="", country="", online="on", capacity="30"),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.online
    assert session.capacity == 30
    assert session.venue == "Online"
    event = AuditEvent.objects.get(action="training.session_updated", target_id=str(session.pk))
    assert "capacity" in event.details["changed"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"end_date": "2020-01-01"},
            "end_date",
            "The session ends before it starts.",
        ),
        (
            {"applications_close": "2099-01-01"},
            "applications_close",
            "Applications must close by the first day of the session.",
        ),
        (
            {"applications_open": "2099-01-01"},
            "applications_close",
            "Applications close before they open.",
        ),
        ({"capacity": "0"}, "capacity", "greater than or equal to 1"),
        ({"city": "", "online": ""}, "city", "Give the city and country"),
    ],
)
def test_a_wrong_session_is_shown_again_with_the_error_and_nothing_is_saved(
    client: Client,
    course: Course,
    training_admin: User,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client.force_login(training_admin)
    response = client.post(reverse("training:session_create"), _session_post(course, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    assert message.replace("'", "&#x27;") in page
    assert 'value="Ukrainian"' in page  # what was typed is kept
    assert not Session.objects.exists()
    assert not AuditEvent.objects.filter(action="training.session_created").exists()


def test_bad_dates_on_edit_change_nothing(
    client: Client, session: Session, training_admin: User
) -> None:
    client.force_login(training_admin)
    before = (session.start_date, session.end_date)
    response = client.post(
        reverse("training:session_edit", args=[session.pk]),
        _session_post(session.course, end_date="2000-01-01"),
    )
    assert response.status_code == 200
    assert "The session ends before it starts." in response.content.decode()
    session.refresh_from_db()
    assert (session.start_date, session.end_date) == before
    assert not AuditEvent.objects.filter(action="training.session_updated").exists()


def test_the_capacity_cannot_drop_below_the_accepted_participants(
    client: Client, session: Session, training_admin: User
) -> None:
    for name in ("cap_a", "cap_b"):
        services.application_decide(
            application=apply(session, applicant(name)),
            actor=training_admin,
            decision=Application.Status.ACCEPTED,
        )
    client.force_login(training_admin)
    response = client.post(
        reverse("training:session_edit", args=[session.pk]),
        _session_post(session.course, capacity="1"),
    )
    assert response.status_code == 200
    assert "2 participants are already accepted" in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 2


def test_the_service_refuses_a_lower_capacity_too(session: Session, training_admin: User) -> None:
    services.application_decide(
        application=apply(session, applicant("cap_c")),
        actor=training_admin,
        decision=Application.Status.ACCEPTED,
    )
    with pytest.raises(ValidationError) as error:
        services.session_update(session=session, actor=training_admin, capacity=0)
    assert "capacity" in error.value.error_dict
    session.refresh_from_db()
    assert session.capacity == 2


def test_a_session_is_not_completed_from_the_edit_page(
    client: Client, session: Session, training_admin: User
) -> None:
    client.force_login(training_admin)
    response = client.post(
        reverse("training:session_edit", args=[session.pk]),
        _session_post(session.course, status=Session.Status.COMPLETED),
    )
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == Session.Status.OPEN


@pytest.mark.parametrize("role", ["unit_admin", "investigator", "trainee", "outsider"])
def test_only_training_admins_manage_courses_and_sessions(
    client: Client, request: pytest.FixtureRequest, session: Session, role: str
) -> None:
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.post(reverse("training:session_create"), _session_post(session.course))
    assert response.status_code == 403
    response = client.post(
        reverse("training:session_edit", args=[session.pk]),
        _session_post(session.course, capacity="99"),
    )
    assert response.status_code == 403
    response = client.post(
        reverse("training:course_edit", args=[session.course_id]), {"title": "Hijacked"}
    )
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.capacity == 2
    assert Session.objects.count() == 1
    assert not Course.objects.filter(title="Hijacked").exists()
    with pytest.raises(PermissionDenied):
        services.course_create(actor=user, title="Not allowed")
    with pytest.raises(PermissionDenied):
        services.session_update(session=session, actor=user, capacity=99)


def test_an_unknown_course_or_session_is_a_404(client: Client, training_admin: User) -> None:
    client.force_login(training_admin)
    assert client.get(reverse("training:course_edit", args=[999999])).status_code == 404
    assert client.get(reverse("training:session_edit", args=[999999])).status_code == 404


def test_the_session_dates_rule_is_shared(course: Course) -> None:
    errors = services.session_date_errors(
        start_date=date(2030, 5, 10),
        end_date=date(2030, 5, 12),
        applications_open=date(2030, 4, 1),
        applications_close=date(2030, 5, 10),
    )
    assert errors == {}  # closing on the first day is allowed
    assert Module.objects.filter(course=course).count() == 1
