"""The training course: courses and their modules, sessions, applications (own or nominated
by a partner), attendance per day, and the certificates of those who completed a session."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from accounts.models import User

# Who may apply to a session and see the catalogue: the unit's staff and trainees.
APPLICANT_ROLES = (*STAFF_ROLES, Role.TRAINING_ADMIN, Role.TRAINEE)


def verification_code() -> str:
    """A random, unguessable code printed on a certificate (about 80 bits)."""
    return secrets.token_hex(10).upper()


class CatalogueQuerySet(models.QuerySet):
    """Courses and sessions: the catalogue, which the unit's staff and trainees read."""

    def visible_to(self, user: User) -> Self:
        return self if user.has_role(*APPLICANT_ROLES) else self.none()


class OfApplicationQuerySet(models.QuerySet):
    """Applications and what hangs on one (``application_path`` leads to it): a user sees
    their own; a training admin sees every one."""

    application_path = ""

    def visible_to(self, user: User) -> Self:
        if user.has_role(Role.TRAINING_ADMIN):
            return self
        return self.filter(**{f"{self.application_path}applicant": user})


class OfOneApplicationQuerySet(OfApplicationQuerySet):
    """A day's attendance, a certificate: ``visible_to`` is their application's."""

    application_path = "application__"


class Course(models.Model):
    """A course the unit teaches; it is run as one or more sessions."""

    title = models.CharField(_("title"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    languages = models.CharField(
        _("languages"), max_length=200, blank=True, help_text=_("e.g. English, French")
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Module(models.Model):
    """One part of a course's programme (e.g. interviewing traumatised witnesses)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "pk"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    """One run of a course: dates, venue or online, capacity, trainers, application window."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open for applications")
        CLOSED = "closed", _("Applications closed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    online = models.BooleanField(_("online"), default=False)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    language = models.CharField(_("language"), max_length=50)
    capacity = models.PositiveIntegerField(_("capacity"))
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("trainers"), blank=True, related_name="+"
    )
    applications_open = models.DateField(_("applications open"))
    applications_close = models.DateField(_("applications close"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="training_session_dates"
            ),
            models.CheckConstraint(
                condition=Q(applications_close__gte=F("applications_open")),
                name="training_session_window",
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="training_session_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.course.title} · {self.start_date:%Y-%m-%d}"

    @property
    def venue(self) -> str:
        if self.online:
            return str(_("Online"))
        # A Country object at run time; django-countries' field is typed as its code.
        name = self.country.name  # type: ignore[attr-defined]
        return ", ".join(p for p in (self.city, str(name or "")) if p)

    @property
    def day_count(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def days(self) -> list:
        from datetime import timedelta

        return [self.start_date + timedelta(days=i) for i in range(self.day_count)]

    def window_is_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status in (self.Status.PLANNED, self.Status.OPEN)
            and self.applications_open <= today <= self.applications_close
        )


class Application(models.Model):
    """An application to a session, by the applicant or nominated by a partner organisation.

    Accepted applications are the session's participants; ``completed_at`` is set when the
    completion rule (attendance and assessment) is met, and the certificate is issued then.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ACCEPTED = "accepted", _("Accepted")
        WAITLISTED = "waitlisted", _("Waitlisted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNDISCLOSED = "undisclosed", _("Prefer not to say")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_applications"
    )
    nominated_by = models.ForeignKey(
        "partners.PartnerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_nominations",
        verbose_name=_("nominated by"),
    )
    country = CountryField(_("country"))
    organisation = models.CharField(_("organisation"), max_length=300)
    organisation_international = models.BooleanField(_("international organisation"), default=False)
    function = models.CharField(_("function"), max_length=200)
    years_experience = models.PositiveSmallIntegerField(_("years of experience"))
    motivation = models.TextField(_("motivation"), blank=True)
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNDISCLOSED
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.APPLIED
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    assessment_passed = models.BooleanField(_("assessment passed"), null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OfApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "applicant"], name="training_one_application_per_session"
            ),
        ]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self) -> str:
        return f"{self.applicant} · {self.session}"


class Attendance(models.Model):
    """Whether a participant was present on one day of their session."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attendance"
    )
    day = models.DateField(_("day"))
    present = models.BooleanField(_("present"), default=False)

    objects = OfOneApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["application", "day"], name="training_attendance_day")
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.day}"


class Certificate(models.Model):
    """The certificate of a completed session, rendered to PDF by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=verification_code
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    pdf = models.FileField(upload_to="training/certificates/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)

    objects = OfOneApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code
