"""Attendance, the completion rule, and the certificate: rendered by the worker's task,
verified publicly by its code."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from tests.training.conftest import applicant, apply
from training import services
from training.models import Application, Attendance, Certificate, Session
from training.pdf import data_only_url_fetcher
from training.tasks import render_certificate


def _participants(session: Session, admin: User, count: int) -> list[Application]:
    apps = []
    for i in range(count):
        user = applicant(f"p{i}")
        user.full_name = f"Participant Number{i}"
        user.save()
        application = apply(session, user)
        services.application_decide(application=application, actor=admin, decision="accepted")
        apps.append(application)
    return apps


def _attend(session: Session, admin: User, present: dict[int, int]) -> None:
    """``present``: application id → number of days (from the first) they were present."""
    for offset, day in enumerate(session.days()):
        services.attendance_mark(
            session=session,
            actor=admin,
            day=day,
            present_ids={pk for pk, days in present.items() if offset < days},
        )


def test_marking_attendance_outside_the_session_is_refused(
    session: Session, training_admin: User
) -> None:
    (application,) = _participants(session, training_admin, 1)
    with pytest.raises(ValidationError, match="not a day of this session"):
        services.attendance_mark(
            session=session,
            actor=training_admin,
            day=session.end_date + timedelta(days=1),
            present_ids={application.pk},
        )
    assert not Attendance.objects.exists()


def test_completion_needs_the_attendance_threshold_and_a_passed_assessment(
    session: Session, training_admin: User, django_capture_on_commit_callbacks
) -> None:
    session.capacity = 3
    session.save()
    full, short, failed = _participants(session, training_admin, 3)
    # 5 days: 4 present is 80 % (enough), 3 is 60 % (not enough).
    _attend(session, training_admin, {full.pk: 4, short.pk: 3, failed.pk: 5})
    for application, passed in ((full, True), (short, True), (failed, False)):
        services.assessment_record(application=application, actor=training_admin, passed=passed)
    with django_capture_on_commit_callbacks() as callbacks:
        completed = services.session_complete(session=session, actor=training_admin)
    assert [a.pk for a in completed] == [full.pk]
    assert Certificate.objects.filter(application=full).exists()
    assert not Certificate.objects.exclude(application=full).exists()
    assert len(callbacks) >= 1  # the rendering (and e-mails) queued on commit
    session.refresh_from_db()
    assert session.status == Session.Status.COMPLETED


def test_the_certificate_is_rendered_and_verified_by_its_code(
    session: Session, training_admin: User, client: Client, settings
) -> None:
    settings.CUSTOS_BASE_URL = "https://custos.example.org"
    (application,) = _participants(session, training_admin, 1)
    _attend(session, training_admin, {application.pk: 5})
    services.assessment_record(application=application, actor=training_admin, passed=True)
    services.session_complete(session=session, actor=training_admin)
    certificate = Certificate.objects.get(application=application)

    render_certificate(certificate.pk)
    render_certificate(certificate.pk)  # a redelivery does nothing

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.READY
    assert certificate.attempts == 1
    data = certificate.pdf.read()
    assert data.startswith(b"%PDF")
    import hashlib

    assert certificate.sha256 == hashlib.sha256(data).hexdigest()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Participant Number0" in text
    assert certificate.code in text
    assert session.course.title in text

    response = client.get(reverse("training:verify", kwargs={"code": certificate.code}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Participant Number0" in body
    assert session.course.title in body
    assert application.organisation not in body  # nothing else
    assert application.applicant.email not in body

    missing = client.get(reverse("training:verify", kwargs={"code": "NOSUCHCODE"}))
    assert missing.status_code == 404


def test_a_failed_rendering_is_marked_failed(
    session: Session, training_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    (application,) = _participants(session, training_admin, 1)
    certificate = Certificate.objects.create(application=application)

    def broken(_certificate: Certificate) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr("training.pdf.certificate_pdf", broken)
    with pytest.raises(OSError, match="disk full"):
        render_certificate(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.FAILED
    assert "disk full" in certificate.error


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://example.org/logo.png", "https://127.0.0.1/x"]
)
def test_the_renderer_fetches_nothing_but_data_urls(url: str) -> None:
    with pytest.raises(ValueError, match="only data: URLs"):
        data_only_url_fetcher(url)


def test_the_renderer_accepts_data_urls() -> None:
    assert data_only_url_fetcher("data:text/plain,hello") is not None
