"""Demo training data whose figures read like the real course's: about 100 investigators
trained over five years, from about 30 countries and several international organisations,
plus an open session the demo trainee has applied to. Every name is fictional."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from devdata.demo.accounts import demo_users_seed
from training.models import Application, Attendance, Certificate, Course, Module, Session
from training.tasks import render_certificate

COURSE_TITLE = "Investigating genocide, war crimes and crimes against humanity"
SHORT_COURSE_TITLE = "Open-source investigation of international crimes"
MODULES = (
    "Legal elements of core international crimes",
    "Evidence at mass-atrocity sites",
    "Sexual and gender-based violence investigation",
    "Interviewing traumatised witnesses",
    "Open-source investigation",
    "Linkage evidence and modes of liability",
)
COUNTRIES = (
    "UA", "BA", "RS", "HR", "XK", "IQ", "SY", "LB", "JO", "RW",
    "CD", "UG", "SS", "CF", "ML", "NG", "CO", "GT", "PE", "KH",
    "LK", "MM", "AF", "GE", "AM", "NL", "DE", "FR", "SE", "BE",
)  # fmt: skip
INTERNATIONAL = (
    "International Criminal Court (demo)",
    "International Residual Mechanism (demo)",
    "Eurojust (demo)",
    "UN Investigative Team (demo)",
    "International Commission on Missing Persons (demo)",
    "Organisation for Security and Co-operation (demo)",
)
FUNCTIONS = ("Investigator", "Prosecutor", "Analyst", "Police officer", "Forensic specialist")
# (course, years ago, city, country, trained): about 100 in all.
PAST = (
    (COURSE_TITLE, 5, "The Hague", "NL", 17),
    (COURSE_TITLE, 4, "Sarajevo", "BA", 18),
    (SHORT_COURSE_TITLE, 3, "", "", 15),
    (COURSE_TITLE, 3, "Kigali", "RW", 17),
    (COURSE_TITLE, 2, "Kyiv", "UA", 18),
    (COURSE_TITLE, 1, "The Hague", "NL", 17),
)


def _user(username: str, full_name: str) -> User:
    user = User(username=username, email="", full_name=full_name)
    user.set_unusable_password()
    user.save()
    return user


def _session(course: Course, start: date, *, city: str, country: str, capacity: int) -> Session:
    return Session.objects.create(
        course=course,
        start_date=start,
        end_date=start + timedelta(days=4),
        online=not city,
        city=city,
        country=country,
        language="English",
        capacity=capacity,
        applications_open=start - timedelta(days=90),
        applications_close=start - timedelta(days=30),
        status=Session.Status.COMPLETED if start < timezone.localdate() else Session.Status.OPEN,
    )


def _completed(session: Session, user: User, rng: random.Random, index: int) -> Application:
    international = index % 7 == 0
    country = COUNTRIES[index % len(COUNTRIES)]
    application = Application.objects.create(
        session=session,
        applicant=user,
        country=country,
        organisation=(
            INTERNATIONAL[index % len(INTERNATIONAL)]
            if international
            else f"War Crimes Unit of {country} (demo)"
        ),
        organisation_international=international,
        function=rng.choice(FUNCTIONS),
        years_experience=rng.randint(2, 20),
        gender=rng.choice(("female", "female", "male", "male", "undisclosed")),
        status=Application.Status.ACCEPTED,
        assessment_passed=True,
        completed_at=timezone.make_aware(datetime.combine(session.end_date, time(17, 0))),
    )
    Attendance.objects.bulk_create(
        Attendance(application=application, day=day, present=True) for day in session.days()
    )
    return application


@transaction.atomic
def demo_training_seed() -> int:
    """Creates the demo courses, sessions and participants once; returns how many sessions it
    created (0 when they exist already)."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Demo data is never created when DJANGO_ENV=production.")
    if Course.objects.filter(title=COURSE_TITLE).exists():
        return 0
    demo_users_seed()  # idempotent: the demo trainer and trainee
    trainer = User.objects.get(username="trainer")
    trainee = User.objects.get(username="trainee")
    rng = random.Random(8)  # noqa: S311 - demo data, reproducible
    course = Course.objects.create(
        title=COURSE_TITLE,
        description=(
            "Two weeks on investigating core international crimes, for investigators, "
            "prosecutors and analysts of national units and international organisations."
        ),
        languages="English, French",
    )
    short = Course.objects.create(
        title=SHORT_COURSE_TITLE,
        description="A week online on finding, preserving and verifying open-source evidence.",
        languages="English",
    )
    Module.objects.bulk_create(
        Module(course=course, title=title, position=i) for i, title in enumerate(MODULES)
    )
    Module.objects.create(course=short, title="Open-source investigation", position=0)
    courses = {COURSE_TITLE: course, SHORT_COURSE_TITLE: short}
    today = timezone.localdate()
    sessions = []
    index = 0
    for title, years_ago, city, country, trained in PAST:
        start = date(today.year - years_ago, 10, 6)
        session = _session(courses[title], start, city=city, country=country, capacity=trained)
        session.trainers.add(trainer)
        sessions.append(session)
        for _ in range(trained):
            index += 1
            user = _user(f"demo_participant_{index:03}", f"Participant {index:03} (demo)")
            _completed(session, user, rng, index)
    # The demo trainee completed the last course, and has a certificate to download.
    last = sessions[-1]
    Session.objects.filter(pk=last.pk).update(capacity=last.capacity + 1)
    mine = _completed(last, trainee, rng, 0)
    certificate = Certificate.objects.create(application=mine)
    render_certificate.delay_on_commit(certificate.pk)
    upcoming = _session(
        course, today + timedelta(days=60), city="The Hague", country="NL", capacity=20
    )
    Session.objects.filter(pk=upcoming.pk).update(
        applications_open=today - timedelta(days=14), applications_close=today + timedelta(days=21)
    )
    upcoming.trainers.add(trainer)
    sessions.append(upcoming)
    planned = _session(short, today + timedelta(days=200), city="", country="", capacity=25)
    Session.objects.filter(pk=planned.pk).update(status=Session.Status.PLANNED)
    sessions.append(planned)
    for i in range(6):
        user = _user(f"demo_applicant_{i + 1:02}", f"Applicant {i + 1:02} (demo)")
        Application.objects.create(
            session=upcoming,
            applicant=user,
            country=COUNTRIES[(i * 5) % len(COUNTRIES)],
            organisation=f"War Crimes Unit of {COUNTRIES[(i * 5) % len(COUNTRIES)]} (demo)",
            function=FUNCTIONS[i % len(FUNCTIONS)],
            years_experience=3 + i,
            gender=("female", "male")[i % 2],
            motivation="To investigate the crimes committed in my country (demo).",
        )
    audit_record(
        actor=None,
        action="training.demo_seeded",
        details={"sessions": len(sessions), "trained": index + 1},
    )
    return len(sessions)
