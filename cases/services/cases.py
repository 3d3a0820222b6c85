"""Opening, editing and moving a case through its workflow; recording a read of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Role as UserRole
from audit.services import audit_read, audit_record
from cases import permissions as P
from cases.frozen import case_require_open
from cases.models import Case, CaseMember, CaseReferenceCounter, Crime, StatusChange
from cases.models.case import CASE_OPENED
from cases.selectors import CaseAccess, PersonRow
from cases.services.common import (
    case_lock,
    changed_fields,
    grant_role,
    notify,
    refresh_crime_categories,
    refresh_search,
    require,
)

CASE_FIELDS = (
    "title",
    "summary",
    "situation",
    "countries",
    "period_start",
    "period_end",
    "classification",
    "sgbv",
    "priority",
    "referral_source",
)


def _validate_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValidationError({"period_end": _("The end of the period is before its start.")})


def case_read_record(
    *,
    access: CaseAccess,
    actor: User,
    page: str,
    shown: Iterable[PersonRow] = (),
    shown_via: str = "",
    **details: Any,
) -> None:
    """Every page of a case is an audited read (``case.viewed``); reads through break-glass
    say so. ``shown`` are the persons the page showed: each protected identity among them is
    an audited read too (``person.identity_viewed``, ``via`` ``shown_via``)."""
    audit_read(
        actor=actor,
        action="case.viewed",
        target=access.case,
        details={"page": page, **details},
        break_glass=access.via_break_glass,
        shown=shown,
        shown_via=shown_via,
    )


@transaction.atomic
def case_create(*, actor: User, crimes: Iterable[Crime] = (), **data: Any) -> Case:
    """Opens a case. Its reference is the next number of the year, without gaps even when
    cases are opened at the same moment (the year's counter row is locked until commit)."""
    if not actor.has_role(UserRole.INVESTIGATOR, UserRole.CASE_LEAD):
        raise PermissionDenied
    if data.get("classification", 0) > actor.clearance:
        raise ValidationError(
            {"classification": _("You cannot open a case above your own clearance.")}
        )
    _validate_period(data.get("period_start"), data.get("period_end"))
    year = timezone.localdate().year
    CaseReferenceCounter.objects.bulk_create(
        [CaseReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    counter = CaseReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    case = Case(
        year=year,
        number=counter.last_number,
        reference=f"{settings.CUSTOS_CASE_PREFIX}-{year}-{counter.last_number:04d}",
        created_by=actor,
        **{k: v for k, v in data.items() if k in CASE_FIELDS},
    )
    case.full_clean(exclude=["search_document"])
    case.save()
    case.crimes.set(crimes)
    refresh_crime_categories(case)
    CaseMember.objects.create(case=case, user=actor, role=CaseMember.Role.LEAD, added_by=actor)
    grant_role(case, actor, CaseMember.Role.LEAD)
    StatusChange.objects.create(
        case=case,
        from_status="",
        to_status=case.status,
        reason=CASE_OPENED,
        actor=actor,
    )
    refresh_search(case)
    audit_record(actor=actor, action="case.created", target=case)
    return case


@transaction.atomic
def case_update(
    *, case: Case, actor: User, crimes: Iterable[Crime] | None = None, **data: Any
) -> Case:
    require(actor, case, P.CHANGE)
    case_require_open(case)
    case = case_lock(case)
    if data.get("classification", case.classification) > actor.clearance:
        raise ValidationError(
            {"classification": _("You cannot classify a case above your own clearance.")}
        )
    changed = changed_fields(case, data, CASE_FIELDS)
    _validate_period(case.period_start, case.period_end)
    if crimes is not None and set(crimes) != set(case.crimes.all()):
        case.crimes.set(crimes)
        refresh_crime_categories(case)
        changed.append("crimes")
    if changed:
        case.full_clean(exclude=["search_document"])
        case.save()
        refresh_search(case)
        audit_record(actor=actor, action="case.updated", target=case, details={"fields": changed})
    return case


@transaction.atomic
def case_transition(*, case: Case, actor: User, to_status: str, reason: str) -> StatusChange:
    """Moves a case through its workflow, if the actor's case role may take that step."""
    require(actor, case, P.CHANGE_STATUS)
    case = case_lock(case)
    role = CaseMember.objects.filter(case=case, user=actor).values_list("role", flat=True).first()
    allowed = P.TRANSITIONS.get((case.status, to_status))
    if allowed is None:
        raise ValidationError(
            {
                "to_status": _("A case cannot move from “%(from)s” to “%(to)s”.")
                % {
                    "from": Case.Status(case.status).label,
                    "to": Case.Status(to_status).label if to_status in Case.Status else to_status,
                }
            }
        )
    if role not in allowed:
        raise ValidationError({"to_status": _("Your role on this case does not allow this step.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for this change.")})
    change = StatusChange.objects.create(
        case=case,
        from_status=case.status,
        to_status=to_status,
        reason=reason,
        actor=actor,
    )
    case.status = to_status
    case.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="case.status_changed",
        target=case,
        details={"from": change.from_status, "to": to_status},
    )
    others = User.objects.filter(case_memberships__case=case).exclude(pk=actor.pk)
    notify(
        others,
        gettext_lazy("A case you work on changed status"),
        reverse("cases:detail", args=[case.pk]),
    )
    return change
