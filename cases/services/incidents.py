"""Incidents of a case."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, Crime, Incident
from cases.services.common import changed_fields, refresh_crime_categories, refresh_search, require

INCIDENT_FIELDS = (
    "title",
    "description",
    "date_start",
    "date_end",
    "date_precision",
    "place_name",
    "country",
    "admin_area",
    "latitude",
    "longitude",
    "estimated_victims",
)


def _validate_incident(data: dict[str, Any]) -> None:
    errors = {}
    start, end = data.get("date_start"), data.get("date_end")
    if start and end and end < start:
        errors["date_end"] = _("The end date is before the start date.")
    if start and start > timezone.localdate():
        errors["date_start"] = _("An incident cannot be in the future.")
    if (data.get("latitude") is None) != (data.get("longitude") is None):
        errors["longitude"] = _("Give both latitude and longitude, or neither.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def incident_create(
    *, case: Case, actor: User, crimes: Iterable[Crime] = (), **data: Any
) -> Incident:
    require(actor, case, P.CONTRIBUTE)
    case_require_open(case)
    _validate_incident(data)
    incident = Incident(
        case=case,
        created_by=actor,
        **{k: v for k, v in data.items() if k in INCIDENT_FIELDS},
    )
    incident.full_clean()
    incident.save()
    incident.crimes.set(crimes)
    refresh_crime_categories(case)
    refresh_search(case)
    audit_record(actor=actor, action="incident.created", target=incident)
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    actor: User,
    crimes: Iterable[Crime] | None = None,
    **data: Any,
) -> Incident:
    require(actor, incident.case, P.CONTRIBUTE)
    case_require_open(incident.case)
    merged = {name: data.get(name, getattr(incident, name)) for name in INCIDENT_FIELDS}
    _validate_incident(merged)
    changed = changed_fields(incident, data, INCIDENT_FIELDS)
    if crimes is not None and set(crimes) != set(incident.crimes.all()):
        incident.crimes.set(crimes)
        refresh_crime_categories(incident.case)
        changed.append("crimes")
    if changed:
        incident.full_clean()
        incident.save()
        refresh_search(incident.case)
        audit_record(
            actor=actor,
            action="incident.updated",
            target=incident,
            details={"fields": changed},
        )
    return incident
