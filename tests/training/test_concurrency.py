"""Two training admins accepting the last seat at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from accounts.roles import Role
from tests.factories import UserFactory
from tests.training.conftest import applicant, apply, make_session
from training import services
from training.models import Application, Course


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admins_accepting_the_last_seat_never_overbook() -> None:
    course = Course.objects.create(title="Open-source investigation")
    session = make_session(course, capacity=1)
    admins: list[User] = [
        UserFactory(username=f"c_admin{i}", roles=[Role.TRAINING_ADMIN]) for i in range(2)
    ]
    candidates = [apply(session, applicant(f"c_app{i}")) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(admin: User, application: Application) -> None:
        try:
            barrier.wait()
            services.application_decide(application=application, actor=admin, decision="accepted")
            outcomes.append("accepted")
        except ValidationError:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=(admin, application))
        for admin, application in zip(admins, candidates, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "full"]
    assert Application.objects.filter(session=session, status="accepted").count() == 1
