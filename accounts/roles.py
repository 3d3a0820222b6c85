"""The roles of Custos. Each is a django.contrib.auth Group, created by a migration."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    UNIT_ADMIN = "unit_admin", _("Unit admin")
    CASE_LEAD = "case_lead", _("Case lead")
    INVESTIGATOR = "investigator", _("Investigator")
    ANALYST = "analyst", _("Analyst (read-only)")
    TRIBUNAL_LIAISON = "tribunal_liaison", _("Tribunal liaison")
    TRAINING_ADMIN = "training_admin", _("Training admin")
    TRAINEE = "trainee", _("Trainee")


# The unit's staff: those who work on cases (as opposed to liaisons, trainers and trainees).
STAFF_ROLES = (Role.UNIT_ADMIN, Role.CASE_LEAD, Role.INVESTIGATOR, Role.ANALYST)
