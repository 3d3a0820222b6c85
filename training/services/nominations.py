"""Importing partner organisations' nominations from CSV, all or nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from partners.models import PartnerOrganisation
from training.models import Application, Session
from training.services.applications import application_nominate
from training.services.common import require_training_admin

IMPORT_COLUMNS = (
    "session",
    "email",
    "partner",
    "country",
    "organisation",
    "function",
    "years_experience",
    "gender",
    "motivation",
)


def _import_row(row: dict[str, str]) -> dict[str, Any]:
    """Resolves one CSV row to the arguments of ``application_nominate``."""
    from django_countries import countries

    problems = []
    session = None
    if (row.get("session") or "").strip().isdigit():
        session = Session.objects.filter(pk=int(row["session"])).first()
    if session is None:
        problems.append(_("unknown session %(value)r") % {"value": row.get("session", "")})
    email = (row.get("email") or "").strip()
    applicant = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if applicant is None:
        problems.append(_("no active account with e-mail %(value)r") % {"value": email})
    partner_name = (row.get("partner") or "").strip()
    partner = (
        PartnerOrganisation.objects.filter(name__iexact=partner_name).first()
        or PartnerOrganisation.objects.filter(acronym__iexact=partner_name).first()
        if partner_name
        else None
    )
    if partner is None:
        problems.append(_("unknown partner %(value)r") % {"value": partner_name})
    country = (row.get("country") or "").strip().upper()
    if country not in dict(countries):
        problems.append(_("unknown country code %(value)r") % {"value": country})
    years = (row.get("years_experience") or "").strip()
    if not years.isdigit():
        problems.append(_("years of experience must be a whole number"))
    gender = (row.get("gender") or "").strip().lower() or Application.Gender.UNDISCLOSED
    if gender not in Application.Gender.values:
        problems.append(_("unknown gender %(value)r") % {"value": gender})
    if not (row.get("function") or "").strip():
        problems.append(_("the function is missing"))
    if problems:
        raise ValidationError("; ".join(problems))
    return {
        "session": session,
        "applicant": applicant,
        "organisation": partner,
        "country": country,
        "organisation_name": (row.get("organisation") or "").strip(),
        "function": row["function"].strip(),
        "years_experience": int(years),
        "gender": gender,
        "motivation": (row.get("motivation") or "").strip(),
    }


@transaction.atomic
def nominations_import(*, actor: User, text: str, today: date | None = None) -> int:
    """Imports nominations from CSV, all or nothing.

    Every row is checked; if any is bad, nothing is saved and the ValidationError lists each
    bad row by its line number (the header is line 1) and reason.
    """
    import csv
    import io

    require_training_admin(actor)
    reader = csv.DictReader(io.StringIO(text))
    missing = set(IMPORT_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(
            _("Line 1: missing columns: %(columns)s") % {"columns": ", ".join(sorted(missing))}
        )
    errors: list[str] = []
    count = 0
    for row in reader:
        line = reader.line_num
        try:
            with transaction.atomic():
                args = _import_row(row)
                name = args.pop("organisation_name")
                application_nominate(actor=actor, today=today, **args)
                if name:
                    Application.objects.filter(
                        session=args["session"], applicant=args["applicant"]
                    ).update(organisation=name)
            count += 1
        except ValidationError as exc:
            errors.append(
                _("Line %(line)s: %(reason)s") % {"line": line, "reason": "; ".join(exc.messages)}
            )
    if errors:
        raise ValidationError(errors)
    if not count:
        raise ValidationError(_("The file has no nominations."))
    audit_record(actor=actor, action="training.nominations_imported", details={"count": count})
    return count
