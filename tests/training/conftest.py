"""A course with an open session, and helpers to fill it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from tests.factories import UserFactory
from training.models import Application, Course, Module, Session


def make_course() -> Course:
    course = Course.objects.create(
        title="Investigating core international crimes", languages="English, French"
    )
    Module.objects.create(course=course, title="Interviewing traumatised witnesses", position=1)
    return course


@pytest.fixture
def course(db: None) -> Course:
    return make_course()


def make_session(course: Course, *, capacity: int = 2, days_ahead: int = 30) -> Session:
    today = timezone.localdate()
    return Session.objects.create(
        course=course,
        start_date=today + timedelta(days=days_ahead),
        end_date=today + timedelta(days=days_ahead + 4),
        city="The Hague",
        country="NL",
        language="English",
        capacity=capacity,
        applications_open=today - timedelta(days=10),
        applications_close=today + timedelta(days=10),
        status=Session.Status.OPEN,
    )


@pytest.fixture
def session(course: Course) -> Session:
    return make_session(course)


def applicant(username: str) -> User:
    return UserFactory(username=username, roles=[Role.TRAINEE])


def apply(session: Session, user: User, **extra: Any) -> Application:
    from training import services

    data: dict[str, Any] = {
        "country": "UA",
        "organisation": "Office of the Prosecutor General",
        "function": "Investigator",
        "years_experience": 5,
        "gender": "female",
        "motivation": "To document crimes.",
    }
    data.update(extra)
    return services.application_submit(session=session, applicant=user, **data)
