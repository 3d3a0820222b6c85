from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.models.case import Case, OfCaseQuerySet


class Incident(models.Model):
    """Something that happened at a place and time, and the crimes it may amount to.

    Dates are as precise as the sources allow: ``date_precision`` says whether
    ``date_start`` is an exact day, a month, a year, or approximate; ``date_end`` makes it a
    range.
    """

    class Precision(models.TextChoices):
        DAY = "day", _("Exact day")
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")
        APPROXIMATE = "approximate", _("Approximate")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    date_start = models.DateField(_("date (from)"))
    date_end = models.DateField(_("until"), null=True, blank=True)
    date_precision = models.CharField(
        _("date precision"), max_length=16, choices=Precision.choices, default=Precision.DAY
    )
    place_name = models.CharField(_("place"), max_length=300)
    country = CountryField(_("country"))
    admin_area = models.CharField(_("administrative area"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    crimes = models.ManyToManyField(
        "cases.Crime", verbose_name=_("crimes alleged"), blank=True, related_name="incidents"
    )
    estimated_victims = models.PositiveIntegerField(_("estimated victims"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OfCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["date_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_end__isnull=True) | Q(date_end__gte=F("date_start")),
                name="incident_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="incident_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_case_id(self) -> int:
        return self.case_id
