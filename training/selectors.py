"""Reads of training data, scoped to who asks: staff and trainees see the catalogue; a
trainee sees only their own applications and certificates; training admins see everything."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractYear, Lower
from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from training.models import APPLICANT_ROLES, Application, Certificate, Course, Session


def sees_catalogue(user: User) -> bool:
    return user.has_role(*APPLICANT_ROLES)


def is_training_admin(user: User) -> bool:
    return user.has_role(Role.TRAINING_ADMIN)


def sessions_for_catalogue(user: User) -> QuerySet[Session]:
    return (
        Session.objects.visible_to(user)
        .select_related("course")
        .annotate(
            accepted=Count("applications", filter=Q(applications__status="accepted")),
        )
        .order_by("-start_date", "pk")
    )


def session_get(user: User, pk: int) -> Session:
    session = sessions_for_catalogue(user).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def course_get(user: User, pk: int) -> Course:
    """A course for a training admin to edit; 404 for anyone else and for unknown ids."""
    course = Course.objects.filter(pk=pk).first() if is_training_admin(user) else None
    if course is None:
        raise Http404
    return course


def applications_of(user: User) -> QuerySet[Application]:
    """A user's own applications (whatever their role)."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("session__course", "certificate")
        .order_by("-session__start_date")
    )


def application_get(user: User, pk: int) -> Application:
    """One application: its applicant's, or any for a training admin; 404 otherwise."""
    application = (
        Application.objects.visible_to(user)
        .select_related("session__course", "applicant")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404
    return application


def certificate_get(user: User, pk: int) -> Certificate:
    certificate = (
        Certificate.objects.visible_to(user)
        .select_related("application__session__course")
        .filter(pk=pk)
        .first()
    )
    if certificate is None:
        raise Http404
    return certificate


def certificate_by_code(code: str) -> Certificate:
    certificate = (
        Certificate.objects.select_related("application__applicant", "application__session__course")
        .filter(code=code.strip().upper())
        .first()
    )
    if certificate is None:
        raise Http404
    return certificate


def participants(session: Session) -> QuerySet[Application]:
    return (
        Application.objects.filter(session=session, status=Application.Status.ACCEPTED)
        .select_related("applicant", "nominated_by")
        .order_by("applicant__full_name", "pk")
    )


def _bars(counter: Counter[Any], label: Any = str) -> list[dict[str, Any]]:
    top = max(counter.values(), default=0) or 1
    return [
        {"label": label(key), "count": count, "percent": round(100 * count / top)}
        for key, count in counter.items()
    ]


def _grouped(applications: QuerySet[Application], key: Any) -> Counter[Any]:
    rows = applications.values(key=key).annotate(n=Count("pk")).order_by("key")
    return Counter({row["key"]: row["n"] for row in rows})


def training_statistics() -> dict[str, Any]:
    """The course's figures, computed from completed applications (those who were trained)."""
    completed = Application.objects.filter(completed_at__isnull=False)
    organisations = completed.annotate(org=Lower("organisation"))
    gender_labels = dict(Application.Gender.choices)
    by_year = _grouped(completed, ExtractYear("session__end_date"))
    by_course = _grouped(completed, F("session__course__title"))
    by_gender = _grouped(completed, F("gender"))
    return {
        "trained": completed.values("applicant").distinct().count(),
        "completions": completed.count(),
        "countries": completed.values("country").distinct().count(),
        "organisations": organisations.values("org").distinct().count(),
        "international_organisations": organisations.filter(organisation_international=True)
        .values("org")
        .distinct()
        .count(),
        "by_year": _bars(by_year),
        "by_course": _bars(by_course),
        "by_gender": _bars(by_gender, lambda key: gender_labels.get(key, key)),
    }
